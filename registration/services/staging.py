"""Uploads kept between a failed submit and the next one, so that the clerk does not scan a page twice.

Each staged file is MEDIA_ROOT/staging/<token> with a sidecar <token>.json naming its owner, kind and
original name. A token is a random UUID, bound to the user who uploaded it: another user's token is
ignored, as is anything that is not a UUID (it never becomes part of a path).
"""

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from registration.models import Material
from registration.services.materials import material_clean

STAGING_DIR = "staging"


@dataclass(frozen=True)
class StagedFile:
    token: str
    kind: str
    original_name: str
    content_type: str
    size: int


def _directory() -> Path:
    return Path(settings.MEDIA_ROOT) / STAGING_DIR


def _paths(token: str) -> tuple[Path, Path] | None:
    try:
        token = uuid.UUID(str(token)).hex
    except (ValueError, TypeError, AttributeError):
        return None
    directory = _directory()
    return directory / token, directory / f"{token}.json"


def _write(path: Path, content: bytes) -> None:
    # Written under a temporary name and renamed: a reader never sees half a file.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def staging_store(*, user, kind: str, original_name: str, content: bytes) -> StagedFile:
    """Keep one valid upload for the user's next submit; ValidationError (Chinese) for a bad file."""
    if kind not in Material.Kind.values:
        raise ValueError(f"unknown material kind {kind!r}")
    # Cleaned already here: a staged photo's GPS position never rests on the disk (services/materials.py).
    content_type, content = material_clean(content, max_bytes=settings.MATERIAL_MAX_BYTES)
    token = uuid.uuid4().hex
    staged = StagedFile(token, kind, _display_name(original_name), content_type, len(content))
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    content_path, sidecar_path = _paths(token)
    _write(content_path, content)
    sidecar = {
        "user": user.pk,
        "kind": kind,
        "original_name": staged.original_name,
        "content_type": content_type,
        "size": staged.size,
    }
    _write(sidecar_path, json.dumps(sidecar, ensure_ascii=False).encode())
    return staged


def staging_get(*, user, token) -> StagedFile | None:
    """The user's staged file for a token, or None (unknown, expired, malformed or another user's)."""
    paths = _paths(token)
    if paths is None or user is None or not user.is_authenticated:
        return None
    content_path, sidecar_path = paths
    try:
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(sidecar, dict) or sidecar.get("user") != user.pk or not content_path.exists():
        return None
    try:
        return StagedFile(
            token=content_path.name,
            kind=str(sidecar["kind"]),
            original_name=str(sidecar["original_name"]),
            content_type=str(sidecar["content_type"]),
            size=int(sidecar["size"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def staging_read(staged: StagedFile) -> bytes | None:
    """The staged file's bytes, or None when it was removed meanwhile (a concurrent submit, the cleanup)."""
    content_path, _ = _paths(staged.token)
    try:
        return content_path.read_bytes()
    except OSError:
        return None


def staging_discard(*, user, token) -> None:
    """Remove the user's staged file (after it was saved with a registration, or replaced)."""
    if staging_get(user=user, token=token) is None:
        return
    for path in _paths(token):
        path.unlink(missing_ok=True)


def staging_cleanup(older_than: timedelta = timedelta(days=1)) -> int:
    """Remove staged files (and sidecars) last written more than `older_than` ago; returns files removed."""
    return stale_files_remove(_directory(), older_than.total_seconds())


def stale_files_remove(directory: Path, older_than_seconds: float) -> int:
    """Remove the files of a directory last written more than `older_than_seconds` ago; returns how many."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed by a concurrent request or cleanup
            continue
    return removed


def _display_name(name: str) -> str:
    # Only shown back to the clerk and kept as Material.original_name: the last path part, printable.
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable())
    return name[:120] or "文件"
