"""selectors/lookups.py: the lookups on record per user and day above settings.LOOKUP_ALERT_PER_DAY."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registration import selectors
from registration.models import AuditEntry
from registration.services.audit import audit_record
from registration.services.lookups import KIND_CHECK, lookup_record
from tests.factories import MOTHER_ID

pytestmark = pytest.mark.django_db


MASKED = MOTHER_ID[:6] + "*****" + MOTHER_ID[-4:]


def _lookups(user, count, *, days_ago=0, monkeypatch):
    at = timezone.now() - timedelta(days=days_ago)
    monkeypatch.setattr("registration.services.audit.timezone.now", lambda: at)
    for _ in range(count):
        lookup_record(user=user, kind=KIND_CHECK, number_masked=MASKED, answered=["…"], ip="10.0.0.1")
    monkeypatch.undo()


def test_lookups_above_threshold_per_user_and_day(clerk, other_clerk, settings, monkeypatch):
    settings.LOOKUP_ALERT_PER_DAY = 2
    _lookups(clerk, 3, monkeypatch=monkeypatch)
    _lookups(clerk, 3, days_ago=1, monkeypatch=monkeypatch)
    _lookups(other_clerk, 2, monkeypatch=monkeypatch)  # at the threshold: not above it
    for _ in range(3):  # coverage checks that found nothing: lookups of every hospital's records
        audit_record(
            user=other_clerk, action=AuditEntry.Action.VERIFY, detail={"found": False, "lookup": True}
        )
    audit_record(user=other_clerk, action=AuditEntry.Action.VERIFY, detail={"found": True, "lookup": False})
    today = timezone.localdate()

    rows = selectors.lookups_above_threshold(start=today - timedelta(days=6), end=today)

    assert [(row.day, row.username, row.count) for row in rows] == [
        (today, "other", 5),
        (today, "clerk", 3),
        (today - timedelta(days=1), "clerk", 3),
    ]
    assert rows[0].hospital_name == "南宁市第二人民医院"
    only = selectors.lookups_above_threshold(start=today, end=today, hospital=clerk.operator.hospital)
    assert [(row.username, row.count) for row in only] == [("clerk", 3)]
