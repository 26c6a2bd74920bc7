"""Who looked up other hospitals' records more than a day's threshold (docs/privacy.md, Lookups on record).

A lookup is an audit entry LOOKUP (跨院查询: the registration page's preview and check, POST
/api/v1/births, when the answer drew on another hospital's records) or a coverage check (VERIFY) marked
`lookup` (a miss, which consulted every hospital's records, or another hospital's baby).
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from registration.models import AuditEntry, Hospital

LOOKUP_ENTRIES = Q(action=AuditEntry.Action.LOOKUP) | Q(action=AuditEntry.Action.VERIFY, detail__lookup=True)


@dataclass(frozen=True)
class LookupDay:
    """One user's lookups on one day (the deployment's time zone), above the threshold."""

    day: date
    user_id: int | None
    username: str
    hospital_id: int | None
    hospital_name: str
    count: int


def lookups_above_threshold(
    *, start: date, end: date, hospital: Hospital | int | None = None
) -> list[LookupDay]:
    """Per user and day from `start` to `end` (both included), those with more lookups of other hospitals'
    records than settings.LOOKUP_ALERT_PER_DAY; only `hospital`'s users (a Hospital or its pk) when given
    (an entry's hospital is its user's). Newest day first, then most lookups. One grouped query over the
    audit log's `at` index."""
    entries = AuditEntry.objects.filter(LOOKUP_ENTRIES, at__date__gte=start, at__date__lte=end)
    if hospital is not None:
        entries = entries.filter(hospital=hospital)
    rows = (
        entries.annotate(day=TruncDate("at"))
        .values("day", "user_id", "username", "hospital_id", "hospital__name")
        .annotate(count=Count("id"))
        .filter(count__gt=settings.LOOKUP_ALERT_PER_DAY)
        .order_by("-day", "-count", "username")
    )
    return [
        LookupDay(
            day=row["day"],
            user_id=row["user_id"],
            username=row["username"],
            hospital_id=row["hospital_id"],
            hospital_name=row["hospital__name"] or "",
            count=row["count"],
        )
        for row in rows
    ]
