"""Lookups on record (docs/privacy.md): each answer that drew on another hospital's records is an audit
entry (who, the masked number, what was answered); the 医保中心 sees, per user and day, those above
settings.LOOKUP_ALERT_PER_DAY (selectors.lookups_above_threshold, /audit/lookups/)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registration.models import AuditEntry
from registration.services.lookups import KIND_CHECK, lookup_record
from registration.services.newborns import WARNING_PARENT_NAME, ParentInput, RegistrationWarning
from tests import factories
from tests.api.conftest import bearer, birth_body
from tests.factories import MOTHER_ID, register

pytestmark = pytest.mark.django_db

MASKED = MOTHER_ID[:6] + "*****" + MOTHER_ID[-4:]


def lookups():
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.LOOKUP).order_by("pk"))


def test_a_check_that_drew_on_another_hospitals_records_is_on_record(clerk, other_clerk):
    register(clerk)
    assert lookups() == []  # nothing of another hospital's

    with pytest.raises(RegistrationWarning):
        register(other_clerk, materials_deferred=True, confirmed_warnings=())

    [entry] = lookups()
    assert entry.user == other_clerk and entry.hospital == other_clerk.operator.hospital
    assert entry.object_repr == MASKED and MOTHER_ID not in str(entry.detail)
    assert (
        entry.detail["kind"] == KIND_CHECK and "其他医疗机构有同一出生日期的登记" in entry.detail["answered"]
    )


def test_confirming_the_id_card_goes_on_record(clerk, other_clerk):
    register(clerk)
    kwargs = {"mother": ParentInput("王五", MOTHER_ID, ""), "father": ParentInput("", "", "")}

    birth = register(other_clerk, **kwargs, confirmed_warnings=[WARNING_PARENT_NAME])

    assert "已确认核对身份证" in lookups()[-1].detail["answered"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTER, newborn=birth.newborns.get())
    assert entry.detail["confirmed"] == [WARNING_PARENT_NAME]


def test_the_preview_drawing_on_another_hospitals_letters_is_on_record(client, clerk, other_clerk):
    register(clerk)
    client.force_login(clerk)
    client.post("/register/preview", {"parent_id": MOTHER_ID, "role": "mother", "sexes": "2"})
    assert lookups() == []  # the clerk's own hospital's letters

    client.force_login(other_clerk)
    client.post("/register/preview", {"parent_id": MOTHER_ID, "role": "mother", "sexes": "2"})

    [entry] = lookups()
    assert entry.user == other_clerk and entry.object_repr == MASKED
    assert entry.detail["answered"].startswith("字母X：未计入其他医疗机构签发的字母")


def test_the_apis_births_drawing_on_another_hospitals_records_are_on_record(clerk, other_clerk, pinned_today):
    from registration.services.api_clients import api_client_create

    other_hospital = other_clerk.operator.hospital
    register(clerk, mother=ParentInput("覃小梅", MOTHER_ID, ""))
    client, key = api_client_create(name="二院HIS", hospital=other_hospital, scopes=["births:write"])

    answer = bearer(key).post("/api/v1/births", birth_body(confirm=["agency_mismatch"]), format="json")

    assert answer.status_code == 409
    [entry] = lookups()
    assert entry.user == client.user and entry.hospital == other_hospital and entry.object_repr == MASKED


def test_a_coverage_check_is_a_lookup_unless_it_found_the_own_hospitals_baby(client, clerk, other_clerk):
    newborn = register(clerk).newborns.get()
    check = {"code": newborn.temp_id, "birth_date": newborn.birth_date.isoformat()}
    client.force_login(clerk)
    client.post("/verify/", check)
    client.force_login(other_clerk)
    client.post("/verify/", check)
    client.post("/verify/", {**check, "code": MOTHER_ID + "Y"})

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.VERIFY).order_by("pk")

    assert [entry.detail["lookup"] for entry in entries] == [False, True, True]


# --- the 医保中心's view: lookups above the day's threshold ----------------------------------------------


def _lookups(user, count, *, days_ago=0, monkeypatch):
    at = timezone.now() - timedelta(days=days_ago)
    monkeypatch.setattr("registration.services.audit.timezone.now", lambda: at)
    for _ in range(count):
        lookup_record(user=user, kind=KIND_CHECK, number_masked=MASKED, answered=["…"], ip="10.0.0.1")
    monkeypatch.undo()


def test_the_administrator_sees_the_list_from_the_audit_page(client, clerk, settings, monkeypatch):
    settings.LOOKUP_ALERT_PER_DAY = 1
    _lookups(clerk, 2, monkeypatch=monkeypatch)
    client.force_login(factories.user_make("admin", is_staff=True))

    assert "/audit/lookups/" in client.get("/audit/").content.decode()
    html = client.get("/audit/lookups/").content.decode()

    assert "跨院查询超限名单" in html and "clerk" in html and "南宁市第一人民医院" in html
    assert client.get("/audit/lookups/?date_from=2026-03-02&date_to=2026-03-01").status_code == 400
