"""The rate limits' counting: one atomic statement per call, in the database every node shares.

A budget (registration/throttles.py: a rate and whose calls it counts) is counted in windows of the rate's
period (a minute, an hour, a day, aligned on the Unix clock): one row of BudgetCount per key and window,
taken by one statement for all the budgets of a call (_TAKE):

    WITH … the windows asked, their counts so far and allowances …
    INSERT … SELECT … WHERE no budget is spent
    ON CONFLICT (key, window_start) DO UPDATE SET calls = calls + 1 WHERE calls < allowance
    RETURNING key, calls

which PostgreSQL and SQLite (3.35+) both run as one atomic step: a row that comes back is a call allowed,
no row a call refused (the count stays where it was). No node reads the window's count and writes it back,
so N concurrent calls never let more than the allowance through (tests/registration/services/
test_budgets.py races threads on PostgreSQL).

The allowance is the rate less the previous window's calls weighted by the share of the period that
still overlaps it (a sliding window, approximated from two fixed ones): a caller who spent a day's budget
just before the window turns gets almost nothing just after it, so that no span of one period lets much
more than the rate through (docs/privacy.md, Budgets). The previous window has ended: its count no longer
changes, so reading it within the statement keeps the step atomic.
"""

import math
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q

from registration.models import BudgetCount
from registration.throttles import Budget, Decision, rate_parse

# One statement for all the budgets of a call. `asked` holds each budget's window; `state` adds its count so
# far and its allowance: the rate less the previous window's calls weighted by the share of the period that
# still overlaps it, rounded up (integer arithmetic in microseconds, the same on PostgreSQL and SQLite).
# Nothing is written when one budget is already spent (NOT EXISTS); under a race, the DO UPDATE's WHERE,
# read on the row's latest version under its lock, decides: a row that does not come back is a refusal.
_TAKE = (
    "WITH asked (key, window_start, expires, previous_start, rate, remaining, period) AS (VALUES {rows}), "
    "state AS ("
    "SELECT asked.key, asked.window_start, asked.expires, "
    "asked.rate - (COALESCE(previous.calls, 0) * asked.remaining + asked.period - 1) / asked.period "
    "AS allowance, COALESCE(current.calls, 0) AS calls "
    "FROM asked "
    "LEFT JOIN {table} previous ON previous.key = asked.key AND previous.window_start = asked.previous_start "
    "LEFT JOIN {table} current ON current.key = asked.key AND current.window_start = asked.window_start) "
    "INSERT INTO {table} (key, window_start, expires, calls) "
    "SELECT key, window_start, expires, 1 FROM state "
    "WHERE NOT EXISTS (SELECT 1 FROM state spent WHERE spent.calls >= spent.allowance) "
    "ORDER BY key "
    "ON CONFLICT (key, window_start) DO UPDATE SET calls = {table}.calls + 1 "
    "WHERE {table}.calls < (SELECT allowance FROM state WHERE state.key = {table}.key) "
    "RETURNING key, calls"
)
_ROW = "(%s, " + ", ".join(["CAST(%s AS BIGINT)"] * 6) + ")"
_MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class _Window:
    budget: Budget
    count: int
    seconds: int
    start: int

    @property
    def expires(self) -> int:
        return self.start + self.seconds

    @property
    def previous_start(self) -> int:
        return self.start - self.seconds


def budget_take(budget: Budget) -> Decision:
    """Count one call against the budget, unless the budget is spent; then say how long to wait."""
    return budgets_take([budget])


def budgets_take(budgets: list[Budget]) -> Decision:
    """Take one call from each budget (a user's, their hospital's, their address's…) or, when one is
    spent, from none (the first spent says how long to wait).

    One statement whatever the number of budgets (_TAKE: rows in key order, so that two callers sharing
    a hospital's or an address's row lock them in the same order); a refusal reads the counts once more
    to say how long to wait.
    """
    if not budgets:
        return Decision(True)
    now = time.time()
    windows = []
    for budget in sorted(budgets, key=lambda budget: budget.key):
        count, seconds = rate_parse(budget.rate)
        windows.append(_Window(budget, count, seconds, int(now // seconds) * seconds))
    params = []
    for window in windows:
        remaining = round((window.expires - now) * _MICROSECONDS)
        params += [
            window.budget.key,
            window.start,
            window.expires,
            window.previous_start,
            window.count,
            remaining,
            window.seconds * _MICROSECONDS,
        ]
    table = connection.ops.quote_name(BudgetCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_TAKE.format(table=table, rows=", ".join([_ROW] * len(windows))), params)
        taken = dict(cursor.fetchall())
    if len(taken) < len(windows):
        return _refusal(windows, taken, now)
    begun = [window for window in windows if taken[window.budget.key] == 1]
    if begun:  # these keys' new windows: the windows before the previous one go
        stale = Q()
        for window in begun:
            stale |= Q(key=window.budget.key, expires__lt=window.start)
        BudgetCount.objects.filter(stale).delete()
    return Decision(True)


def _refusal(windows: list[_Window], taken: dict, now: float) -> Decision:
    """The wait of the first budget spent: the one refused by the statement (a concurrent call spent it),
    else the first whose count had reached its allowance (nothing was counted)."""
    known = Q()
    for window in windows:
        known |= Q(key=window.budget.key, window_start__in=[window.previous_start, window.start])
    counts = {
        (key, start): calls
        for key, start, calls in BudgetCount.objects.filter(known).values_list("key", "window_start", "calls")
    }
    spent = [window for window in windows if taken and window.budget.key not in taken]
    for window in spent or windows:
        previous = counts.get((window.budget.key, window.previous_start), 0)
        allowance = window.count - math.ceil(previous * (window.expires - now) / window.seconds)
        if spent or counts.get((window.budget.key, window.start), 0) >= allowance:
            return _wait(window, previous, now)
    return _wait(windows[0], counts.get((windows[0].budget.key, windows[0].previous_start), 0), now)


def _wait(window: _Window, previous: int, now: float) -> Decision:
    # The previous window's weight frees a call every period/previous seconds; the next window, all.
    wait = window.expires - now
    if previous:
        wait = min(wait, window.seconds / previous)
    return Decision(False, max(1.0, wait))


def budget_counts_purge() -> int:
    """Delete the counts no budget reads any more (a window that ended more than a period ago: keys no
    longer used, such as an address seen once)."""
    stale = BudgetCount.objects.filter(expires__lte=int(time.time()) - (F("expires") - F("window_start")))
    deleted, _ = stale.delete()
    return deleted
