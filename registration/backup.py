"""Backup and restore of the database and the file storage, with the database's own tools.

A backup is a directory:

    manifest.json      what it holds: the database vendor, every file with its size and SHA-256
    database.sqlite3   SQLite: a consistent copy made with SQLite's online backup API, or
    database.pgdump    PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`
    media.tar          every file of the default storage (the materials, the kept uploads of their rows)

The files are read and written through Django's storage API only (listdir, open, save, delete), so a
backup works the same on the local filesystem and on an object storage. A restore checks every checksum
before it touches anything, then replaces the database and the storage's files: each file of the backup
is written back unless the storage holds it already, and a file the backup does not hold is deleted.
The audit log's triggers travel with the database (they are part of the schema).
"""

import getpass
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.db import connections
from django.utils import timezone

from registration.models import AuditEntry
from registration.services.audit import audit_record
from registration.services.kept_uploads import storage_files

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
SPOOL_BYTES = 16 * CHUNK  # a file read from the storage waits in memory up to this size, then on disk


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    vendor: str
    media_files: int
    database_bytes: int


FILE_MODE = 0o600  # the families' data in full: readable by the account that made the backup, no one else


def _private_file(path: Path) -> Path:
    """Create an empty file only its owner may read or write, before anything is written into it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    return path


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return _stream_sha256(handle)


def _stream_sha256(handle) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _storage():
    """The storage of the materials and the kept uploads (their FileFields name no other)."""
    return default_storage


def _media_archive(archive: tarfile.TarFile, storage) -> dict[str, dict]:
    """Every file of the storage into the archive; the manifest's entries (size, SHA-256) by name."""
    entries = {}
    for name in storage_files(storage):
        digest = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:
            try:
                with storage.open(name, "rb") as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        copy.write(chunk)
            except FileNotFoundError:  # a kept upload used or cleaned meanwhile: its row is gone too
                continue
            size = copy.tell()
            copy.seek(0)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = size, FILE_MODE, int(time.time())
            archive.addfile(info, copy)
        entries[name] = {"size": size, "sha256": digest.hexdigest()}
    return entries


def _pg_environment(database: dict) -> tuple[list[str], dict]:
    arguments = []
    if database.get("HOST"):
        arguments += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        arguments += ["--port", str(database["PORT"])]
    if database.get("USER"):
        arguments += ["--username", str(database["USER"])]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])  # never on the command line
    return arguments, environment


def _run(command: list[str], environment: dict) -> None:
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _database_backup(alias: str, target: Path) -> str:
    connection = connections[alias]
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # a consistent copy, even while others write
        finally:
            destination.close()
    elif vendor == "postgresql":
        database = connection.settings_dict
        arguments, environment = _pg_environment(database)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *arguments, database["NAME"]],
            environment,
        )
    else:
        raise BackupError(f"backups of a {vendor} database are not supported")
    return vendor


def backup_create(path: Path, *, alias: str = "default") -> BackupSummary:
    """Write a backup of the database and the storage's files into the new directory `path`."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already: a backup never overwrites another")
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"backups of a {vendor} database are not supported")
    partial = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex}")
    partial.mkdir(parents=True, mode=0o700)
    try:
        # Created 0600 first: sqlite3, pg_dump and tarfile write into the file and keep its mode.
        database_file = _private_file(partial / DATABASE_FILES[vendor])
        _database_backup(alias, database_file)
        with (
            _private_file(partial / MEDIA_TAR).open("wb") as handle,
            tarfile.open(fileobj=handle, mode="w") as archive,
        ):
            media = _media_archive(archive, _storage())
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "database": {"file": database_file.name, "sha256": _sha256(database_file)},
            "media_tar": {"file": MEDIA_TAR, "sha256": _sha256(partial / MEDIA_TAR)},
            "media": media,
        }
        _private_file(partial / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        for file in partial.iterdir():
            file.chmod(FILE_MODE)  # whatever a tool did to the mode on the way
        partial.rename(path)  # a backup directory is complete or absent
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    summary = BackupSummary(path, vendor, len(media), (path / DATABASE_FILES[vendor]).stat().st_size)
    # Written after the copy, so the live database holds it (the backup cannot hold its own making).
    _audit(AuditEntry.Action.BACKUP, summary, manifest)
    return summary


def _manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} is not a readable backup: {error}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


def _verify(path: Path, entry: dict) -> Path:
    file = path / entry["file"]
    if not file.is_file() or _sha256(file) != entry["sha256"]:
        raise BackupError(f"{file} is missing or damaged (its SHA-256 does not match the manifest)")
    return file


def _media_check(archive_path: Path, manifest: dict) -> None:
    """The archive holds exactly the manifest's files, each with its checksum; BackupError otherwise."""
    mismatch = BackupError("media.tar does not hold exactly the files the manifest lists")
    found = set()
    with tarfile.open(archive_path) as archive:
        for member in archive:
            if not member.isfile() or member.name not in manifest["media"] or member.name in found:
                raise mismatch
            try:
                validate_file_name(member.name, allow_relative_path=True)  # no absolute path, no ".."
            except SuspiciousFileOperation:
                raise mismatch from None
            if _stream_sha256(archive.extractfile(member)) != manifest["media"][member.name]["sha256"]:
                raise BackupError(
                    f"material {member.name} is damaged (its SHA-256 does not match the manifest)"
                )
            found.add(member.name)
    if found != set(manifest["media"]):
        raise mismatch


