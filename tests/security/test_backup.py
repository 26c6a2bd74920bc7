"""Backup and restore: a round trip (backup, wipe, restore, compare rows and file hashes), both databases."""

import hashlib
import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from registration.audit_triggers import triggers_present
from registration.models import AuditEntry, Material, Newborn
from registration.services.audit import audit_record
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
from tests import factories
from tests.registration.services.conftest import jpeg_with_gps
from tests.registration.services.test_materials import pdf_bytes
from tests.registration.views.test_register import png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _rows() -> dict[str, list[tuple]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.managed and model._meta.label != "sessions.Session"
    }


def _media(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def data(settings):
    factories.division_chain()
    factories.agency_make()
    clerk = factories.operator_make().user
    factories.register(
        clerk,
        materials=[
            MaterialInput("household_head", jpeg_with_gps(), "户主页.jpg"),
            MaterialInput("birth_record", pdf_bytes(), "产时记录.pdf"),
        ],
    )
    audit_record(user=clerk, action=AuditEntry.Action.LOGIN, ip="10.0.0.1")
    return Path(settings.MEDIA_ROOT)


def _wipe(media_root: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    for path in media_root.rglob("*"):
        if path.is_file():
            path.write_bytes(b"overwritten")


def test_it_restores_every_row_and_every_file(data, tmp_path):
    rows, media = _rows(), _media(data)
    assert Newborn.objects.exists()
    assert len(media) == 2

    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    _wipe(data)
    (data / "staging").mkdir(exist_ok=True)
    (data / "staging" / "left-over").write_bytes(b"x")  # written after the backup: not the backup's
    assert not Newborn.objects.exists()
    call_command("restore_data", tmp_path / "backup", "--yes", stdout=io.StringIO())

    restored = _rows()
    restore_entry = restored["registration.AuditEntry"].pop()  # the one row a restore adds: its own entry
    assert restored == rows
    assert AuditEntry.objects.get(pk=restore_entry[0]).action == AuditEntry.Action.RESTORE
    assert _media(data) == media
    material = Material.objects.get(kind="birth_record")
    assert hashlib.sha256((data / material.file.name).read_bytes()).hexdigest() == material.sha256
    assert not (data / "staging" / "left-over").exists()  # the storage holds the backup's files only
    # The audit log is still append-only after a restore.
    assert triggers_present(connection)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_it_restores_a_kept_upload_with_its_file(data, tmp_path):
    clerk = Material.objects.first().uploaded_by
    kept = kept_scan_store(user=clerk, material_kind="id_card", original_name="a.png", content=png_bytes())

    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    kept_upload_discard(kept)
    call_command("restore_data", tmp_path / "backup", "--yes", stdout=io.StringIO())

    assert kept_upload_read(kept_scan_get(user=clerk, token=kept.token)) == png_bytes()


def test_it_writes_a_manifest_with_every_files_checksum(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["vendor"] == connection.vendor
    assert {name: entry["sha256"] for name, entry in manifest["media"].items()} == _media(data)
    database = tmp_path / "backup" / manifest["database"]["file"]
    assert hashlib.sha256(database.read_bytes()).hexdigest() == manifest["database"]["sha256"]


def test_it_never_overwrites_a_backup(data, tmp_path):
    (tmp_path / "backup").mkdir()

    with pytest.raises(CommandError, match="exists already"):
        call_command("backup_data", tmp_path / "backup")


def test_it_refuses_a_damaged_backup_before_touching_anything(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    rows, media = _rows(), _media(data)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    database = tmp_path / "backup" / manifest["database"]["file"]
    database.write_bytes(database.read_bytes()[:-10] + b"0123456789")

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_data", tmp_path / "backup", "--yes")

    assert _rows() == rows
    assert _media(data) == media


def test_it_refuses_a_backup_whose_material_was_altered(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    name = next(iter(manifest["media"]))
    manifest["media"][name]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_data", tmp_path / "backup", "--yes")

    assert Newborn.objects.exists()


def test_it_writes_every_backup_file_for_its_owner_only(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())

    backup = tmp_path / "backup"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    files = sorted(path.name for path in backup.iterdir())
    assert files == sorted(
        ["manifest.json", "media.tar", json.loads((backup / "manifest.json").read_text())["database"]["file"]]
    )
    for path in backup.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_it_audits_a_backup_with_where_it_went(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())

    entry = AuditEntry.objects.get(action=AuditEntry.Action.BACKUP)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert entry.user is None and entry.username.startswith("backup_data (")
    assert entry.detail["path"] == str(tmp_path / "backup")
    assert entry.detail["database_sha256"] == manifest["database"]["sha256"]
    assert entry.detail["media_files"] == 2


def test_it_audits_a_restore_in_the_restored_database(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    _wipe(data)

    call_command("restore_data", tmp_path / "backup", "--yes", stdout=io.StringIO())

    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORE)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert entry.username.startswith("restore_data (")
    assert entry.detail["backup_created_at"] == manifest["created_at"]
    # The backup's own entry was written after the copy: the restored log does not hold it.
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP).exists()


def test_a_refused_restore_leaves_no_restore_entry(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    (tmp_path / "backup" / "media.tar").write_bytes(b"damaged")

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_data", tmp_path / "backup", "--yes")

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE).exists()


def _stored() -> dict[str, str]:
    """The storage's files and their SHA-256, read through the storage API (any backend)."""
    result = {}
    for name in storage_files(default_storage):
        with default_storage.open(name, "rb") as handle:
            result[name] = hashlib.sha256(handle.read()).hexdigest()
    return result


@pytest.fixture
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_it_backs_up_and_restores_a_storage_that_is_no_directory(memory_storage, data, tmp_path):
    clerk = Material.objects.first().uploaded_by
    kept = kept_payment_list_store(user=clerk, original_name="名单.csv", content=b"a,b\n")
    rows, stored = _rows(), _stored()
    assert len(stored) == 3 and not any(data.rglob("*.*"))  # nothing on the disk: all in memory

    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)
    for name in stored:
        default_storage.delete(name)
    default_storage.save("materials/2026/01/stray.pdf", ContentFile(b"not the backup's"))
    call_command("restore_data", tmp_path / "backup", "--yes", stdout=io.StringIO())

    restored = _rows()
    restored["registration.AuditEntry"].pop()
    assert restored == rows
    assert _stored() == stored
    assert kept_upload_read(kept_payment_list_get(user=clerk, token=kept.token)) == b"a,b\n"
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {name: entry["sha256"] for name, entry in manifest["media"].items()} == stored


def test_it_leaves_a_file_that_is_already_the_backups_untouched(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    saved, deleted = [], []
    original_save, original_delete = default_storage.save, default_storage.delete
    default_storage.save = lambda name, *args, **kwargs: (
        saved.append(name) or original_save(name, *args, **kwargs)
    )
    default_storage.delete = lambda name: deleted.append(name) or original_delete(name)
    material = Material.objects.get(kind="birth_record")
    (data / material.file.name).write_bytes(b"overwritten")
    try:
        call_command("restore_data", tmp_path / "backup", "--yes", stdout=io.StringIO())
    finally:
        del default_storage.save, default_storage.delete

    assert saved == [material.file.name] and deleted == [material.file.name]
    assert hashlib.sha256((data / material.file.name).read_bytes()).hexdigest() == material.sha256


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/outside.txt", "materials/extra.txt"])
def test_it_refuses_an_archive_with_a_file_the_manifest_does_not_list_or_outside_the_storage(
    data, tmp_path, name
):
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    backup = tmp_path / "backup"
    with tarfile.open(backup / "media.tar", "a") as archive:
        info = tarfile.TarInfo(name)
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["media"][name] = {"size": 1, "sha256": hashlib.sha256(b"x").hexdigest()}
    if name.startswith("materials/"):
        del manifest["media"][name]  # in the archive only
    manifest["media_tar"]["sha256"] = hashlib.sha256((backup / "media.tar").read_bytes()).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))
    rows, media = _rows(), _media(data)

    with pytest.raises(CommandError, match="does not hold exactly the files"):
        call_command("restore_data", backup, "--yes")

    assert _rows() == rows and _media(data) == media
    assert not (tmp_path / "outside.txt").exists()


def test_the_audit_chain_verifies_after_a_restore_to_an_earlier_backup(data, tmp_path, django_user_model):
    clerk = django_user_model.objects.get(username="clerk")
    call_command("audit_verify", stdout=io.StringIO())  # seals the log; the node's anchor holds its end
    call_command("backup_data", tmp_path / "backup", stdout=io.StringIO())
    for n in range(3):  # written after the backup: gone with the restore
        audit_record(user=clerk, action=AuditEntry.Action.VIEW_ID, detail={"n": n})
    call_command("audit_verify", stdout=io.StringIO())  # the anchor moves past the backup's end
    _wipe(data)

    call_command("restore_data", tmp_path / "backup", "--yes", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit_verify", stdout=out)

    assert "intact" in out.getvalue()
