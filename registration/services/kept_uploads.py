"""Files kept for one user between two requests: a failed submit's scans, a payment list to confirm.

Each is a KeptUpload row (owner, kind, token, created, what the page shows of it) with its file in the
default storage under a random name. Only the storage API touches the file (save, open, delete, listdir),
so any backend serves, the local filesystem as well as an object storage shared by several app nodes: the
preview and the confirmation of a payment list may reach different nodes.

A token is the hex of a random UUID and finds a row only together with its owner: another user's token,
or anything that is not a UUID, finds nothing. A kept scan is cleaned (services/materials.py) before it is
stored: a photo's GPS position never rests in the storage. A payment list holds personal numbers: it is
removed once applied, and a day after its upload at the latest.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from registration.models import KeptUpload, Material
from registration.services.materials import material_clean
from registration.services.storage import storage_delete_quietly, storage_guard, storage_read

KEPT_DIR = "kept"  # KeptUpload.file's upload_to
# Where versions before KeptUpload kept them, files with JSON sidecars and no rows: swept like orphans.
LEGACY_DIRS = ("staging", "payment_imports")
PAYMENT_LIST_MAX_AGE = timedelta(days=1)
SCAN_MAX_AGE = timedelta(days=1)  # clean_staging's default; a clerk may correct a form for hours


def display_name(name, default: str) -> str:
    """An uploaded file's name as shown back and recorded: the last path part, printable, 120 at most."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable())
    return name[:120] or default


def _store(*, user, kind: str, content: bytes, original_name: str, **fields) -> KeptUpload:
    upload = KeptUpload(
        token=uuid.uuid4().hex,
        owner=user,
        kind=kind,
        original_name=original_name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        **fields,
    )
    # The file first, under its own random name (never the token, never the uploaded name), then its row.
    with storage_guard("keep"):  # a store that is down: StorageUnavailable, no row
        upload.file.save(uuid.uuid4().hex, ContentFile(content), save=False)
    try:
        upload.save()
    except BaseException:
        _file_delete(upload.file.name)
        raise
    return upload


def kept_scan_store(*, user, material_kind: str, original_name: str, content: bytes) -> KeptUpload:
    """Keep one valid scan for the user's next submit; ValidationError (Chinese) for a bad file."""
    if material_kind not in Material.Kind.values:
        raise ValueError(f"unknown material kind {material_kind!r}")
    content_type, content = material_clean(content, max_bytes=settings.MATERIAL_MAX_BYTES)
    return _store(
        user=user,
        kind=KeptUpload.Kind.SCAN,
        content=content,
        original_name=display_name(original_name, "文件"),
        material_kind=material_kind,
        content_type=content_type,
    )


def kept_payment_list_store(*, user, original_name: str, content: bytes) -> KeptUpload:
    """Keep an uploaded payment list (already read successfully) for its uploader's confirmation."""
    _expired_remove(KeptUpload.Kind.PAYMENT_LIST, PAYMENT_LIST_MAX_AGE)  # a list holds personal numbers
    return _store(
        user=user,
        kind=KeptUpload.Kind.PAYMENT_LIST,
        content=content,
        original_name=display_name(original_name, "缴费名单"),
    )


def _token(token) -> str | None:
    try:
        return uuid.UUID(str(token)).hex
    except (ValueError, TypeError, AttributeError):
        return None


def _get(*, user, token, kind: str, max_age: timedelta | None = None) -> KeptUpload | None:
    token = _token(token)
    if token is None or user is None or not user.is_authenticated:
        return None
    uploads = KeptUpload.objects.filter(token=token, owner=user, kind=kind)
    if max_age is not None:
        uploads = uploads.filter(created__gte=timezone.now() - max_age)
    return uploads.first()


def kept_scan_get(*, user, token) -> KeptUpload | None:
    """The user's kept scan for a token, or None (unknown, malformed, removed or another user's)."""
    return _get(user=user, token=token, kind=KeptUpload.Kind.SCAN)


def kept_payment_list_get(*, user, token) -> KeptUpload | None:
    """The user's kept payment list for a token, or None (unknown, over a day old or another user's)."""
    return _get(user=user, token=token, kind=KeptUpload.Kind.PAYMENT_LIST, max_age=PAYMENT_LIST_MAX_AGE)


def kept_upload_read(upload: KeptUpload) -> bytes | None:
    """The kept bytes, or None when they are gone (a concurrent request, the cleanup) or not the kept ones.

    Raises StorageUnavailable when the store cannot be reached: the upload is kept for a later submit.
    """
    try:
        content = storage_read(upload.file.name, storage=upload.file.storage)
    except (OSError, ValueError):
        return None
    return content if hashlib.sha256(content).hexdigest() == upload.sha256 else None


def kept_upload_discard(upload: KeptUpload) -> None:
    """Remove a kept upload, row and file (it was used, or replaced by a newer one)."""
    KeptUpload.objects.filter(pk=upload.pk).delete()
    _file_delete(upload.file.name)


def _file_delete(name: str) -> None:
    # FileNotFoundError: removed meanwhile by a concurrent request or the cleanup; StorageUnavailable: the
    # file stays as an orphan, for the cleanup's next run (kept_uploads_clean).
    storage_delete_quietly(name, storage=KeptUpload._meta.get_field("file").storage)


@dataclass(frozen=True)
class KeptCleanup:
    scans: int
    payment_lists: int
    orphans: int


def kept_uploads_clean(
    *, scans_older_than: timedelta = SCAN_MAX_AGE, payment_lists_older_than: timedelta = PAYMENT_LIST_MAX_AGE
) -> KeptCleanup:
    """Remove the kept uploads nobody came back to, rows and files, and kept files that lost their row.

    An orphan is a file under kept/ without a row (its request failed between the two writes, or its row
    went with its owner), or one left by an older version under staging/ or payment_imports/; it is
    removed once it is as old as an expired scan, so that a file whose row is being written now stays.
    """
    scans = _expired_remove(KeptUpload.Kind.SCAN, scans_older_than)
    payment_lists = _expired_remove(KeptUpload.Kind.PAYMENT_LIST, payment_lists_older_than)
    orphans = _orphans_clean(timezone.now() - min(scans_older_than, payment_lists_older_than))
    return KeptCleanup(scans, payment_lists, orphans)


def _expired_remove(kind: str, older_than: timedelta) -> int:
    removed = 0
    for upload in KeptUpload.objects.filter(kind=kind, created__lt=timezone.now() - older_than).iterator():
        deleted, _ = KeptUpload.objects.filter(pk=upload.pk).delete()  # 0: a concurrent cleanup was first
        if deleted:
            _file_delete(upload.file.name)
            removed += 1
    return removed


def _orphans_clean(cutoff: datetime) -> int:
    storage = KeptUpload._meta.get_field("file").storage
    names = {name for directory in (KEPT_DIR, *LEGACY_DIRS) for name in storage_files(storage, directory)}
    if not names:
        return 0
    names -= set(KeptUpload.objects.filter(file__in=names).values_list("file", flat=True))
    removed = 0
    for name in sorted(names):
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue
        except NotImplementedError:  # a storage that keeps no times: its orphans stay
            return removed
        except FileNotFoundError:
            continue
        _file_delete(name)
        removed += 1
    return removed


def storage_files(storage, directory: str = "") -> list[str]:
    """Every file's name under `directory` of a storage, through its listdir (any backend), sorted."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return []
    prefix = f"{directory.rstrip('/')}/" if directory else ""
    names = [f"{prefix}{name}" for name in files]
    for child in directories:
        names += storage_files(storage, f"{prefix}{child}")
    return sorted(names)
