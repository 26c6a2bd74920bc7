"""Kept uploads (services/kept_uploads.py): rows with their file in the storage, on any storage backend.

The suite's storage is a directory (tests/conftest.py); here it is also swapped for Django's in-memory
storage, which has no filesystem path at all, and for a fresh storage object per request, as a second app
node sharing the storage would have.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.functional import empty

from registration.models import KeptUpload, Material, Payment, Sex
from registration.services.birth_materials import MaterialInput
from registration.services.kept_uploads import (
    kept_payment_list_get,
    kept_payment_list_store,
    kept_scan_get,
    kept_scan_store,
    kept_upload_discard,
    kept_upload_read,
    storage_files,
)
from registration.services.newborns import BabyInput
from tests import factories
from tests.registration.services.conftest import csv_bytes, jpeg_with_gps, row
from tests.registration.views.test_register import URL, form_data, png_bytes, staged_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["filesystem", "memory"])
def storage_backend(request, settings, tmp_path):
    """The default storage: the suite's directory, or Django's InMemoryStorage (no path, no directory)."""
    if request.param == "memory":
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }
    return request.param


def _media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _new_node(backend: str) -> None:
    """Forget the storage object, as another app node would not have it (the files stay where they are).

    Not for the in-memory storage: its files live in this process's object, no second node could share it.
    """
    if backend != "memory":
        storages._storages.pop("default", None)
        default_storage._wrapped = empty


@pytest.fixture
def admin(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def newborn(clerk):
    birth = factories.register(
        clerk, babies=[BabyInput(Sex.FEMALE, date(2026, 1, 10))], today=date(2026, 1, 12)
    )
    return birth.newborns.get()


# --- the service ---------------------------------------------------------------------------------------


def test_a_kept_scan_is_a_row_with_its_file_in_the_storage_under_a_random_name(clerk, storage_backend):
    upload = kept_scan_store(
        user=clerk, material_kind="id_card", original_name="身份证.png", content=png_bytes()
    )

    row = KeptUpload.objects.get()
    assert row.owner == clerk and row.kind == KeptUpload.Kind.SCAN and row.material_kind == "id_card"
    assert row.file.name.startswith("kept/") and upload.token not in row.file.name
    assert "身份证" not in row.file.name
    assert default_storage.exists(row.file.name)
    assert kept_upload_read(row) == png_bytes()


def test_a_kept_file_changed_in_the_storage_is_not_used(clerk, storage_backend):
    upload = kept_payment_list_store(user=clerk, original_name="a.csv", content=b"a,b\n")
    default_storage.delete(upload.file.name)
    default_storage.save(upload.file.name, SimpleUploadedFile("x", b"changed"))

    assert kept_upload_read(upload) is None


def test_a_kept_file_gone_from_the_storage_reads_as_none(clerk, storage_backend):
    upload = kept_payment_list_store(user=clerk, original_name="a.csv", content=b"a,b\n")
    default_storage.delete(upload.file.name)

    assert kept_upload_read(upload) is None
    kept_upload_discard(upload)  # nothing left to delete: no error
    assert not KeptUpload.objects.exists()


def test_a_token_finds_only_its_owners_upload_of_its_kind(clerk):
    other = factories.user_make("other")
    scan = kept_scan_store(user=clerk, material_kind="id_card", original_name="a.png", content=png_bytes())
    listed = kept_payment_list_store(user=clerk, original_name="a.csv", content=b"a,b\n")

    assert kept_scan_get(user=other, token=scan.token) is None
    assert kept_payment_list_get(user=other, token=listed.token) is None
    assert kept_payment_list_get(user=clerk, token=scan.token) is None  # a scan is no payment list
    assert kept_scan_get(user=clerk, token=listed.token) is None
    assert kept_scan_get(user=clerk, token=scan.token.upper()) == scan  # any spelling of the UUID


def test_a_payment_list_expires_after_a_day(clerk):
    listed = kept_payment_list_store(user=clerk, original_name="a.csv", content=b"a,b\n")
    KeptUpload.objects.filter(pk=listed.pk).update(created=timezone.now() - timedelta(hours=25))

    assert kept_payment_list_get(user=clerk, token=listed.token) is None


def test_a_new_payment_list_removes_the_expired_ones(clerk):
    expired = kept_payment_list_store(user=clerk, original_name="a.csv", content=b"a,b\n")
    KeptUpload.objects.filter(pk=expired.pk).update(created=timezone.now() - timedelta(hours=25))

    fresh = kept_payment_list_store(user=factories.user_make("other"), original_name="b.csv", content=b"c\n")

    assert list(KeptUpload.objects.all()) == [fresh]
    assert not default_storage.exists(expired.file.name)


# --- the register page: a failed submit, then the retry -------------------------------------------------


def test_a_failed_submits_scans_survive_to_the_retry_on_any_storage(client, clerk, settings, storage_backend):
    client.force_login(clerk)
    head, parent_page = png_bytes("white"), png_bytes("black")
    data = form_data(household_address="")
    data["material_household_head"] = SimpleUploadedFile("户主页.png", head, "image/png")
    data["material_household_parent"] = SimpleUploadedFile("母亲页.png", parent_page, "image/png")

    html = client.post(URL, data).content.decode()
    tokens = staged_tokens(html)
    assert set(tokens) == {"household_head", "household_parent"}
    assert KeptUpload.objects.filter(owner=clerk, kind=KeptUpload.Kind.SCAN).count() == 2
    _new_node(storage_backend)  # the retry may reach another app node

    again = form_data(request_key=data["request_key"])
    again.update({f"staged_{kind}": token for kind, token in tokens.items()})
    response = client.post(URL, again)

    assert response.status_code == 302
    materials = {material.kind: material for material in Material.objects.all()}
    assert materials["household_head"].file.read() == head
    assert materials["household_parent"].file.read() == parent_page
    assert not KeptUpload.objects.exists()  # used: rows and files gone
    assert [name for name in _stored_names() if name.startswith("kept/")] == []
    if storage_backend == "memory":
        assert _media_files(settings) == []  # nothing went around the storage to the disk
    head_material = materials["household_head"]
    viewed = client.get(f"/newborns/{head_material.birth.newborns.get().pk}/materials/{head_material.pk}")
    assert viewed.status_code == 200 and b"".join(viewed.streaming_content) == head


def test_another_users_kept_scan_is_ignored_by_the_register_page(client, clerk, storage_backend):
    other = factories.operator_make(username="other", hospital=clerk.operator.hospital).user
    theirs = kept_scan_store(user=other, material_kind="id_card", original_name="a.png", content=png_bytes())
    client.force_login(clerk)

    html = client.post(URL, form_data(household_address="", staged_id_card=theirs.token)).content.decode()

    assert staged_tokens(html) == {}
    assert kept_scan_get(user=other, token=theirs.token) is not None


def _stored_names() -> list[str]:
    return storage_files(default_storage)


# --- the payment import: the preview on one request, the confirmation on another -------------------------


def test_a_payment_list_is_previewed_and_confirmed_across_requests_on_any_storage(
    client, admin, newborn, settings, storage_backend
):
    client.force_login(admin)
    response = client.post(
        "/payments/import/", {"file": SimpleUploadedFile("缴费名单.csv", csv_bytes([row(newborn)]))}
    )
    assert response.status_code == 302
    url = response["Location"]
    upload = KeptUpload.objects.get(owner=admin, kind=KeptUpload.Kind.PAYMENT_LIST)
    assert default_storage.exists(upload.file.name)
    _new_node(storage_backend)

    preview = client.get(url)
    assert preview.status_code == 200 and "将录入 1" in preview.content.decode()
    _new_node(storage_backend)
    done = client.post(url, {"digest": preview.context["plan"].digest})

    assert done.status_code == 302 and done["Location"] == "/payments/import/"
    assert Payment.objects.get().newborn == newborn
    assert not KeptUpload.objects.exists()
    assert not default_storage.exists(upload.file.name)
    if storage_backend == "memory":
        assert not [path for path in _media_files(settings) if "kept" in path.parts]


def test_kept_and_material_files_on_the_disk_are_the_applications_only(clerk, settings):
    kept = kept_scan_store(user=clerk, material_kind="id_card", original_name="a.png", content=png_bytes())
    birth = factories.register(clerk, materials=[MaterialInput("id_card", png_bytes(), "b.png")])
    root = Path(settings.MEDIA_ROOT)

    for name in (kept.file.name, birth.materials.get().file.name):
        assert (root / name).stat().st_mode & 0o777 == 0o600
        assert (root / name).parent.stat().st_mode & 0o777 == 0o700


def test_it_stages_a_photo_without_its_gps_position(clerk):
    staged = kept_scan_store(
        user=clerk, material_kind="household_head", original_name="a.jpg", content=jpeg_with_gps()
    )

    content = kept_upload_read(kept_scan_get(user=clerk, token=staged.token))
    assert b"Exif" not in content
    assert staged.size == len(content)
