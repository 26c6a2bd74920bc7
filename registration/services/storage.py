"""The file storage's failures as one exception, StorageUnavailable, for the pages and the API to answer.

Every kept file (a scan, a kept upload, /readyz's probe) goes through Django's storage API. The filesystem
raises OSError; the object store's backend (django-storages over boto3) lets botocore's own errors through:
EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, a ClientError with a 5xx status, … which
are neither OSError nor ValidationError. `storage_guard` turns them into StorageUnavailable (a missing
object into FileNotFoundError, as the filesystem says it), so that a page keeps what the clerk typed and
says the scans could not be stored, and the API answers 503 with Retry-After. The client's timeouts and
retries are bounded in the settings (NEWBORN_S3_CONNECT_TIMEOUT, NEWBORN_S3_READ_TIMEOUT,
NEWBORN_S3_MAX_ATTEMPTS), so a hung store costs one clear error per request.
"""

import contextlib
import logging
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage

logger = logging.getLogger(__name__)

# What a client is told to wait before trying again (the API's Retry-After, the pages' 503).
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "文件存储服务暂时不可用，请稍后再试。"


class StorageUnavailable(Exception):
    """The file storage cannot be reached, timed out or answered with an error: try again later."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE):
        super().__init__(message)


def _botocore_errors():
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # no object store in this installation: nothing to translate
        return None, None
    return BotoCoreError, ClientError


@contextlib.contextmanager
def storage_guard(action: str) -> Iterator[None]:
    """Run a storage call: botocore's errors become StorageUnavailable (or FileNotFoundError for a 404)."""
    boto_error, client_error = _botocore_errors()
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as exc:
        if client_error is not None and isinstance(exc, client_error):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 and exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise FileNotFoundError(f"{action}: no such object") from exc
            # 5xx, a missing bucket, refused credentials: the store cannot serve the app now.
        elif boto_error is None or not isinstance(exc, boto_error):
            raise
        logger.warning("file storage unavailable (%s): %s: %s", action, type(exc).__name__, exc)
        raise StorageUnavailable() from exc


def storage_save(name: str, content: bytes, *, storage: Storage | None = None) -> str:
    """Write `content` under `name` (or a free name near it); the name stored."""
    storage = storage or default_storage
    with storage_guard("save"):
        return storage.save(name, ContentFile(content))


def storage_open(name: str, *, storage: Storage | None = None):
    """A stored file opened for reading, its content already fetched: an object store's failure is raised
    here, as StorageUnavailable, not half-way through a response that streams it."""
    storage = storage or default_storage
    with storage_guard("open"):
        handle = storage.open(name, "rb")
        try:
            handle.read(1)
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
    return handle


def storage_read(name: str, *, storage: Storage | None = None) -> bytes:
    """A stored file's bytes."""
    with storage_open(name, storage=storage) as handle, storage_guard("read"):
        return handle.read()


def storage_delete(name: str, *, storage: Storage | None = None) -> None:
    """Remove a stored file; StorageUnavailable when the store cannot be reached."""
    storage = storage or default_storage
    with storage_guard("delete"):
        storage.delete(name)


def storage_delete_quietly(name: str, *, storage: Storage | None = None) -> None:
    """Remove a file left by a write that failed; a store that is down leaves it to the orphan sweep."""
    with contextlib.suppress(FileNotFoundError, StorageUnavailable):
        storage_delete(name, storage=storage)
