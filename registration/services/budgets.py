"""The rate limits' counting: one atomic statement per call, in the database every node shares.

A budget (registration/throttles.py: a rate and whose calls it counts) is counted in windows of the rate's
period (a minute, an hour, a day, aligned on the Unix clock): one row of BudgetCount per key and window,
taken by

    INSERT … VALUES (key, window, expires, 1), …
    ON CONFLICT (key, window_start) DO UPDATE SET calls = calls + 1 WHERE calls < allowance
    RETURNING key, calls

which PostgreSQL and SQLite (3.35+) both run as one atomic step (one statement for all the budgets of a
call): a row that comes back is a call allowed, no row a call refused (the count stays where it was). No
node reads the window's count and writes it back, so N concurrent calls never let more than the
allowance through (tests/registration/services/test_budgets.py races threads on PostgreSQL).

The allowance is the rate less the previous window's calls weighted by the share of the period that
still overlaps it (a sliding window, approximated from two fixed ones): a caller who spent a day's budget
just before the window turns gets almost nothing just after it, so that no span of one period lets much
more than the rate through (docs/privacy.md, Budgets). The previous window has ended: its count no longer
changes, so reading it first keeps the step atomic.
"""

import math
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q

from registration.models import BudgetCount
from registration.throttles import Budget, Decision, rate_parse

_TAKE = (
    "INSERT INTO {table} (key, window_start, expires, calls) VALUES {rows} "
    "ON CONFLICT (key, window_start) DO UPDATE SET calls = {table}.calls + 1 "
    "WHERE {table}.calls < CASE {table}.key {caps} END RETURNING key, calls"
)


@dataclass(frozen=True)
class _Window:
    budget: Budget
    count: int
    seconds: int
    start: int

    @property
    def expires(self) -> int:
        return self.start + self.seconds


def budget_take(budget: Budget) -> Decision:
    """Count one call against the budget, unless the budget is spent; then say how long to wait."""
    return budgets_take([budget])


def budgets_take(budgets: list[Budget]) -> Decision:
    """Take one call from each budget (a user's, their hospital's, their address's…) or, when one is
    spent, from none (the first spent says how long to wait).

    Two statements whatever the number of budgets: one read of their previous and current windows, one
    INSERT … ON CONFLICT for them all (rows in key order, so that two callers sharing a hospital's or an
    address's row lock them in the same order). The read lets a call that is refused anyway leave the
    other budgets untouched; the write alone decides: under a race, a budget whose row does not come back
    refuses the call (the others have then counted it).
    """
    if not budgets:
        return Decision(True)
    now = time.time()
    windows = []
    for budget in sorted(budgets, key=lambda budget: budget.key):
        count, seconds = rate_parse(budget.rate)
        windows.append(_Window(budget, count, seconds, int(now // seconds) * seconds))
    known = Q()
    for window in windows:
        known |= Q(key=window.budget.key, window_start__in=[window.start - window.seconds, window.start])
    counts = {
        (key, start): calls
        for key, start, calls in BudgetCount.objects.filter(known).values_list("key", "window_start", "calls")
    }
    allowances = {}
    for window in windows:
        previous = counts.get((window.budget.key, window.start - window.seconds), 0)
        allowance = window.count - math.ceil(previous * (window.expires - now) / window.seconds)
        if counts.get((window.budget.key, window.start), 0) >= allowance:
            return _refusal(window, previous, now)
        allowances[window.budget.key] = allowance
    table = connection.ops.quote_name(BudgetCount._meta.db_table)
    sql = _TAKE.format(
        table=table,
        rows=", ".join(["(%s, %s, %s, 1)"] * len(windows)),
        caps=" ".join(["WHEN %s THEN %s"] * len(windows)),
    )
    params = [value for w in windows for value in (w.budget.key, w.start, w.expires)]
    params += [value for w in windows for value in (w.budget.key, allowances[w.budget.key])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        taken = dict(cursor.fetchall())
    for window in windows:
        if window.budget.key not in taken:  # spent by a concurrent call since the read
            previous = counts.get((window.budget.key, window.start - window.seconds), 0)
            return _refusal(window, previous, now)
    begun = [window for window in windows if taken[window.budget.key] == 1]
    if begun:  # these keys' new windows: the windows before the previous one go
        stale = Q()
        for window in begun:
            stale |= Q(key=window.budget.key, expires__lt=window.start)
        BudgetCount.objects.filter(stale).delete()
    return Decision(True)


def _refusal(window: _Window, previous: int, now: float) -> Decision:
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
