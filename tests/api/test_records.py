"""GET /api/v1/newborns[/{identity}] and POST …/materials: the client's hospital's records."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from registration.api.views import NewbornCursorPagination
from registration.models import AuditEntry, Material
from registration.services.lifecycle import payment_record
from tests import factories
from tests.api.conftest import birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def twins(api):
    response = api.post("/api/v1/births", birth_body(), format="json")
    assert response.status_code == 201
    return response.json()["newborns"]


def test_a_record_by_temporary_id_is_case_sensitive(api, twins):
    girl_x, girl_small_x = twins

    assert (
        api.get(f"/api/v1/newborns/{girl_x['temp_id']}").json()["personal_number"]
        == girl_x["personal_number"]
    )
    small = api.get(f"/api/v1/newborns/{girl_small_x['temp_id']}").json()
    assert small["personal_number"] == girl_small_x["personal_number"]
    assert api.get(f"/api/v1/newborns/{factories.MOTHER_ID}A").status_code == 404


def test_a_record_by_personal_number_with_its_payments_and_benefit_start(api, twins, his):
    from registration.models import Newborn

    newborn = Newborn.objects.get(personal_number=twins[0]["personal_number"])
    payment_record(
        newborn=newborn, user=his[0].user, paid_on=date(2026, 3, 2), years=[2026], today=factories.TODAY
    )

    record = api.get(f"/api/v1/newborns/{twins[0]['personal_number']}").json()

    assert record["state"] == "paid" and record["state_label"] == "已缴费"
    assert record["benefit_start"] == "2026-02-26" and record["benefit_rule"]
    assert record["payments"] == [
        {"paid_on": "2026-03-02", "years": [2026], "receipt_number": "", "amount": None}
    ]
    assert record["last_day"] == "2026-05-25"


def test_a_record_by_birth_certificate_number(api):
    body = birth_body(
        route="birth_certificate",
        babies=[{"sex": "male", "birth_date": "2026-02-26", "birth_certificate_number": "Q450123456"}],
    )
    assert api.post("/api/v1/births", body, format="json").status_code == 201

    record = api.get("/api/v1/newborns/Q450123456").json()

    assert record["birth_certificate_number"] == "Q450123456" and record["temp_id"] is None
    assert record["sex"] == "male"


def test_the_list_filters_and_pages_with_a_cursor(api, twins, monkeypatch):
    monkeypatch.setattr(NewbornCursorPagination, "page_size", 1)

    first = api.get("/api/v1/newborns", {"registered_from": "2026-01-01", "state": "registered"}).json()
    second = api.get(first["next"]).json()

    seen = [first["results"][0]["temp_id"], second["results"][0]["temp_id"]]
    assert sorted(seen) == sorted(n["temp_id"] for n in twins)
    assert second["next"] is None
    assert api.get("/api/v1/newborns", {"state": "paid"}).json()["results"] == []
    far = api.get("/api/v1/newborns", {"registered_to": "2000-01-01"}).json()
    assert far["results"] == []
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID)
    assert any(entry.detail.get("state") == "registered" for entry in entries)


def test_the_list_refuses_a_malformed_date_by_name(api):
    response = api.get("/api/v1/newborns", {"registered_from": "yesterday"})

    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.json()["errors"]["registered_from"][0]


def test_a_scan_is_added_with_the_pages_content_checks(api, twins):
    path = f"/api/v1/newborns/{twins[0]['temp_id']}/materials"

    added = api.post(
        path, {"kind": "id_card", "file": SimpleUploadedFile("id.png", _png())}, format="multipart"
    )
    bad = api.post(
        path, {"kind": "id_card", "file": SimpleUploadedFile("x.png", b"not an image")}, format="multipart"
    )
    no_kind = api.post(
        path, {"kind": "selfie", "file": SimpleUploadedFile("id.png", _png())}, format="multipart"
    )

    assert added.status_code == 201, added.content
    assert added.json()["content_type"] == "image/png"
    assert Material.objects.get().kind == "id_card"
    assert bad.status_code == 422 and "JPEG、PNG" in bad.json()["errors"]["file"][0]
    assert no_kind.status_code == 422 and no_kind.json()["errors"]["kind"] == ["材料类型无效。"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).count() == 1
