"""Backup and restore: a round trip (backup, wipe, restore, compare rows and file hashes), both databases."""

import hashlib
import json
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from registration.audit_triggers import triggers_present
from registration.models import AuditEntry, Material, Newborn
from registration.services.audit import audit_record
from registration.services.birth_materials import MaterialInput
from tests import factories
from tests.security.test_materials import jpeg_with_gps, pdf_bytes

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
        if path.is_file() and "staging" not in path.relative_to(root).parts
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
    (data / "staging").mkdir(exist_ok=True)
    (data / "staging" / "left-over").write_bytes(b"x")

    call_command("backup_data", tmp_path / "backup", stdout=StringIO())
    _wipe(data)
    assert not Newborn.objects.exists()
    call_command("restore_data", tmp_path / "backup", "--yes", stdout=StringIO())

    restored = _rows()
    restore_entry = restored["registration.AuditEntry"].pop()  # the one row a restore adds: its own entry
    assert restored == rows
    assert AuditEntry.objects.get(pk=restore_entry[0]).action == AuditEntry.Action.RESTORE
    assert _media(data) == media
    material = Material.objects.get(kind="birth_record")
    assert hashlib.sha256((data / material.file.name).read_bytes()).hexdigest() == material.sha256
    assert not (data / "staging").exists()  # the staging area is not part of a backup
    # The audit log is still append-only after a restore.
    assert triggers_present(connection)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_it_writes_a_manifest_with_every_files_checksum(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())

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
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())
    rows, media = _rows(), _media(data)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    database = tmp_path / "backup" / manifest["database"]["file"]
    database.write_bytes(database.read_bytes()[:-10] + b"0123456789")

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_data", tmp_path / "backup", "--yes")

    assert _rows() == rows
    assert _media(data) == media


def test_it_refuses_a_backup_whose_material_was_altered(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    name = next(iter(manifest["media"]))
    manifest["media"][name]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_data", tmp_path / "backup", "--yes")

    assert Newborn.objects.exists()


def test_it_writes_every_backup_file_for_its_owner_only(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())

    backup = tmp_path / "backup"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    files = sorted(path.name for path in backup.iterdir())
    assert files == sorted(
        ["manifest.json", "media.tar", json.loads((backup / "manifest.json").read_text())["database"]["file"]]
    )
    for path in backup.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_it_audits_a_backup_with_where_it_went(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())

    entry = AuditEntry.objects.get(action=AuditEntry.Action.BACKUP)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert entry.user is None and entry.username.startswith("backup_data (")
    assert entry.detail["path"] == str(tmp_path / "backup")
    assert entry.detail["database_sha256"] == manifest["database"]["sha256"]
    assert entry.detail["media_files"] == 2


def test_it_audits_a_restore_in_the_restored_database(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())
    _wipe(data)

    call_command("restore_data", tmp_path / "backup", "--yes", stdout=StringIO())

    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORE)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert entry.username.startswith("restore_data (")
    assert entry.detail["backup_created_at"] == manifest["created_at"]
    # The backup's own entry was written after the copy: the restored log does not hold it.
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP).exists()


def test_a_refused_restore_leaves_no_restore_entry(data, tmp_path):
    call_command("backup_data", tmp_path / "backup", stdout=StringIO())
    (tmp_path / "backup" / "media.tar").write_bytes(b"damaged")

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore_data", tmp_path / "backup", "--yes")

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE).exists()
