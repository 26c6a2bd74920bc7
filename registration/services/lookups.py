"""Lookups of other hospitals' records: their budgets taken, and each answer that drew on them on record.

A lookup is an answer that consulted other hospitals' records: the registration page's preview with an
ID number, the registration check (the page's submit, POST /api/v1/births), the coverage check (/verify/,
/api/v1/coverage). Each takes from its budgets (registration/throttles.py, counted by services/budgets.py)
and, when its answer drew on another hospital's records, leaves one LOOKUP entry (跨院查询) in the audit
log: who, which masked number, what was answered in words (docs/privacy.md, Lookups on record).
"""

from registration import throttles
from registration.models import AuditEntry
from registration.services.audit import audit_record, user_hospital
from registration.services.budgets import budgets_take
from registration.throttles import Decision

KIND_PREVIEW = "preview"
KIND_CHECK = "check"
KIND_COVERAGE = "coverage"


def lookup_budgets_take(*, user, ip: str | None, scope: str = throttles.SCOPE_LOOKUP) -> Decision:
    """Take one lookup from the budgets of a logged-in user, their hospital and their address."""
    return budgets_take(throttles.lookup_budgets(scope=scope, user=user, hospital=user_hospital(user), ip=ip))


def lookup_record(
    *, user, kind: str, number_masked: str, answered: list[str], ip: str | None, detail: dict | None = None
) -> AuditEntry:
    """One LOOKUP entry: `user` (an API client's account for the API) asked about `number_masked` and was
    answered `answered` (words, drawn from other hospitals' records)."""
    return audit_record(
        user=user,
        action=AuditEntry.Action.LOOKUP,
        ip=ip,
        object_repr=number_masked,
        detail={**(detail or {}), "kind": kind, "answered": "；".join(answered)},
    )
