"""Files kept on the server for one user between two requests (staged scans, payment lists to confirm).

Each is MEDIA_ROOT/<folder>/<token> with a sidecar <token>.json naming its owner and what the caller
records about it. A token is a random UUID bound to the user who stored the file: another user's token is
ignored, as is anything that is not a UUID (it never becomes part of a path).
"""

import json
import os
import time
import uuid
from pathlib import Path

from django.conf import settings


class KeptFiles:
    def __init__(self, folder: str):
        self.folder = folder

    def directory(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.folder

    def paths(self, token) -> tuple[Path, Path] | None:
        """The file and its sidecar for a token, or None when the token is not a UUID."""
        try:
            token = uuid.UUID(str(token)).hex
        except (ValueError, TypeError, AttributeError):
            return None
        directory = self.directory()
        return directory / token, directory / f"{token}.json"

    def store(self, *, user, content: bytes, sidecar: dict) -> str:
        """Keep the bytes for the user; returns the new token."""
        token = uuid.uuid4().hex
        content_path, sidecar_path = self.paths(token)
        content_path.parent.mkdir(parents=True, exist_ok=True)
        _write(content_path, content)
        _write(sidecar_path, json.dumps({"user": user.pk, **sidecar}, ensure_ascii=False).encode())
        return token

    def sidecar(self, *, user, token, max_age_seconds: float | None = None) -> dict | None:
        """What was recorded with the user's file (with "token"), or None: unknown, expired, malformed,
        another user's, or its bytes gone."""
        paths = self.paths(token)
        if paths is None or user is None or not user.is_authenticated:
            return None
        content_path, sidecar_path = paths
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
            if max_age_seconds is not None and time.time() - sidecar_path.stat().st_mtime > max_age_seconds:
                return None
        except (OSError, ValueError):
            return None
        if not isinstance(sidecar, dict) or sidecar.get("user") != user.pk or not content_path.exists():
            return None
        return {**sidecar, "token": content_path.name}

    def read(self, token) -> bytes | None:
        """The kept bytes, or None when they were removed meanwhile (a concurrent request, the cleanup)."""
        paths = self.paths(token)
        if paths is None:
            return None
        try:
            return paths[0].read_bytes()
        except OSError:
            return None

    def discard(self, token) -> None:
        for path in self.paths(token) or ():
            path.unlink(missing_ok=True)

    def cleanup(self, older_than_seconds: float) -> int:
        """Remove files (and sidecars) last written over `older_than_seconds` ago; returns how many."""
        directory = self.directory()
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


def _write(path: Path, content: bytes) -> None:
    # Written under a temporary name and renamed: a reader never sees half a file.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def display_name(name, default: str) -> str:
    """An uploaded file's name as shown back and recorded: the last path part, printable, 120 at most."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable())
    return name[:120] or default
