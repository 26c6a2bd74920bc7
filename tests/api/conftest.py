"""API clients of two hospitals and of the 医保中心, and a REST client that sends a key."""

from datetime import timedelta

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from registration.models import Hospital
from registration.services.api_clients import api_client_create
from tests import factories

ALL_HOSPITAL_SCOPES = ["births:write", "records:read", "coverage:read"]


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def hospital(db) -> Hospital:
    factories.division_chain()
    factories.agency_make()
    return factories.hospital_make()


@pytest.fixture
def other_hospital(hospital) -> Hospital:
    return factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")


@pytest.fixture
def his(hospital):
    """The first hospital's information system, with every hospital scope: (client, key)."""
    return api_client_create(name="一院HIS", hospital=hospital, scopes=ALL_HOSPITAL_SCOPES)


@pytest.fixture
def api(his) -> APIClient:
    return bearer(his[1])


@pytest.fixture
def other_api(other_hospital) -> APIClient:
    _, key = api_client_create(name="二院HIS", hospital=other_hospital, scopes=ALL_HOSPITAL_SCOPES)
    return bearer(key)


@pytest.fixture
def centre(db):
    """The 医保中心's system: no hospital, payments and coverage."""
    return api_client_create(name="医保中心缴费", hospital=None, scopes=["payments:write", "coverage:read"])


@pytest.fixture
def centre_api(centre) -> APIClient:
    return bearer(centre[1])


def birth_body(**overrides) -> dict:
    """A valid POST /api/v1/births body: twin girls of 覃小梅, born four days before TODAY."""
    born = (factories.TODAY - timedelta(days=4)).isoformat()
    body = {
        "community": "450103001001",
        "route": "parent_id",
        "parent_role": "mother",
        "mother": {"name": "覃小梅", "id_number": factories.MOTHER_ID, "phone": "13877112345"},
        "father": {"name": "韦大海", "id_number": factories.FATHER_ID, "phone": "13977154321"},
        "babies": [{"sex": "female", "birth_date": born}, {"sex": "female", "birth_date": born}],
        "ethnicity": "08",
        "nationality": "CHN",
        "household_type": "30",
        "household_address": "广西南宁市青秀区新竹路1号",
        "phone": "13877112345",
        "birth_hospital_name": "南宁市第一人民医院",
        "no_household_registration": True,
        "parent_has_guangxi_household": True,
        "materials_deferred": True,
        "confirm": [],
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def _media_url_while_the_server_starts():
    """Django's live server reads MEDIA_URL once, at its start, and breaks on this project's None
    (as in tests/e2e/conftest.py)."""
    original = settings.MEDIA_URL
    settings.MEDIA_URL = "http://media.invalid/"
    return original


@pytest.fixture(scope="session")
def live_server(_media_url_while_the_server_starts, live_server):
    settings.MEDIA_URL = _media_url_while_the_server_starts
    return live_server
