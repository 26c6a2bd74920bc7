"""The rate limits' counting: one atomic statement per budget, in the database every node shares.

A budget (registration/throttles.py: a rate and whose calls it counts) is counted in fixed windows (a
minute, an hour, a day, by the rate's unit, aligned on the Unix clock): one row of BudgetCount per key and
window, taken by

    INSERT … VALUES (key, window, expires, 1)
    ON CONFLICT (key, window_start) DO UPDATE SET calls = calls + 1 WHERE calls < limit
    RETURNING calls

which PostgreSQL and SQLite (3.35+) both run as one atomic step: a row that comes back is a call allowed,
no row a call refused (the count stays at the limit). No node reads a count and writes it back, so N
concurrent calls never let more than the limit through (tests/registration/test_budgets.py races threads
on PostgreSQL). A fixed window lets up to twice the rate through across a window's boundary: the rates
are set with that in mind (docs/privacy.md, Budgets).
"""

import time

from django.db import connection

from registration.models import BudgetCount
from registration.throttles import Budget, Decision, rate_parse

_TAKE = (
    "INSERT INTO {table} (key, window_start, expires, calls) VALUES (%s, %s, %s, 1) "
    "ON CONFLICT (key, window_start) DO UPDATE SET calls = {table}.calls + 1 "
    "WHERE {table}.calls < %s RETURNING calls"
)


def budget_take(budget: Budget) -> Decision:
    """Count one call against the budget, unless the budget is spent; then say how long to wait."""
    count, seconds = rate_parse(budget.rate)
    now = time.time()
    window_start = int(now // seconds) * seconds
    expires = window_start + seconds
    table = connection.ops.quote_name(BudgetCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_TAKE.format(table=table), [budget.key, window_start, expires, count])
        row = cursor.fetchone()
    if row is None:
        return Decision(False, max(1.0, expires - now))
    if row[0] == 1:  # this key's new window: its ended ones go
        BudgetCount.objects.filter(key=budget.key, expires__lte=window_start).delete()
    return Decision(True)


def budgets_take(budgets: list[Budget]) -> Decision:
    """Take one call from each budget in turn (the user's, the hospital's, the address's): refused by the
    first one spent, with its wait; the budgets before it have counted the call."""
    for budget in budgets:
        decision = budget_take(budget)
        if not decision.allowed:
            return decision
    return Decision(True)


def budget_counts_purge() -> int:
    """Delete the counts of every window that has ended (keys no longer used: an address seen once)."""
    deleted, _ = BudgetCount.objects.filter(expires__lte=int(time.time())).delete()
    return deleted
