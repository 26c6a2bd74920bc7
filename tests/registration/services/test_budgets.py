"""services/budgets.py: the lookup budgets, counted in sliding windows and shared by every node."""

import threading
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection

from registration import throttles
from registration.models import BudgetCount
from registration.services import budgets

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


THREADS = 8


def _race(calls_per_thread: int, call) -> Counter:
    barrier = threading.Barrier(THREADS)
    outcomes, errors = Counter(), []

    def work(index):
        try:
            barrier.wait()
            for _ in range(calls_per_thread):
                outcomes[call(index)] += 1
        except Exception as exc:  # reported below, with its thread
            errors.append((index, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_threads_never_get_more_than_the_budget_through():
    assert connection.vendor == "postgresql"
    budget = throttles.Budget(throttles.SCOPE_COVERAGE, "user-1", "60/d")

    outcomes = _race(15, lambda index: budgets.budget_take(budget).allowed)

    assert outcomes == Counter({True: 60, False: 60})  # 8 × 15 calls, a budget of 60
