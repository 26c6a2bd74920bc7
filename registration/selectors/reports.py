"""Figures computed in the database with aggregates: the reports (统计报表, issue 5 item 6), and the counts of
the home page and the follow-up list.

Each figure is one grouped query whatever the number of records: registrations per day or week, the
records' current states, and the median number of days from registration to the first payment, which
is read off a histogram (days → number of records) grouped in SQL, so that the same code runs on SQLite
and PostgreSQL and never loads one row per record.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import NotSupportedError
from django.db.models import Count, DateField, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import TruncWeek

from registration.access import newborns_of_hospital
from registration.models import Newborn, Payment
from registration.selectors.records import newborn_list_for_user, newborns_registered_on, newborns_unpaid

GRANULARITIES = ("day", "week")
MAX_DAYS = {"day": 366, "week": 3 * 366}  # a chart with more bars than this says nothing any more
STATES = [Newborn.State.REGISTERED, Newborn.State.PAID, Newborn.State.FORMALIZED, Newborn.State.VOID]


@dataclass(frozen=True)
class StateCounts:
    """A cohort's records by current state; paid counts the formalized too (formalizing needs a payment)."""

    total: int = 0
    registered: int = 0
    paid: int = 0
    formalized: int = 0
    void: int = 0

    @property
    def ever_paid(self) -> int:
        return self.paid + self.formalized

    def share(self, name: str) -> float | None:
        """A state's share of the total (0..1), or None for an empty cohort."""
        value = self.ever_paid if name == "ever_paid" else getattr(self, name)
        return value / self.total if self.total else None

    @property
    def percents(self) -> dict[str, str]:
        """Each share as the pages print it ("62.5%", "—" for an empty cohort), by state name."""
        names = ("ever_paid", "registered", "paid", "formalized", "void")
        return {name: f"{share:.1%}" if (share := self.share(name)) is not None else "—" for name in names}


@dataclass(frozen=True)
class HospitalFigures:
    hospital_id: int
    hospital_name: str
    counts: StateCounts
    median_days_to_payment: float | None
    payments_counted: int


@dataclass
class Report:
    """The figures of one report: the period, the series, the states, the median, per hospital."""

    date_from: date
    date_to: date
    granularity: str
    series: list[tuple[date, int]]
    counts: StateCounts
    median_days_to_payment: float | None
    payments_counted: int
    hospitals: list[HospitalFigures] = field(default_factory=list)


def median_from_histogram(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}; the mean of the middle two for an even count."""
    total = sum(histogram.values())
    if total == 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2  # 0-based ranks of the middle value(s)
    lower = upper = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    return (lower + upper) / 2


def period_start(day: date, granularity: str) -> date:
    """The first day of the day's period: the day itself, or the Monday of its ISO week."""
    return day if granularity == "day" else day - timedelta(days=day.weekday())


