"""Uploaded payment lists kept between the preview and the confirmation.

Each is MEDIA_ROOT/payment_imports/<token> with a sidecar <token>.json naming its uploader, original name,
size and SHA-256. The token is a random UUID bound to the uploader: another user's token, or anything that
is not a UUID (it never becomes part of a path), finds nothing. A list holds personal numbers: it is
removed once applied, and a day after its upload at the latest.
"""

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from registration.services.staging import stale_files_remove

UPLOAD_DIR = "payment_imports"
MAX_AGE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class StoredUpload:
    token: str
    original_name: str
    size: int
    sha256: str
    uploaded_at: str


def _paths(token) -> tuple[Path, Path] | None:
    try:
        token = uuid.UUID(str(token)).hex
    except (ValueError, TypeError, AttributeError):
        return None
    directory = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    return directory / token, directory / f"{token}.json"


def _write(path: Path, content: bytes) -> None:
    # Written under a temporary name and renamed: a reader never sees half a file.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def payment_upload_store(*, user, original_name: str, content: bytes) -> StoredUpload:
    """Keep an uploaded list (already read successfully) for its uploader's confirmation."""
    payment_uploads_cleanup()
    token = uuid.uuid4().hex
    upload = StoredUpload(
        token=token,
        original_name=_display_name(original_name),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_at=timezone.now().isoformat(),
    )
    content_path, sidecar_path = _paths(token)
    content_path.parent.mkdir(parents=True, exist_ok=True)
    _write(content_path, content)
    sidecar = {"user": user.pk, **upload.__dict__}
    _write(sidecar_path, json.dumps(sidecar, ensure_ascii=False).encode())
    return upload


def payment_upload_get(*, user, token) -> StoredUpload | None:
    """The user's kept list for a token, or None (unknown, expired, malformed or another user's)."""
    paths = _paths(token)
    if paths is None or user is None or not user.is_authenticated:
        return None
    content_path, sidecar_path = paths
    try:
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        if time.time() - sidecar_path.stat().st_mtime > MAX_AGE_SECONDS:
            return None
    except (OSError, ValueError):
        return None
    if not isinstance(sidecar, dict) or sidecar.get("user") != user.pk or not content_path.exists():
        return None
    try:
        return StoredUpload(
            token=content_path.name,
            original_name=str(sidecar["original_name"]),
            size=int(sidecar["size"]),
            sha256=str(sidecar["sha256"]),
            uploaded_at=str(sidecar["uploaded_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def payment_upload_read(upload: StoredUpload) -> bytes | None:
    """The kept bytes, or None when they are gone or no longer the uploaded ones."""
    content_path, _ = _paths(upload.token)
    try:
        content = content_path.read_bytes()
    except OSError:
        return None
    return content if hashlib.sha256(content).hexdigest() == upload.sha256 else None


def payment_upload_discard(upload: StoredUpload) -> None:
    """Remove a kept list (after it was applied)."""
    for path in _paths(upload.token):
        path.unlink(missing_ok=True)


def payment_uploads_cleanup(older_than_seconds: int = MAX_AGE_SECONDS) -> int:
    """Remove kept lists older than a day; returns the files removed."""
    return stale_files_remove(Path(settings.MEDIA_ROOT) / UPLOAD_DIR, older_than_seconds)


def _display_name(name: str) -> str:
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable())
    return name[:120] or "缴费名单"