def _media_restore(archive_path: Path, manifest: dict, storage) -> None:
    """The storage's files made the backup's: written back where they differ, the others deleted."""
    with tarfile.open(archive_path) as archive:
        for member in archive:
            if _stored_already(storage, member.name, manifest["media"][member.name]):
                continue
            if storage.exists(member.name):
                storage.delete(member.name)
            content = File(archive.extractfile(member), name=member.name)
            content.size = member.size  # File would try the member's name as a path on this disk
            saved = storage.save(member.name, content)
            if saved != member.name:
                raise BackupError(f"the storage saved {member.name} as {saved}; the restore is incomplete")
    for name in storage_files(storage):
        if name not in manifest["media"]:
            storage.delete(name)


def _stored_already(storage, name: str, expected: dict) -> bool:
    try:
        if storage.size(name) != expected["size"]:
            return False
        with storage.open(name, "rb") as handle:
            return _stream_sha256(handle) == expected["sha256"]
    except FileNotFoundError:
        return False


def _database_restore(alias: str, source: Path, vendor: str) -> None:
    connection = connections[alias]
    if connection.vendor != vendor:
        raise BackupError(f"the backup is of a {vendor} database, this site uses {connection.vendor}")
    if vendor == "sqlite":
        connection.ensure_connection()
        origin = sqlite3.connect(source)
        try:
            origin.backup(connection.connection)  # replaces every page of the database, schema included
        finally:
            origin.close()
        connection.close()
        return
    database = connection.settings_dict
    connection.close()  # pg_restore drops the tables: no connection of ours may hold a lock on them
    arguments, environment = _pg_environment(database)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            database["NAME"],
            *arguments,
            str(source),
        ],
        environment,
    )


def backup_restore(path: Path, *, alias: str = "default") -> BackupSummary:
    """Replace the database and the storage's files with a backup's, after checking every checksum."""
    path = Path(path)
    manifest = _manifest(path)
    vendor = manifest["vendor"]
    database_file = _verify(path, manifest["database"])
    media_tar = _verify(path, manifest["media_tar"])
    _media_check(media_tar, manifest)
    _database_restore(alias, database_file, vendor)
    _media_restore(media_tar, manifest, _storage())
    summary = BackupSummary(path, vendor, len(manifest["media"]), database_file.stat().st_size)
    # Written into the restored database: the entries made since the backup are gone with the old one,
    # and this one says so.
    _audit(AuditEntry.Action.RESTORE, summary, manifest)
    return summary


def _audit(action: str, summary: BackupSummary, manifest: dict) -> None:
    audit_record(
        user=None,
        action=action,
        username=f"{'backup_data' if action == AuditEntry.Action.BACKUP else 'restore_data'} ({_os_user()})",
        reason=str(summary.path)[:500],
        detail={
            "path": str(summary.path),
            "vendor": summary.vendor,
            "media_files": summary.media_files,
            "database_bytes": summary.database_bytes,
            "backup_created_at": manifest["created_at"],
            "database_sha256": manifest["database"]["sha256"],
        },
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
