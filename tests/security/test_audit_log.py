"""Logins in the audit log, and the audit log page: who reads which entries, filters, masking, queries."""

import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registration.masking import mask_id_number
from registration.models import AuditEntry, Operator
from registration.services.audit import audit_record
from registration.services.operators import operator_access_decide
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


# --- issue 29, item 9: words, a person found by name, views of full numbers hidden, the export ----------

EXPORT = "/audit/export.xlsx"


def details(response) -> list[str]:
    return [row.detail for row in response.context["rows"]]


def test_the_details_are_words_not_json(client, world: World):
    operator_access_decide(
        operator=world.own.clerk.operator, decision="withdraw", user=world.administrator, reason="调岗"
    )
    client.force_login(world.own.supervisor)

    response = client.get(URL)

    html = response.content.decode()
    words = details(response)
    assert "模块权限：已开通 → 已撤销" in words
    assert any(word.startswith("到账日期 ") and "年度" in word for word in words)  # the world's payment
    assert any(word.startswith("个人编号 ") for word in words)  # its registrations
    assert '{"' not in html and "&quot;" not in html.split("<tbody>")[1]


def test_the_user_filter_takes_a_real_name(client, world: World):
    real_name = world.own.clerk.operator.real_name  # 李经办, the clerk nn_clerk
    supervisor = world.own.supervisor
    Operator.objects.filter(user=supervisor).update(real_name="周主管")
    client.force_login(supervisor)

    rows = client.get(URL, {"username": real_name}).context["rows"]

    assert rows and {row.entry.username for row in rows} == {"nn_clerk"}


def test_the_user_filter_takes_part_of_a_login_name(client, world: World):
    client.force_login(world.administrator)

    rows = client.get(URL, {"username": "nn_"}).context["rows"]

    assert {row.entry.username for row in rows} == {"nn_clerk"}  # nn_super has no entry yet
    assert {row.entry.hospital_id for row in rows} == {world.own.hospital.pk}


def test_the_user_filter_still_finds_an_unknown_login_tried(client, world: World):
    audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="nobody-known", detail={})
    client.force_login(world.administrator)

    rows = client.get(URL, {"username": "nobody-known"}).context["rows"]

    assert [row.entry.username for row in rows] == ["nobody-known"]


def test_a_supervisor_finding_a_name_sees_only_their_hospitals_entries(client, world: World):
    client.force_login(world.own.supervisor)

    rows = client.get(URL, {"username": "clerk"}).context["rows"]  # nn_clerk and gl_clerk alike

    assert rows and {row.entry.username for row in rows} == {"nn_clerk"}


def test_the_switch_hides_the_views_of_full_numbers(client, world: World):
    for _ in range(3):
        audit_record(user=world.own.clerk, action=AuditEntry.Action.VIEW_ID, obj=world.own.newborn)
    client.force_login(world.own.supervisor)

    everything = client.get(URL).context["rows"]
    hidden = client.get(URL, {"hide_view_id": "on"})

    assert AuditEntry.Action.VIEW_ID in {row.entry.action for row in everything}
    rows = hidden.context["rows"]
    assert rows and AuditEntry.Action.VIEW_ID not in {row.entry.action for row in rows}
    assert 'name="hide_view_id" id="id_hide_view_id" checked' in hidden.content.decode()


def test_the_export_holds_what_the_page_shows_masked_and_is_audited(client, world: World):
    newborn = world.own.newborn
    audit_record(
        user=world.own.clerk,
        action=AuditEntry.Action.UPDATE,
        obj=newborn,
        reason=f"家长电话 13877112345，证件 {newborn.temp_id}",
        detail={"summary": f"联系电话：13877112345 → 13977115432，{factories.MOTHER_ID}"},
    )
    client.force_login(world.own.supervisor)

    page = client.get(URL, {"hide_view_id": "on"})
    response = client.get(EXPORT, {"hide_view_id": "on"})

    assert response.status_code == 200
    header = response["Content-Disposition"]
    today = timezone.localdate()
    filename = unquote(header.split("filename*=UTF-8''")[1])
    assert filename == f"审计日志-南宁市第一人民医院-{today:%Y-%m-%d}.xlsx"
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["审计日志"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    headers = ["时间", "用户", "医疗机构", "操作", "对象", "原因", "详情", "IP地址"]
    assert [cell.value for cell in sheet[3]] == headers
    assert len(rows) == page.context["page"].paginator.count
    [update] = [row for row in rows if row[3] == "修改"]
    [shown] = [row for row in page.context["rows"] if row.entry.action == AuditEntry.Action.UPDATE]
    assert (update[5], update[6]) == (shown.reason, shown.detail)
    text = str(rows)
    for full in (newborn.temp_id, factories.MOTHER_ID, "13877112345"):
        assert full not in text
    assert mask_id_number(newborn.temp_id) in text
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
    assert entry.detail["kind"] == "audit" and entry.detail["rows"] == len(rows)
    assert entry.detail["full_ids"] is False


def test_the_export_refuses_bad_filters_in_chinese(client, world: World):
    client.force_login(world.administrator)

    response = client.get(EXPORT, {"date_from": "2026-13-45"})

    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()


def test_the_export_is_for_supervisors_and_administrators(client, world: World):
    client.force_login(world.own.clerk)

    assert client.get(EXPORT).status_code == 403


def test_an_administrators_export_of_one_hospital_names_it(client, world: World):
    client.force_login(world.administrator)

    every = client.get(EXPORT)["Content-Disposition"]
    one = client.get(EXPORT, {"hospital": world.foreign.hospital.pk})

    book = load_workbook(io.BytesIO(b"".join(one.streaming_content)))
    hospitals = {row[2] for row in book["审计日志"].iter_rows(min_row=4, values_only=True)}
    assert hospitals == {world.foreign.hospital.name}
    assert "全部医疗机构" in unquote(every)
    assert world.foreign.hospital.name in unquote(one["Content-Disposition"])


def test_the_export_after_a_posted_search_holds_only_the_rows_it_found(client, world: World):
    client.force_login(world.administrator)

    found = client.post(URL, {"username": "nn_clerk"})
    list_url = found["Location"]
    page = client.get(list_url)
    export_query = page.context["export_query"]
    response = client.get(f"{EXPORT}?{export_query}")

    assert "nn_clerk" not in list_url and "search=" in export_query
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["审计日志"].iter_rows(min_row=4, values_only=True))
    assert rows and len(rows) == page.context["page"].paginator.count
    assert len(rows) < AuditEntry.objects.count()  # the other users' entries are left out
    assert {row.entry.username for row in page.context["rows"]} == {"nn_clerk"}
