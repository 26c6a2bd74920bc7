"""registration.throttles and services.budgets: the budgets the pages and the API take from, counted in
the database."""

import pytest

from registration import throttles
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_keys_are_drfs_so_counts_already_stored_keep_counting():
    client = type("Client", (), {"pk": 7})()

    assert throttles.api_client_budget(client).key == "throttle_client_7"
    assert throttles.api_client_budget(client, scope="coverage").key == "throttle_coverage_7"
    assert throttles.verify_page_budget(type("User", (), {"pk": 3})()).key == "throttle_coverage_user-3"


def test_the_rates_are_the_settings(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "600/min", "coverage": "5/min"},
    }
    user = type("User", (), {"pk": 3})()

    assert throttles.verify_page_budget(user).rate == "5/min"
    assert throttles.rate_parse("600/min") == (600, 60) and throttles.rate_parse("3/h") == (3, 3600)


def test_the_verify_page_refuses_past_the_coverage_rate_keeping_the_form(client, clerk, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "600/min", "coverage": "2/min"},
    }
    client.force_login(clerk)
    check = {"code": factories.MOTHER_ID + "X", "birth_date": "2026-02-26"}

    statuses = [client.post("/verify/", check).status_code for _ in range(3)]

    assert statuses == [404, 404, 429]
    refused = client.post("/verify/", check)
    assert "核验过于频繁" in refused.content.decode() and int(refused["Retry-After"]) >= 1
    other = factories.operator_make(username="desk", hospital=clerk.operator.hospital).user
    client.force_login(other)
    assert client.post("/verify/", check).status_code == 404  # another user's budget
