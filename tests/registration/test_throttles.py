"""registration.throttles and services.budgets: the budgets the pages and the API take from, counted in
the database."""

from types import SimpleNamespace

import pytest

from registration import throttles
from registration.models import BudgetCount
from registration.services import budgets
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = [3600.0 * 24 * 20000 + 10]  # 10 s into a day, an hour and a minute
    monkeypatch.setattr(budgets, "time", SimpleNamespace(time=lambda: now[0]))  # the module's clock only
    return now


def test_a_budget_allows_its_rate_then_says_how_long_to_wait(clock):
    budget = throttles.Budget("coverage", "user-1", "2/min")

    decisions = [budgets.budget_take(budget) for _ in range(3)]

    assert [decision.allowed for decision in decisions] == [True, True, False]
    assert decisions[2].wait == pytest.approx(50.0)  # until the minute's window ends
    assert BudgetCount.objects.get().calls == 2  # a refused call leaves the count at the limit


def test_a_budget_slides_over_the_windows_boundary(clock):
    budget = throttles.Budget("coverage", "user-1", "2/min")
    assert budgets.budget_take(budget).allowed  # 10 s into a minute
    clock[0] += 30
    assert budgets.budget_take(budget).allowed
    assert not budgets.budget_take(budget).allowed

    clock[0] += 30  # 10 s into the next minute: the two calls of the last 60 s still count
    refused = budgets.budget_take(budget)
    assert not refused.allowed and refused.wait == pytest.approx(30.0)
    clock[0] += 30  # 40 s in: the last minute overlaps a third of the previous one, one call left
    assert budgets.budget_take(budget).allowed
    assert not budgets.budget_take(budget).allowed

    clock[0] += 60  # two windows on: the oldest row is deleted
    assert budgets.budget_take(budget).allowed
    assert BudgetCount.objects.count() == 2


def test_each_subject_and_each_scope_counts_apart(clock):
    assert budgets.budget_take(throttles.Budget("coverage", "user-1", "1/min")).allowed

    assert budgets.budget_take(throttles.Budget("coverage", "user-2", "1/min")).allowed
    assert budgets.budget_take(throttles.Budget("client", "user-1", "1/min")).allowed
    assert not budgets.budget_take(throttles.Budget("coverage", "user-1", "1/min")).allowed


def test_several_budgets_refuse_at_the_first_one_spent(clock):
    user, hospital = (
        throttles.Budget("lookup", "user-1", "5/d"),
        throttles.Budget("lookup", "hospital-1", "1/d"),
    )

    assert budgets.budgets_take([user, hospital]).allowed
    refused = budgets.budgets_take([user, hospital])

    assert not refused.allowed and refused.wait == pytest.approx(86400 - 10)
    assert throttles.retry_after(refused.wait) == "86390" and "24小时" in throttles.refused_message(
        refused.wait
    )


def test_windows_no_budget_reads_are_purged(clock, monkeypatch):
    budgets.budget_take(throttles.Budget("lookup", "ip-10.0.0.1", "5/min"))
    clock[0] += 60
    assert budgets.budget_counts_purge() == 0  # the previous window still weighs on the next
    clock[0] += 60

    assert budgets.budget_counts_purge() == 1 and not BudgetCount.objects.exists()


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
