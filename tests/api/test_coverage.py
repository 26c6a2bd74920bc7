"""GET /api/v1/coverage: any hospital's desk, both factors, the same 404 for either wrong, a masked name."""

from datetime import date

import pytest

from registration.models import AuditEntry, Newborn
from registration.services.lifecycle import payment_record
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
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VERIFY)
    assert entry.newborn == girl and entry.detail["covered"] is True
    assert entry.hospital.code == "H45010300002"  # who asked


def test_an_unpaid_card_is_not_covered(girl, other_api):
    body = other_api.get("/api/v1/coverage", {"code": girl.temp_id, "birth_date": "2026-02-26"}).json()

    assert body["covered"] is False and body["state"] == "registered" and body["benefit_start"] is None


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