def report_build(
    *, newborns, date_from: date, date_to: date, granularity: str = "day", per_hospital: bool = False
) -> Report:
    """The report of the newborns registered from date_from to date_to (both included).

    `newborns` is the queryset the user may see (registration.selectors), already narrowed to a hospital
    when one was chosen. Runs a fixed number of queries: three, with per_hospital too (the whole's figures
    are then the sums of the hospitals').
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    cohort = newborns.filter(
        birth__registered_on__gte=date_from, birth__registered_on__lte=date_to
    ).order_by()
    series = _series(cohort, date_from, date_to, granularity)
    if per_hospital:
        # The whole's figures are the sums of the hospitals': two scans of the cohort fewer (issue 15).
        hospitals, histograms = _per_hospital(cohort)
        counts = StateCounts(
            **{
                name: sum(getattr(item.counts, name) for item in hospitals)
                for name in ("total", *map(str, STATES))
            }
        )
        histogram: dict[int, int] = defaultdict(int)
        for by_days in histograms.values():
            for days, number in by_days.items():
                histogram[days] += number
    else:
        hospitals, counts = [], _state_counts(cohort)
        histogram = _payment_histogram(cohort).get(None, {})
    return Report(
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
        series=series,
        counts=counts,
        median_days_to_payment=median_from_histogram(histogram),
        payments_counted=sum(histogram.values()),
        hospitals=hospitals,
    )


def _series(cohort, date_from: date, date_to: date, granularity: str) -> list[tuple[date, int]]:
    if granularity == "day":
        rows = cohort.values(period=F("birth__registered_on")).annotate(n=Count("pk"))
    else:
        rows = cohort.annotate(period=TruncWeek("birth__registered_on", output_field=DateField()))
        rows = rows.values("period").annotate(n=Count("pk"))
    found = {_as_date(row["period"]): row["n"] for row in rows}
    step = timedelta(days=1 if granularity == "day" else 7)
    series, start = [], period_start(date_from, granularity)
    while start <= date_to:
        series.append((start, found.get(start, 0)))
        start += step
    return series


def _as_date(value) -> date:
    # TruncWeek gives a datetime on some backends even for a DateField.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _state_aggregates() -> dict:
    return {
        "total": Count("pk"),
        **{str(state): Count("pk", filter=Q(state=state)) for state in STATES},
    }


def _state_counts(cohort) -> StateCounts:
    return StateCounts(**cohort.aggregate(**_state_aggregates()))


def _first_payment_days(cohort):
    """The cohort with `days`: days from registration to its first payment, NULL without a payment.

    The first payment is the first entry of the newborn's range of the payments' (newborn, paid_on) index
    (migration 0014), read once per record: filtering on it as well read it twice (issue 15).
    """
    first_paid = Subquery(
        Payment.objects.filter(newborn_id=OuterRef("pk")).order_by("paid_on").values("paid_on")[:1],
        output_field=DateField(),
    )
    # Day numbers (Julian on SQLite, epoch days on PostgreSQL) subtract to whole days on both.
    return cohort.annotate(
        days=ExpressionWrapper(DayNumber(first_paid) - DayNumber("birth__registered_on"), IntegerField())
    )


def _payment_histogram(cohort, *, by_hospital: bool = False) -> dict:
    rows = _first_payment_days(cohort)
    keys = ["hospital_id", "days"] if by_hospital else ["days"]
    histogram: dict = defaultdict(dict)
    for row in rows.values(*keys).annotate(n=Count("pk")).order_by():
        if row["days"] is None:  # no payment yet
            continue
        hospital = row["hospital_id"] if by_hospital else None
        histogram[hospital][int(row["days"])] = row["n"]
    return histogram


def _per_hospital(cohort) -> tuple[list[HospitalFigures], dict]:
    rows = (
        cohort.values("hospital_id", "hospital__name", "hospital__code")
        .annotate(**_state_aggregates())
        .order_by("hospital__code")
    )
    histogram = _payment_histogram(cohort, by_hospital=True)
    figures = []
    for row in rows:
        hospital_id = row["hospital_id"]
        counts = StateCounts(**{key: row[key] for key in ("total", *map(str, STATES))})
        figures.append(
            HospitalFigures(
                hospital_id=hospital_id,
                hospital_name=row["hospital__name"],
                counts=counts,
                median_days_to_payment=median_from_histogram(histogram.get(hospital_id, {})),
                payments_counted=sum(histogram.get(hospital_id, {}).values()),
            )
        )
    return figures, histogram


def report_records(*, newborns, date_from: date, date_to: date, limit: int):
    """The cohort's records for the export's second sheet, with the first payment day, in one query."""
    first_paid = Subquery(
        Payment.objects.filter(newborn_id=OuterRef("pk")).order_by("paid_on").values("paid_on")[:1],
        output_field=DateField(),
    )
    return (
        newborns.filter(birth__registered_on__gte=date_from, birth__registered_on__lte=date_to)
        .select_related("birth__hospital")
        .annotate(first_paid=first_paid)
        .order_by("birth__registered_on", "birth__hospital__code", "birth_id", "birth_order")[:limit]
    )


class DayNumber(Func):
    """A date as a whole day number, so that two of them subtract to days on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("DayNumber is implemented for SQLite and PostgreSQL only.")

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(julianday({sql}) AS INTEGER)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql})::date - DATE '1970-01-01')", params


def report_newborns_for_user(*, user, hospital_id: int | None = None):
    """The newborns a report counts: those the user may see, of one hospital when it is given."""
    newborns = newborn_list_for_user(user=user)
    if hospital_id is not None:
        newborns = newborns_of_hospital(newborns, hospital_id)
    return newborns


@dataclass(frozen=True)
class HomeCounts:
    registered_today: int
    unpaid: int
    urgent: int  # unpaid with at most `urgent_days` left, the expired ones included


# The unpaid records' counts count their last day (never null, so as many as their ids): the unpaid
# indexes hold it, (last_day) WHERE registered and the newborns' (hospital, state, last_day), so the counts
# read an index alone; counting the ids read every counted row (issue 15).
UNPAID = "last_day"


def home_counts(*, user, today: date, urgent_days: int) -> HomeCounts:
    """The home page's figures: registered today, unpaid, and unpaid within `urgent_days` of the last day."""
    unpaid = newborns_unpaid(user=user).order_by()
    figures = unpaid.aggregate(
        unpaid=Count(UNPAID),
        urgent=Count(UNPAID, filter=Q(last_day__lte=today + timedelta(days=urgent_days))),
    )
    registered_today = newborns_registered_on(user=user, day=today).order_by().count()
    return HomeCounts(registered_today=registered_today, unpaid=figures["unpaid"], urgent=figures["urgent"])


def followup_counts(newborns, *, today: date, urgent_days: int) -> dict[str, int]:
    """The follow-up list's figures over its newborns: all, expired, due today, urgent (not yet expired)."""
    return newborns.order_by().aggregate(
        total=Count(UNPAID),
        expired=Count(UNPAID, filter=Q(last_day__lt=today)),
        due_today=Count(UNPAID, filter=Q(last_day=today)),
        urgent=Count(
            UNPAID, filter=Q(last_day__gte=today, last_day__lte=today + timedelta(days=urgent_days))
        ),
    )


def report_records_more_than(*, newborns, date_from, date_to, limit: int) -> bool:
    """Whether the cohort registered in the period holds more than `limit` records (exports stop there)."""
    cohort = newborns.filter(
        birth__registered_on__gte=date_from, birth__registered_on__lte=date_to
    ).order_by()
    return cohort[limit : limit + 1].exists()
