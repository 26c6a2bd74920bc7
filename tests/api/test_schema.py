"""The OpenAPI document: valid, listing every endpoint; the docs served from our own static files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from openapi_spec_validator import validate

from registration.api.clients import api_client_create
from registration.api.throttles import ClientRateThrottle
from tests import factories
from tests.api.test_access import ENDPOINTS

PATHS = {
    "/api/v1/births": {"post"},
    "/api/v1/newborns": {"get"},
    "/api/v1/newborns/{identity}": {"get"},
    "/api/v1/newborns/{identity}/materials": {"post"},
    "/api/v1/coverage": {"get"},
    "/api/v1/payments": {"post"},
}


def test_the_document_is_valid_openapi_3_and_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    assert document["openapi"].startswith("3.")
    assert {path: set(ops) - {"parameters"} for path, ops in document["paths"].items()} == PATHS
    assert len(ENDPOINTS) == len(PATHS)  # the access tests cover each of them
    assert document["components"]["securitySchemes"]["bearerKey"]["scheme"] == "bearer"
    births = document["paths"]["/api/v1/births"]["post"]
    assert {"201", "409", "422", "401", "403", "429"} <= set(births["responses"])
    page = document["paths"]["/api/v1/newborns"]["get"]["responses"]["200"]["content"]["application/json"]
    assert page["schema"]["$ref"].endswith("/NewbornPage")


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/redoc"])
def test_the_docs_load_nothing_from_the_internet(client, path):
    page = client.get(path).content.decode()

    assert "/static/drf_spectacular_sidecar/" in page
    assert "//cdn" not in page and "unpkg" not in page and "jsdelivr" not in page


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error(live_server, monkeypatch, tmp_path):
    """Fuzz every operation from the document against a live server, as a hospital and as the 医保中心."""
    monkeypatch.setattr(ClientRateThrottle, "rate", "100000/min", raising=False)
    factories.division_chain()
    factories.agency_make()
    hospital = factories.hospital_make()
    _, his_key = api_client_create(
        name="HIS", hospital=hospital, scopes=["births:write", "records:read", "coverage:read"]
    )
    _, centre_key = api_client_create(name="中心", hospital=None, scopes=["payments:write", "coverage:read"])
    # The document is read once here and handed over as a file: generating it takes seconds on a busy machine.
    document = tmp_path / "openapi.json"
    document.write_bytes(Client().get("/api/v1/openapi.json").content)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    for key, only in ((his_key, []), (centre_key, ["--include-path", "/api/v1/payments"])):
        result = subprocess.run(
            [
                str(schemathesis),
                "run",
                str(document),
                "--url",
                live_server.url,
                "--checks",
                "not_a_server_error",
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                "5",
                "--seed",
                "16",
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "-H",
                f"Authorization: Bearer {key}",
                "--no-color",
                *only,
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
