"""services/storage.py: the storage guard that turns the object storage's failures into one exception."""

import pytest


def test_the_storage_guard_names_botocores_failures_in_one_exception():
    from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

    from registration.services.storage import StorageUnavailable, storage_guard

    def client_error(status: int, code: str) -> ClientError:
        return ClientError(
            {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject"
        )

    for error in (
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
        client_error(503, "SlowDown"),
        client_error(500, "InternalError"),
        client_error(404, "NoSuchBucket"),
    ):
        with pytest.raises(StorageUnavailable), storage_guard("test"):
            raise error
    with (
        pytest.raises(FileNotFoundError),
        storage_guard("test"),
    ):  # a missing object, as the filesystem says it
        raise client_error(404, "NoSuchKey")
    with pytest.raises(ValueError), storage_guard("test"):  # anything else is not the store's failure
        raise ValueError("a bug")
