"""Uploaded payment lists kept between the preview and the confirmation.

Each is MEDIA_ROOT/payment_imports/<token> with a sidecar <token>.json naming its uploader, original name,
size and SHA-256. The token is a random UUID bound to the uploader: another user's token, or anything that
is not a UUID (it never becomes part of a path), finds nothing. A list holds personal numbers: it is
removed once applied, and a day after its upload at the latest.
"""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from registration.services.kept_files import KeptFiles, display_name

UPLOAD_DIR = "payment_imports"
MAX_AGE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class StoredUpload:
    token: str
    original_name: str
    size: int
    sha256: str
    uploaded_at: str


_kept = KeptFiles(UPLOAD_DIR)


def payment_upload_store(*, user, original_name: str, content: bytes) -> StoredUpload:
    """Keep an uploaded list (already read successfully) for its uploader's confirmation."""
    payment_uploads_cleanup()
    fields = {
        "original_name": display_name(original_name, "缴费名单"),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "uploaded_at": timezone.now().isoformat(),
    }
    token = _kept.store(user=user, content=content, sidecar=fields)
    return StoredUpload(token=token, **fields)


def payment_upload_get(*, user, token) -> StoredUpload | None:
    """The user's kept list for a token, or None (unknown, expired, malformed or another user's)."""
    sidecar = _kept.sidecar(user=user, token=token, max_age_seconds=MAX_AGE_SECONDS)
    if sidecar is None:
        return None
    try:
        return StoredUpload(
            token=sidecar["token"],
            original_name=str(sidecar["original_name"]),
            size=int(sidecar["size"]),
            sha256=str(sidecar["sha256"]),
            uploaded_at=str(sidecar["uploaded_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def payment_upload_read(upload: StoredUpload) -> bytes | None:
    """The kept bytes, or None when they are gone or no longer the uploaded ones."""
    content = _kept.read(upload.token)
    if content is None:
        return None
    return content if hashlib.sha256(content).hexdigest() == upload.sha256 else None


def payment_upload_discard(upload: StoredUpload) -> None:
    """Remove a kept list (after it was applied)."""
    _kept.discard(upload.token)


def payment_uploads_cleanup(older_than_seconds: int = MAX_AGE_SECONDS) -> int:
    """Remove kept lists older than a day; returns the files removed."""
    return _kept.cleanup(older_than_seconds)
