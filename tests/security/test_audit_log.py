"""Logins in the audit log, and the audit log page: who reads which entries, filters, masking, queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from registration.masking import mask_id_number
from registration.models import AuditEntry
from registration.services.audit import audit_record
from tests import factories
from tests.factories import PASSWORD
from tests.security.conftest import World

URL = reverse("audit_list")


def _login(client, username, password=PASSWORD, ip="10.1.2.3"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- logins through Django's auth signals -------------------------------------------------------------


def test_it_audits_a_login_with_the_address(client, world: World):
    response = _login(client, "nn_clerk")

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (entry.user, entry.username, entry.hospital, entry.ip) == (
        world.own.clerk,
        "nn_clerk",
        world.own.hospital,
        "10.1.2.3",
    )


def test_it_audits_a_failed_login_with_the_username_tried(client, world: World):
    response = _login(client, "nn_clerk", password="wrong-password", ip="10.9.9.9")

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert (entry.user, entry.username, entry.hospital, entry.ip) == (
        None,
        "nn_clerk",
        world.own.hospital,
        "10.9.9.9",
    )
    assert entry.detail == {"known_user": True}


def test_it_masks_an_id_number_typed_as_a_username(client, world: World):
    _login(client, factories.MOTHER_ID, password="wrong-password")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.username == mask_id_number(factories.MOTHER_ID)
    assert entry.hospital is None


def test_it_audits_a_logout(client, world: World):
    _login(client, "nn_super")

    client.post("/logout/", REMOTE_ADDR="10.1.2.4")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGOUT)
    assert (entry.user, entry.ip) == (world.own.supervisor, "10.1.2.4")


def test_it_audits_nothing_for_a_logout_without_a_session(client, db):
    client.post("/logout/")

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT).exists()


# --- who reads the log ----------------------------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_refuses_a_clerk_with_a_chinese_reason(client, world: World):
    client.force_login(world.own.clerk)

    response = client.get(URL)

    assert response.status_code == 403
    assert "主管" in response.content.decode()


def test_it_shows_a_supervisor_only_their_hospitals_entries(client, world: World):
    audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="nobody-known")
    client.force_login(world.own.supervisor)

    response = client.get(URL)

    entries = {row.entry.pk for row in response.context["rows"]}
    own = set(AuditEntry.objects.filter(hospital=world.own.hospital).values_list("pk", flat=True))
    assert response.status_code == 200
    assert entries == own
    assert own
    assert "nobody-known" not in response.content.decode()
    assert "审计日志" in response.content.decode()  # the nav item


def test_it_shows_an_administrator_every_entry_with_the_hospital(client, world: World):
    audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="nobody-known")
    client.force_login(world.administrator)

    response = client.get(URL + "?page=1")

    html = response.content.decode()
    assert response.context["page"].paginator.count == AuditEntry.objects.count()
    assert "nobody-known" in html
    assert world.foreign.hospital.name in html


def test_it_masks_every_number_on_the_page(client, world: World):
    newborn = world.own.newborn
    audit_record(
        user=world.own.clerk,
        action=AuditEntry.Action.UPDATE,
        obj=newborn,
        reason=f"家长电话 13877112345，证件 {newborn.temp_id}",
        detail={"parent": factories.MOTHER_ID},
    )
    client.force_login(world.own.supervisor)

    html = client.get(URL).content.decode()

    assert newborn.temp_id not in html
    assert factories.MOTHER_ID not in html
    assert "13877112345" not in html
    assert mask_id_number(newborn.temp_id) in html


# --- filters ----------------------------------------------------------------------------------------------


def test_it_filters_by_action_user_and_date(client, world: World):
    client.force_login(world.own.supervisor)
    today = timezone.localdate()

    by_action = client.get(URL, {"action": "payment"}).context["rows"]
    by_user = client.get(URL, {"username": "nn_clerk"}).context["rows"]
    today_only = client.get(URL, {"date_from": today, "date_to": today}).context["rows"]
    tomorrow = client.get(URL, {"date_from": today + timedelta(days=1)}).context["rows"]

    assert [row.entry.action for row in by_action] == ["payment"]
    assert by_user and {row.entry.username for row in by_user} == {"nn_clerk"}
    assert len(today_only) == AuditEntry.objects.filter(hospital=world.own.hospital).count()
    assert tomorrow == []


def test_it_filters_by_a_records_number_and_by_its_id(client, world: World):
    client.force_login(world.own.supervisor)
    newborn = world.own.newborn

    by_number = client.get(URL, {"record": newborn.temp_id}).context["rows"]
    by_personal = client.get(URL, {"record": newborn.personal_number}).context["rows"]
    by_id = client.get(URL, {"newborn": newborn.pk}).context["rows"]

    assert by_number and {row.entry.newborn_id for row in by_number} == {newborn.pk}
    assert [row.entry.pk for row in by_personal] == [row.entry.pk for row in by_number]
    assert [row.entry.pk for row in by_id] == [row.entry.pk for row in by_number]


def test_it_filters_an_administrators_view_by_hospital(client, world: World):
    client.force_login(world.administrator)

    rows = client.get(URL, {"hospital": world.foreign.hospital.pk}).context["rows"]

    assert rows and {row.entry.hospital_id for row in rows} == {world.foreign.hospital.pk}


def test_it_gives_404_for_another_hospitals_record_history(client, world: World):
    client.force_login(world.own.supervisor)

    assert client.get(URL, {"newborn": world.foreign.newborn.pk}).status_code == 404
    assert client.get(URL, {"newborn": 2_000_000_000}).status_code == 404


def test_it_does_not_find_another_hospitals_record_by_number(client, world: World):
    client.force_login(world.own.supervisor)

    response = client.get(URL, {"record": world.foreign.newborn.temp_id})

    assert response.status_code == 200
    assert "没有找到该登记记录" in response.content.decode()
    assert response.context["rows"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-13-45"},
        {"date_from": "2026-03-02", "date_to": "2026-03-01"},
        {"action": "drop table"},
        {"newborn": "abc"},
        {"newborn": "99999999999999999999"},
        {"record": "x" * 500},
        {"record": "45010319900307002"},
        {"username": "a\x00b"},
        {"hospital": "not-a-number"},
        {"page": "-1"},
    ],
)
def test_it_answers_bad_filters_with_a_chinese_message(client, world: World, query):
    client.force_login(world.administrator)

    response = client.get(URL, query)

    assert response.status_code == 200
    html = response.content.decode()
    if "page" not in query:
        assert "筛选条件有误" in html
        assert response.context["rows"] == []


def test_it_reads_a_page_in_a_bounded_number_of_queries(client, world: World, django_assert_max_num_queries):
    for index in range(120):
        audit_record(
            user=world.own.clerk,
            action=AuditEntry.Action.VIEW_ID,
            obj=world.own.newborn,
            ip=f"10.0.0.{index % 250}",
        )
    client.force_login(world.own.supervisor)

    with django_assert_max_num_queries(10):
        response = client.get(URL, {"page": 2})

    assert response.status_code == 200
    assert len(response.context["rows"]) == 50
