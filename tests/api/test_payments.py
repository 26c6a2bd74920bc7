"""POST /api/v1/payments: the 医保中心's payments, with the import's rules, idempotent by receipt number."""

from datetime import date

import pytest

from registration.models import Newborn, Payment
from registration.services.lifecycle import newborn_void_expired
from tests.api.conftest import birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")


@pytest.fixture
def twins(api):
    return api.post("/api/v1/births", birth_body(), format="json").json()["newborns"]


def test_payments_are_matched_by_any_number_and_recorded_once_per_receipt(centre_api, twins):
    body = {
        "payments": [
            {
                "temp_id": twins[0]["temp_id"],
                "paid_on": "2026-03-02",
                "years": [2026],
                "receipt_number": "R1",
            },
            {
                "personal_number": twins[1]["personal_number"],
                "paid_on": "2026-03-02",
                "years": [2026],
                "receipt_number": "R2",
                "amount": "400.00",
            },
        ]
    }

    first = centre_api.post("/api/v1/payments", body, format="json")
    again = centre_api.post("/api/v1/payments", body, format="json")

    assert first.status_code == 201, first.content
    assert [p["outcome"] for p in first.json()["payments"]] == ["recorded", "recorded"]
    assert first.json()["payments"][0]["benefit_start"] == "2026-02-26"
    assert again.status_code == 200
    assert [p["outcome"] for p in again.json()["payments"]] == ["already_recorded"] * 2
    assert Payment.objects.count() == 2
    assert set(Newborn.objects.values_list("state", flat=True)) == {"paid"}


def test_one_refused_payment_records_none_and_says_why_by_index(centre_api, twins):
    body = {
        "payments": [
            {
                "temp_id": twins[0]["temp_id"],
                "paid_on": "2026-03-02",
                "years": [2026],
                "receipt_number": "R1",
            },
            {"temp_id": twins[0]["temp_id"][:-1] + "A", "paid_on": "2026-03-02", "years": [2026]},
            {"personal_number": twins[1]["personal_number"], "paid_on": "2026-04-01", "years": [2026]},
        ]
    }

    response = centre_api.post("/api/v1/payments", body, format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"payments.1", "payments.2"}
    assert "没有找到" in errors["payments.1"][0] and "区分大小写" in errors["payments.1"][0]
    assert "不能晚于今天" in errors["payments.2"][0]
    assert Payment.objects.count() == 0


def test_a_receipt_number_on_another_baby_is_refused(centre_api, twins):
    one = {"temp_id": twins[0]["temp_id"], "paid_on": "2026-03-02", "years": [2026], "receipt_number": "R9"}
    centre_api.post("/api/v1/payments", {"payments": [one]}, format="json")

    other = {**one, "temp_id": twins[1]["temp_id"]}
    response = centre_api.post("/api/v1/payments", {"payments": [other]}, format="json")

    assert response.status_code == 422
    assert "另一名新生儿" in response.json()["errors"]["payments.0"][0]


# --- a payment after the void (docs/rules.md, A payment after the void) ---------------------------------


@pytest.mark.parametrize(
    ("paid_on", "state"),
    [
        ("2026-05-24", "paid"),  # the day before the last day (2026-05-25): only the list came late
        ("2026-05-25", "paid"),  # the last day itself
        ("2026-05-26", "void"),  # the day after: kept on the void record, formal enrollment at the agency
    ],
)
def test_payments_sent_after_the_void_job_reinstate_only_money_that_arrived_by_the_last_day(
    centre_api, api, twins, today_is, paid_on, state
):
    newborn_void_expired(today=date(2026, 5, 26))
    today_is(date(2026, 6, 1))
    body = {"payments": [{"temp_id": twins[0]["temp_id"], "paid_on": paid_on, "years": [2026]}]}

    response = centre_api.post("/api/v1/payments", body, format="json")
    record = api.get(f"/api/v1/newborns/{twins[0]['temp_id']}").json()

    assert response.status_code == 201, response.content
    assert response.json()["payments"][0]["state"] == state
    assert record["state"] == state and [p["paid_on"] for p in record["payments"]] == [paid_on]
    if state == "void":
        assert response.json()["payments"][0]["benefit_start"] is None and record["benefit_start"] is None
        assert "到户籍所在地的医保经办机构办理正式参保登记" in record["benefit_rule"]
        assert "预计自2026年8月26日起享受待遇" in record["benefit_rule"]
    else:
        assert record["benefit_start"] == "2026-02-26"
