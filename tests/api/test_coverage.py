"""GET /api/v1/coverage: any hospital's desk, both factors, the same 404 for either wrong, a masked name."""

from datetime import date

import pytest

from registration.models import AuditEntry, Newborn
from registration.services.lifecycle import (
    newborn_formalize,
    newborn_void,
    newborn_void_expired,
    payment_record,
)
from tests import factories
from tests.api.conftest import birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")


@pytest.fixture
def girl(api, his):
    body = birth_body(babies=[{"sex": "female", "birth_date": "2026-02-26"}])
    temp_id = api.post("/api/v1/births", body, format="json").json()["newborns"][0]["temp_id"]
    return Newborn.objects.get(temp_id=temp_id)


def test_another_hospitals_desk_sees_a_paid_card_covered_with_a_masked_name(girl, his, other_api):
    payment_record(
        newborn=girl, user=his[0].user, paid_on=date(2026, 3, 2), years=[2026], today=factories.TODAY
    )

    response = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-26"})

    assert response.status_code == 200
    assert response.json() == {
        "covered": True,
        "state": "paid",
        "state_label": "已缴费",
        "valid_until": "2026-05-25",
        "benefit_start": "2026-02-26",
        "years_paid": [2026],
        "name": "覃*之女",
        "reason": (
            "已缴费，待遇自2026年2月26日起享受：今天可以凭此登记卡（新生儿编码）结算，登记卡有效期至2026年5月25日。"
        ),
        "covered_until": "2026-05-25",
        "missing_year": None,
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VERIFY)
    assert entry.newborn == girl and entry.detail["covered"] is True
    assert entry.hospital.code == "H45010300002"  # who asked


def test_an_unpaid_card_is_not_covered(girl, other_api):
    body = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-26"}).json()

    assert body["covered"] is False and body["state"] == "registered" and body["benefit_start"] is None
    assert body["reason"].startswith("尚未缴费") and "2026年5月25日" in body["reason"]


# Every field the interface had before the reason, which it keeps as it was (issue 16: a fixed interface).
FIELDS = {"covered", "state", "state_label", "valid_until", "benefit_start", "years_paid", "name"}
# Added by issue 28 (docs/rules.md, Which days are covered): the card's last covered day, the year missing.
ADDED = {"reason", "covered_until", "missing_year"}


def test_a_formally_enrolled_baby_is_told_to_settle_with_its_own_id(girl, his, other_api):
    payment_record(
        newborn=girl, user=his[0].user, paid_on=date(2026, 3, 2), years=[2026], today=factories.TODAY
    )
    newborn_formalize(
        newborn=girl,
        user=his[0].user,
        real_name="覃小雨",
        real_id_number=factories.id_number(born="20260226", order="004"),
        today=factories.TODAY,
    )

    response = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-26"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS | ADDED
    assert body["covered"] is False and body["state"] == "formalized" and body["state_label"] == "正式参保"
    assert body["benefit_start"] == "2026-02-26" and body["years_paid"] == [2026]
    assert "已正式参保" in body["reason"] and "本人的身份证号码" in body["reason"]
    assert "医保电子凭证" in body["reason"]
    assert "20260226" not in body["reason"]  # the real ID is not given away


def test_a_card_voided_by_the_hospital_says_so_without_the_staffs_reason(girl, his, other_api):
    newborn_void(newborn=girl, user=his[0].user, reason="家属要求作废：母亲电话13877112345")

    body = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-26"}).json()

    assert body["covered"] is False and body["state"] == "void"
    assert "作废" in body["reason"] and "登记卡已失效" in body["reason"]
    assert "13877112345" not in body["reason"] and "家属" not in body["reason"]


def test_the_document_describes_the_reason_and_keeps_every_field(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["Coverage"]

    assert set(schema["properties"]) == FIELDS | ADDED
    assert set(schema["required"]) >= FIELDS | ADDED
    assert "医保电子凭证" in schema["properties"]["reason"]["description"]


def test_a_wrong_code_and_a_wrong_date_give_the_same_404(girl, other_api):
    wrong_date = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-25"})
    wrong_code = other_api.get(
        "/api/v1/coverage", {"code": girl.temp_id[:-1] + "x", "birth_date": "2026-02-26"}
    )
    nonsense = other_api.get("/api/v1/coverage", {"code": "';--", "birth_date": "2026-02-26"})

    assert wrong_date.status_code == wrong_code.status_code == nonsense.status_code == 404
    assert wrong_date.json() == wrong_code.json() == nonsense.json()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VERIFY, detail__found=False).count() == 3


