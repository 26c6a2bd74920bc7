"""What the registration page offers to pick (issue 24 item 16, issue 28 item 5): the communities this
hospital registered lately, and the hospitals a baby may have been born in."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Max

from registration.access import records_scope
from registration.models import Birth, Division, Hospital

# A quarter: the families a maternity ward sees come back from the same few communities.
RECENT_DAYS = 90
COMMUNITIES_SUGGESTED = 8


def communities_recent_for_user(
    *, user, today: date, days: int = RECENT_DAYS, limit: int = COMMUNITIES_SUGGESTED
) -> list[Division]:
    """The communities of the user's hospital's registrations of the last `days`, the most registered
    first (then the latest), as suggestions: one query on the births' (hospital, registered_on) index,
    one for the divisions. Only the user's own hospital's registrations are read."""
    births = records_scope(user).apply(
        Birth.objects.filter(registered_on__gt=today - timedelta(days=days), registered_on__lte=today)
    )
    rows = (
        births.values("community_id")
        .annotate(count=Count("pk"), last=Max("registered_at"))
        .order_by("-count", "-last", "community_id")[:limit]
    )
    ids = [row["community_id"] for row in rows]
    divisions = Division.objects.in_bulk(ids)
    return [divisions[pk] for pk in ids if pk in divisions]


def birth_hospital_names(*, hospital: Hospital) -> list[str]:
    """The names of the province's active hospitals, for the 出生医院 list: the registering hospital
    first, then those of its city, then the others, each by code; a name borne twice once."""
    rows = (
        Hospital.objects.filter(is_active=True, division__code__startswith=settings.PROVINCE_CODE)
        .order_by("code")
        .values_list("name", "division__code")
    )
    city = hospital.division.code[:4]
    names = [hospital.name]
    for name, _ in sorted(rows, key=lambda row: not row[1].startswith(city)):
        if name not in names:
            names.append(name)
    return names
