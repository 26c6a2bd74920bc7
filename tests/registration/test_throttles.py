"""registration.throttles: the budgets the /verify/ page and the API both take from."""

import time
from types import SimpleNamespace

import pytest

from registration import throttles
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: now[0]))  # the module's clock only
    return now


def test_a_budget_allows_its_rate_then_says_how_long_to_wait(clock):
    budget = throttles.Budget("coverage", "user-1", "2/min")

    decisions = [throttles.budget_take(budget) for _ in range(3)]

    assert [decision.allowed for decision in decisions] == [True, True, False]
    assert decisions[2].wait == pytest.approx(60.0)  # DRF's formula: the window's rest over the calls left


def test_a_budget_frees_up_as_its_window_slides(clock):
    budget = throttles.Budget("coverage", "user-1", "2/min")
    assert throttles.budget_take(budget).allowed
    clock[0] += 30
    assert throttles.budget_take(budget).allowed
    assert not throttles.budget_take(budget).allowed

    clock[0] += 31  # the first call has left the minute

    assert throttles.budget_take(budget).allowed
    assert not throttles.budget_take(budget).allowed


def test_each_subject_and_each_scope_counts_apart(clock):
    assert throttles.budget_take(throttles.Budget("coverage", "user-1", "1/min")).allowed

    assert throttles.budget_take(throttles.Budget("coverage", "user-2", "1/min")).allowed
    assert throttles.budget_take(throttles.Budget("client", "user-1", "1/min")).allowed
    assert not throttles.budget_take(throttles.Budget("coverage", "user-1", "1/min")).allowed


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
    assert "核验过于频繁，请稍后再试。" in client.post("/verify/", check).content.decode()
    other = factories.operator_make(username="desk", hospital=clerk.operator.hospital).user
    client.force_login(other)
    assert client.post("/verify/", check).status_code == 404  # another user's budget