def test_a_missing_factor_is_a_422(other_api):
    response = other_api.get("/api/v1/coverage", {"code": "Q450123456"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["birth_date"]


# --- which days are covered (docs/rules.md, Which days are covered) -------------------------------------

STRADDLING = date(2026, 11, 28)  # last day 2027-02-27


def _straddling(hospital, payments) -> Newborn:
    clerk = factories.operator_make(username="ward", hospital=hospital).user
    return factories.register_paid(clerk, STRADDLING, payments)


@pytest.mark.parametrize(
    ("payments", "day", "covered", "missing_year"),
    [
        ([(date(2026, 12, 10), [2026])], date(2026, 12, 20), True, None),
        ([(date(2026, 12, 10), [2026])], date(2027, 1, 5), False, 2027),
        ([(date(2026, 12, 10), [2026, 2027])], date(2027, 1, 5), True, None),
        ([(date(2026, 12, 10), [2026]), (date(2027, 1, 3), [2027])], date(2027, 1, 5), True, None),
    ],
)
def test_a_card_covers_a_day_only_when_its_calendar_year_is_paid(
    hospital, other_api, today_is, payments, day, covered, missing_year
):
    newborn = _straddling(hospital, payments)
    today_is(day)

    body = other_api.get("/api/v1/coverage", {"code": newborn.temp_id, "birth_date": "2026-11-28"}).json()

    assert (body["covered"], body["missing_year"], body["state"]) == (covered, missing_year, "paid")
    paid_both = any(2027 in years for _, years in payments)
    assert body["covered_until"] == ("2027-02-27" if paid_both else "2026-12-31")
    if missing_year:
        assert body["reason"].startswith("2027年度未缴费：")
        assert "请家属在2027年2月27日（含）前缴纳2027年度保费" in body["reason"]
    assert "覃" not in body["reason"] and newborn.temp_id not in body["reason"]  # no personal data


# --- a payment after the void (docs/rules.md, A payment after the void) ---------------------------------


def test_a_void_card_paid_too_late_sends_the_desk_and_the_family_to_the_agency(
    girl, his, other_api, today_is
):
    newborn_void_expired(today=date(2026, 5, 26))  # the girl's last day is 2026-05-25
    payment_record(
        newborn=girl, user=his[0].user, paid_on=date(2026, 5, 26), years=[2026], today=date(2026, 5, 27)
    )
    today_is(date(2026, 5, 27))

    body = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-26"}).json()

    assert (body["covered"], body["state"], body["benefit_start"], body["years_paid"]) == (
        False,
        "void",
        None,
        [2026],
    )
    assert "到户籍所在地的医保经办机构办理正式参保登记" in body["reason"]
    assert "预计自2026年8月26日起享受待遇" in body["reason"]


# POST /api/v1/coverage (issue 23, item 4): the same answer, the code in the body and never in a URL.


def test_post_answers_as_get_does(girl, other_api):
    asked = {"code": girl.temp_id, "birth_date": "2026-02-26"}

    by_get = other_api.get("/api/v1/coverage", asked)
    by_post = other_api.post("/api/v1/coverage", asked, format="json")
    wrong = other_api.post("/api/v1/coverage", {**asked, "birth_date": "2026-02-27"}, format="json")
    missing = other_api.post("/api/v1/coverage", {}, format="json")

    assert by_get.status_code == by_post.status_code == 200
    assert by_post.json() == by_get.json()
    assert wrong.status_code == 404
    assert missing.status_code == 422 and set(missing.json()["errors"]) == {"code", "birth_date"}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VERIFY).count() == 3  # each check on record


def test_the_schema_documents_both_coverage_checks():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"]["/api/v1/coverage"]

    assert set(operations) >= {"get", "post"}
    assert operations["post"]["operationId"] == "coverage_check"
    assert "requestBody" in operations["post"]
