"""The OpenAPI document: valid, listing every endpoint; the docs served from our own static files."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from openapi_spec_validator import validate

from registration.api.throttles import ClientRateThrottle
from registration.services.api_clients import api_client_create
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


# Every address a page can load from: src/href attributes, CSS url() and @import, and any absolute URL
# elsewhere (an inline script's, a preconnect hint's).
_ADDRESSES = re.compile(
    r"""(?:\b(?:src|href|srcset|action)\s*=\s*["']?([^"'\s>]+))"""
    r"""|(?:url\(\s*["']?([^"')\s]+))|(?:@import\s+["']([^"']+))|(https?://[^"'\s<>)]+)""",
    re.IGNORECASE,
)


def _foreign_addresses(html: str, host: str) -> list[str]:
    """The addresses in `html` that are not this site's own (relative, or on `host`)."""
    foreign = []
    for match in _ADDRESSES.finditer(html):
        address = next(group for group in match.groups() if group)
        parts = urlsplit(address)
        if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", host):
            foreign.append(address)
    return foreign


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/redoc"])
def test_the_docs_load_nothing_from_the_internet(client, path):
    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert _foreign_addresses(page, host="testserver") == []
    assert "googleapis" not in page and "gstatic" not in page


def test_the_redoc_page_lets_the_browser_load_images_and_fonts_from_this_site_only(client):
    """The ReDoc bundle draws Redocly's logo from its CDN whatever its options (the sidebar's footer): the
    page's policy keeps the browser from asking the internet for it."""
    page = client.get("/api/v1/redoc").content.decode()
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)

    assert policy is not None
    directives = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["font-src"] == "'self' data:" and directives["connect-src"] == "'self'"


def test_the_redoc_page_uses_the_apps_own_fonts(client):
    page = client.get("/api/v1/redoc").content.decode()

    assert "/static/css/fonts.css" in page
    assert "var(--app-font-sans)" in page  # ReDoc's theme, instead of Montserrat and Roboto


@pytest.mark.parametrize(
    "html",
    [
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Roboto">',
        '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
        '<script src="//cdn.jsdelivr.net/npm/redoc/bundles/redoc.standalone.js"></script>',
        "<style>@import 'http://example.com/a.css';</style>",
        '<style>body { background: url("https://example.com/a.png"); }</style>',
        '<script>fetch("https://example.com/telemetry")</script>',
    ],
)
def test_the_check_finds_an_address_on_another_host(html):
    assert _foreign_addresses(html, host="testserver") != []


def test_the_check_accepts_the_sites_own_addresses():
    html = '<script src="/static/a.js"></script><a href="http://testserver/api/v1/openapi.json">'

    assert _foreign_addresses(html, host="testserver") == []


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
