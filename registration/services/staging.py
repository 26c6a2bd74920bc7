"""Uploads kept between a failed submit and the next one, so that the clerk does not scan a page twice.

Each staged file is MEDIA_ROOT/staging/<token> with a sidecar naming its owner, kind and original name
(services/kept_files.py): a token is bound to the user who uploaded it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from registration.models import Material
from registration.services.kept_files import KeptFiles, display_name
from registration.services.materials import material_clean

STAGING_DIR = "staging"
_kept = KeptFiles(STAGING_DIR)


@dataclass(frozen=True)
class StagedFile:
    token: str
    kind: str
    original_name: str
    content_type: str
    size: int


def staging_store(*, user, kind: str, original_name: str, content: bytes) -> StagedFile:
    """Keep one valid upload for the user's next submit; ValidationError (Chinese) for a bad file."""
    if kind not in Material.Kind.values:
        raise ValueError(f"unknown material kind {kind!r}")
    # Cleaned already here: a staged photo's GPS position never rests on the disk (services/materials.py).
    content_type, content = material_clean(content, max_bytes=settings.MATERIAL_MAX_BYTES)
    name = display_name(original_name, "文件")
    sidecar = {"kind": kind, "original_name": name, "content_type": content_type, "size": len(content)}
    token = _kept.store(user=user, content=content, sidecar=sidecar)
    return StagedFile(token, kind, name, content_type, len(content))


def staging_get(*, user, token) -> StagedFile | None:
    """The user's staged file for a token, or None (unknown, expired, malformed or another user's)."""
    sidecar = _kept.sidecar(user=user, token=token)
    if sidecar is None:
        return None
    try:
        return StagedFile(
            token=sidecar["token"],
            kind=str(sidecar["kind"]),
            original_name=str(sidecar["original_name"]),
            content_type=str(sidecar["content_type"]),
            size=int(sidecar["size"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def staging_read(staged: StagedFile) -> bytes | None:
    """The staged file's bytes, or None when it was removed meanwhile (a concurrent submit, the cleanup)."""
    return _kept.read(staged.token)


def staging_discard(*, user, token) -> None:
    """Remove the user's staged file (after it was saved with a registration, or replaced)."""
    if staging_get(user=user, token=token) is not None:
        _kept.discard(token)


def staging_cleanup(older_than: timedelta = timedelta(days=1)) -> int:
    """Remove staged files (and sidecars) last written more than `older_than` ago; returns files removed."""
    return _kept.cleanup(older_than.total_seconds())
