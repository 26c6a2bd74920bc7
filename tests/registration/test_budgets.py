"""The budgets of the lookups that consult other hospitals' records (docs/privacy.md, Budgets): per user or
API client, per hospital, per address; counted atomically in the database (racing threads on
PostgreSQL); refused with a 429 in Chinese and Retry-After on the pages and the API."""

from collections import Counter

import pytest
from django.db import connection

from registration.services.api_clients import api_client_create
from tests import factories
from tests.api.conftest import ALL_HOSPITAL_SCOPES, bearer, birth_body
from tests.factories import MOTHER_ID
from tests.registration.services.test_budgets import _race
from tests.registration.views.test_register import URL, form_data

pytestmark = pytest.mark.django_db

PREVIEW = "/register/preview"


# --- atomic, shared by every node: racing threads on PostgreSQL -----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_coverage_checks_of_one_hospital_stay_within_its_budget(settings):
    # The finding: a second key from the same hospital and address went on, and 8 threads × 15 requests
    # got 72 through a limit of 60. Now the hospital's day budget holds across its keys, counted at once.
    assert connection.vendor == "postgresql"
    settings.COVERAGE_RATE_HOSPITAL = "20/d"
    factories.division_chain()
    hospital = factories.hospital_make()
    keys = [
        api_client_create(name=f"结算窗口{index}", hospital=hospital, scopes=["coverage:read"])[1]
        for index in range(2)
    ]
    body = {"code": MOTHER_ID + "X", "birth_date": "2026-02-26"}

    def check(index):
        return bearer(keys[index % 2]).post("/api/v1/coverage", body, format="json").status_code

    outcomes = _race(5, check)

    assert outcomes == Counter({404: 20, 429: 20})


# --- the pages ----------------------------------------------------------------------------------------


def test_the_preview_is_refused_past_the_users_lookup_budget(client, clerk, settings):
    settings.LOOKUP_RATE_USER = "2/d"
    client.force_login(clerk)
    data = {"parent_id": MOTHER_ID, "parent_name": "张三", "role": "mother", "sexes": "2"}

    statuses = [client.post(PREVIEW, data).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = client.post(PREVIEW, data)
    assert "查询过于频繁" in refused.json()["error"] and int(refused["Retry-After"]) > 0
    # A preview without an ID number consults nobody's records: not counted.
    assert client.post(PREVIEW, {"parent_name": "张三", "sexes": "2"}).status_code == 200


def test_a_hospitals_budget_holds_across_its_clerks(client, clerk, settings):
    settings.LOOKUP_RATE_HOSPITAL = "2/d"
    colleague = factories.operator_make(username="colleague", hospital=clerk.operator.hospital).user
    data = {"parent_id": MOTHER_ID, "role": "mother", "sexes": "2"}
    client.force_login(clerk)
    assert [client.post(PREVIEW, data).status_code for _ in range(2)] == [200, 200]

    client.force_login(colleague)
    assert client.post(PREVIEW, data).status_code == 429
    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    ).user
    client.force_login(other)
    assert client.post(PREVIEW, data).status_code == 200  # another hospital's budget


def test_an_addresss_budget_holds_across_hospitals(client, clerk, settings):
    settings.LOOKUP_RATE_ADDRESS = "1/d"
    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    ).user
    data = {"parent_id": MOTHER_ID, "role": "mother", "sexes": "2"}
    client.force_login(clerk)
    assert client.post(PREVIEW, data).status_code == 200

    client.force_login(other)
    assert client.post(PREVIEW, data).status_code == 429
    assert client.post(PREVIEW, data, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_registration_page_is_refused_past_the_budget_keeping_what_was_typed(client, clerk, settings):
    settings.LOOKUP_RATE_USER = "1/d"
    client.force_login(clerk)
    data = form_data(mother_name="覃小梅")
    assert client.post(URL, data).status_code == 302

    refused = client.post(URL, data)

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert "查询过于频繁" in html and 'value="覃小梅"' in html


def test_the_verify_page_takes_from_the_hospitals_coverage_budget(client, clerk, settings):
    settings.COVERAGE_RATE_HOSPITAL = "1/d"
    colleague = factories.operator_make(username="desk", hospital=clerk.operator.hospital).user
    check = {"code": MOTHER_ID + "X", "birth_date": "2026-02-26"}
    client.force_login(clerk)
    assert client.post("/verify/", check).status_code == 404

    client.force_login(colleague)
    refused = client.post("/verify/", check)

    assert refused.status_code == 429 and "核验过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0


# --- the API ------------------------------------------------------------------------------------------


def test_the_apis_births_take_from_the_lookup_budgets_in_its_error_shape(settings):
    settings.LOOKUP_RATE_HOSPITAL = "1/d"
    factories.division_chain()
    factories.agency_make()
    hospital = factories.hospital_make()
    keys = [
        api_client_create(name=f"HIS{index}", hospital=hospital, scopes=ALL_HOSPITAL_SCOPES)[1]
        for index in range(2)
    ]
    # Counted whatever the answer (a refused body ran the check as well).
    assert bearer(keys[0]).post("/api/v1/births", birth_body(), format="json").status_code != 429

    refused = bearer(keys[1]).post("/api/v1/births", birth_body(), format="json")

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert set(refused.json()) == {"detail"} and "查询过于频繁" in refused.json()["detail"]


def test_the_apis_coverage_takes_from_the_addresss_budget_across_keys(settings):
    settings.COVERAGE_RATE_ADDRESS = "1/d"
    factories.division_chain()
    first = factories.hospital_make()
    second = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    keys = [
        api_client_create(name=f"结算{index}", hospital=hospital, scopes=["coverage:read"])[1]
        for index, hospital in enumerate((first, second))
    ]
    body = {"code": MOTHER_ID + "X", "birth_date": "2026-02-26"}
    assert bearer(keys[0]).post("/api/v1/coverage", body, format="json").status_code == 404

    assert bearer(keys[1]).post("/api/v1/coverage", body, format="json").status_code == 429
