"""Figures computed in the database with aggregates: the reports (统计报表, issue 5 item 6), and the counts of
the home page and the follow-up list.

A report is two grouped queries whatever the number of records: registrations per day or week, and the
records by hospital, current state and days from registration to the first payment, from which the
states' counts and the median days to payment (read off the days' histogram) are summed in Python. Both
read the newborns alone: a newborn carries its registration day and its first payment's day
(Newborn.registered_on, Newborn.first_paid_on), so a province's three years are one index's range
(issue 15). The same code runs on SQLite and PostgreSQL and never loads one row per record.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import NotSupportedError
from django.db.models import Count, ExpressionWrapper, Func, IntegerField, Q
from django.db.models.functions import Substr

from registration.access import newborns_of_hospital
from registration.models import Division, Hospital, Newborn
from registration.selectors.records import newborn_list_for_user, newborns_registered_on, newborns_unpaid

GRANULARITIES = ("day", "week")
# What a report's groups count: the registration day, never null, so as many as the records, and in the
# reports' indexes, which then answer alone (counting the ids would read every record's row).
COUNTED = "registered_on"
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


@dataclass(frozen=True)
class PlaceFigures:
    """A city's or an insurance agency's records of the cohort, by state."""

    name: str
    counts: StateCounts


@dataclass
class Report:
    """The figures of one report: the period, the series, the states, the median, per hospital, and per
    city and insurance agency."""

    date_from: date
    date_to: date
    granularity: str
    series: list[tuple[date, int]]
    counts: StateCounts
    median_days_to_payment: float | None
    payments_counted: int
    hospitals: list[HospitalFigures] = field(default_factory=list)
    cities: list[PlaceFigures] = field(default_factory=list)
    agencies: list[PlaceFigures] = field(default_factory=list)


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
    *,
    newborns,
    date_from: date,
    date_to: date,
    granularity: str = "day",
    per_hospital: bool = False,
    per_place: bool = False,
) -> Report:
    """The report of the newborns registered from date_from to date_to (both included).

    `newborns` is the queryset the user may see (registration.selectors), already narrowed to a hospital
    when one was chosen. Runs a fixed number of queries: two, and one more for the hospitals' names with
    per_hospital (the whole's figures are the sums of the hospitals'), and two more with per_place (the
    records by city and agency, the cities' names).
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    cohort = newborns.filter(registered_on__gte=date_from, registered_on__lte=date_to).order_by()
    series = _series(cohort, date_from, date_to, granularity)
    by_hospital = _figures_by_hospital(cohort)
    whole = _tallies_sum(by_hospital.values())
    hospitals = _hospital_figures(by_hospital) if per_hospital else []
    cities, agencies = _place_figures(cohort, date_from, date_to) if per_place else ([], [])
    return Report(
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
        series=series,
        counts=whole.counts(),
        median_days_to_payment=median_from_histogram(whole.days),
        payments_counted=sum(whole.days.values()),
        hospitals=hospitals,
        cities=cities,
        agencies=agencies,
    )


def _series(cohort, date_from: date, date_to: date, granularity: str) -> list[tuple[date, int]]:
    """Registrations per period: counted per day in the database (at most 1,098 rows), summed into weeks."""
    found: dict[date, int] = defaultdict(int)
    for row in cohort.values("registered_on").annotate(n=Count(COUNTED)).order_by():
        found[period_start(row["registered_on"], granularity)] += row["n"]
    step = timedelta(days=1 if granularity == "day" else 7)
    series, start = [], period_start(date_from, granularity)
    while start <= date_to:
        series.append((start, found.get(start, 0)))
        start += step
    return series


@dataclass
class _Tally:
    """One hospital's records of the cohort: by state, and by days to the first payment."""

    states: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    days: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def counts(self) -> StateCounts:
        return StateCounts(total=sum(self.states.values()), **{str(s): self.states[s] for s in STATES})


def _figures_by_hospital(cohort) -> dict[int, _Tally]:
    """The cohort grouped by hospital, state and days from registration to the first payment: one scan."""
    # Day numbers (Julian on SQLite, epoch days on PostgreSQL) subtract to whole days on both.
    days = ExpressionWrapper(DayNumber("first_paid_on") - DayNumber("registered_on"), IntegerField())
    rows = cohort.annotate(days=days).values_list("hospital_id", "state", "days").annotate(n=Count(COUNTED))
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for hospital_id, state, days_to_payment, number in rows.order_by():
        tally = tallies[hospital_id]
        tally.states[state] += number
        if days_to_payment is not None:  # no payment yet: not in the histogram
            tally.days[days_to_payment] += number
    return tallies


def _tallies_sum(tallies) -> _Tally:
    """Several hospitals' tallies added up: the whole cohort's."""
    whole = _Tally()
    for tally in tallies:
        for state, number in tally.states.items():
            whole.states[state] += number
        for days, number in tally.days.items():
            whole.days[days] += number
    return whole


def _hospital_figures(tallies: dict[int, _Tally]) -> list[HospitalFigures]:
    hospitals = Hospital.objects.filter(pk__in=tallies).order_by("code").values_list("pk", "name")
    return [
        HospitalFigures(
            hospital_id=pk,
            hospital_name=name,
            counts=tallies[pk].counts(),
            median_days_to_payment=median_from_histogram(tallies[pk].days),
            payments_counted=sum(tallies[pk].days.values()),
        )
        for pk, name in hospitals
    ]


NO_CITY, NO_AGENCY = "（未知）", "（未确定参保所属机构）"
CITY_CODE_LENGTH = 4  # a city's division code: the first four digits of its communities' (GB/T 2260)


def _place_figures(cohort, date_from: date, date_to: date) -> tuple[list[PlaceFigures], list[PlaceFigures]]:
    """The cohort by the city of its registrations' 参保社区 and by their 参保所属机构, each by state: one
    grouped query (city × agency × state) summed both ways, and one for the cities' names. Largest first.

    The births are narrowed to the same days (a birth's day is its newborns'), so that they are read
    through their own day's index rather than all hashed (tests/registration/test_province_scale.py)."""
    city = Substr("birth__community__code", 1, CITY_CODE_LENGTH)
    rows = (
        cohort.filter(birth__registered_on__gte=date_from, birth__registered_on__lte=date_to)
        .annotate(city=city)
        .values_list("city", "birth__agency__name", "state")
        .annotate(n=Count(COUNTED))
        .order_by()
    )
    by_city: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_agency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for city_code, agency, state, number in rows:
        by_city[city_code or ""][state] += number
        by_agency[agency or NO_AGENCY][state] += number
    names = dict(
        Division.objects.filter(code__in=[code for code in by_city if code], level=Division.Level.CITY)
        .order_by()
        .values_list("code", "name")
    )
    cities = [
        PlaceFigures(names.get(code, code or NO_CITY), _state_counts(states))
        for code, states in by_city.items()
    ]
    agencies = [PlaceFigures(name, _state_counts(states)) for name, states in by_agency.items()]
    return _largest_first(cities), _largest_first(agencies)


def _state_counts(states: dict[str, int]) -> StateCounts:
    return StateCounts(total=sum(states.values()), **{str(s): states.get(str(s), 0) for s in STATES})


def _largest_first(places: list[PlaceFigures]) -> list[PlaceFigures]:
    return sorted(places, key=lambda place: (-place.counts.total, place.name))


# The columns of report_records' tuples, in order.
REPORT_RECORD_FIELDS = (
    "registered_on",
    "hospital__name",
    "name",
    "sex",
    "birth_date",
    "temp_id",
    "birth_certificate_number",
    "personal_number",
    "state",
    "last_day",
    "first_paid_on",
    "real_name",
    "real_id_number",
    "void_reason",
)


def report_records(*, newborns, date_from: date, date_to: date, limit: int):
    """The cohort's records for the export's second sheet, with the first payment day, in one query: tuples
    of REPORT_RECORD_FIELDS, not models, as an export of 100,000 rows reads them (issue 15)."""
    return (
        newborns.filter(registered_on__gte=date_from, registered_on__lte=date_to)
        .order_by("registered_on", "hospital__code", "birth_id", "birth_order")
        .values_list(*REPORT_RECORD_FIELDS)[:limit]
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
