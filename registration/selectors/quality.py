"""The 医保中心's data quality across hospitals (docs/quality.md): likely duplicates, records going stale,
each hospital's figures over a period.

Every read is a fixed number of grouped queries whatever the number of hospitals or records: the likely
duplicates are two (one per parent number) plus one for their records, the going-stale counts three,
the figures one. The period bounds every query through an index on the days it names (Newborn's
birth_date and its report indexes on registered_on, Birth's registration_birth_warned).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, Max, Min, OuterRef, Q

from registration.access import newborns_of_hospital
from registration.masking import mask_id_number
from registration.models import DuplicateDismissal, Hospital, Newborn
from registration.rules import pre_enrollment_last_day
from registration.selectors.lookups import lookups_above_threshold
from registration.selectors.reports import COUNTED, DayNumber, median_from_histogram

# The parent numbers a likely duplicate may share, and how the page says which.
PARENT_KEYS = (
    ("mother_id_number", "母亲身份证号码相同"),
    ("father_id_number", "父亲身份证号码相同"),
)
# The warnings a clerk may confirm, as the page names them (services/registration_check.py's codes).
WARNING_LABELS = {
    "agency_mismatch": "参保所属机构不一致",
    "parent_name_changed": "父母姓名与此前登记不一致",
    "possible_duplicate": "可能重复登记",
    "birth_place": "出生地不在区内定点医院",
}
# How many pairs the page lists at most: beyond, the period is to be shortened.
PAIRS_SHOWN = 500


@dataclass(frozen=True)
class DuplicatePair:
    """Two records of one baby, most likely: different registrations (births), neither void, the same
    birth date and sex and a parent number in common. `first` is the earlier registered (lower id)."""

    first: Newborn
    second: Newborn
    why: tuple[str, ...]

    @property
    def key(self) -> tuple[int, int]:
        return (self.first.pk, self.second.pk)

    @property
    def hospitals(self) -> set[int]:
        return {self.first.hospital_id, self.second.hospital_id}


def _in_force(newborns):
    return newborns.exclude(state=Newborn.State.VOID)


def duplicate_pairs(*, date_from: date, date_to: date, hospital_id: int | None = None) -> list[DuplicatePair]:
    """The likely duplicates among the babies born from date_from to date_to, not yet judged two babies
    (DuplicateDismissal), oldest pair first; with `hospital_id`, those with a record of that hospital.

    Twins and triplets registered together are one birth and never paired. Void records are left out: a
    duplicate voided is handled. The same birth certificate number twice cannot be stored
    (Newborn.birth_certificate_number is unique), so it needs no search.
    """
    born = _in_force(Newborn.objects.filter(birth_date__gte=date_from, birth_date__lte=date_to)).order_by()
    keys: dict[str, set] = {}
    for field_name, _ in PARENT_KEYS:
        if hospital_id is None:
            groups = (
                born.exclude(**{field_name: ""})
                # Grouped in the order of the index registration_newborn_dup_*: one range, read in order.
                .values_list("birth_date", "sex", field_name)
                # Two births or more: their lowest and highest differ (twins share theirs). No DISTINCT
                # count, which sorts every group.
                .annotate(first=Min("birth_id"), last=Max("birth_id"))
                .filter(first__lt=F("last"))
            )
            keys[field_name] = {(number, day, sex) for day, sex, number, _, _ in groups}
        else:
            keys[field_name] = _hospital_keys(born, field_name, hospital_id, date_from, date_to)
    if not any(keys.values()):
        return []
    numbers = Q()
    for field_name, found in keys.items():
        if found:
            # Through the births' indexes by number (registration_birth_mother_id, _father_id): the
            # newborns' own lead with the birth date.
            numbers |= Q(**{f"birth__{field_name}__in": sorted({number for number, _, _ in found})})
    records = list(born.filter(numbers).select_related("birth", "hospital").order_by("pk"))
    pairs: dict[tuple[int, int], list[str]] = defaultdict(list)
    by_pk = {record.pk: record for record in records}
    for field_name, why in PARENT_KEYS:
        groups: dict[tuple, list[Newborn]] = defaultdict(list)
        for record in records:
            key = (getattr(record, field_name), record.birth_date, record.sex)
            if key in keys[field_name]:
                groups[key].append(record)
        for members in groups.values():
            for index, first in enumerate(members):
                for second in members[index + 1 :]:
                    if first.birth_id != second.birth_id:
                        pairs[(first.pk, second.pk)].append(why)
    dismissed = _dismissed({pk for pair in pairs for pk in pair})
    found = [
        DuplicatePair(first=by_pk[a], second=by_pk[b], why=tuple(why))
        for (a, b), why in sorted(pairs.items())
        if (a, b) not in dismissed
    ]
    if hospital_id is not None:
        found = [pair for pair in found if hospital_id in pair.hospitals]
    return found


def _hospital_keys(born, field_name: str, hospital_id: int, date_from: date, date_to: date) -> set:
    """The keys (number, birth date, sex) of one hospital's babies with a partner in another birth: its own
    babies of the period (through its indexes; the last day follows the birth date), each probing the
    index registration_newborn_dup_* once, not the province's babies grouped."""
    partner = _in_force(
        Newborn.objects.filter(
            birth_date=OuterRef("birth_date"), sex=OuterRef("sex"), **{field_name: OuterRef(field_name)}
        )
    ).exclude(birth_id=OuterRef("birth_id"))
    own = newborns_of_hospital(born, hospital_id).filter(
        last_day__gte=pre_enrollment_last_day(date_from), last_day__lte=pre_enrollment_last_day(date_to)
    )
    found = own.exclude(**{field_name: ""}).filter(Exists(partner.exclude(**{field_name: ""})))
    return {(number, day, sex) for day, sex, number in found.values_list("birth_date", "sex", field_name)}


def _dismissed(pks: set[int]) -> set[tuple[int, int]]:
    if not pks:
        return set()
    return set(
        DuplicateDismissal.objects.filter(first_id__in=pks, second_id__in=pks).values_list(
            "first_id", "second_id"
        )
    )


def duplicate_pair_get(*, first: int, second: int) -> tuple[Newborn, Newborn]:
    """The two records of a pair, by id in order, with their births and hospitals (for an administrator's
    page: the caller is decided by access.administrator_or_not_found). Raises Newborn.DoesNotExist."""
    records = {
        record.pk: record
        for record in Newborn.objects.filter(pk__in=[first, second]).select_related(
            "birth", "birth__parent", "hospital", "duplicate_of"
        )
    }
    if first >= second or len(records) != 2:
        raise Newborn.DoesNotExist
    return records[first], records[second]


def likely_duplicates(*, first: Newborn, second: Newborn) -> tuple[str, ...]:
    """Why two records (their births selected) are a likely duplicate pair, or () when they are not."""
    if first.birth_id == second.birth_id or (first.birth_date, first.sex) != (second.birth_date, second.sex):
        return ()
    why = []
    for field_name, label in PARENT_KEYS:
        number = getattr(first.birth, field_name)
        if number and number == getattr(second.birth, field_name):
            why.append(label)
    return tuple(why)


def duplicate_kept_code(newborn: Newborn) -> str:
    """The masked code of the record a void duplicate was voided for ("" for any other record): all its
    hospital learns of a record another hospital may keep (docs/privacy.md)."""
    if newborn.duplicate_of_id is None:
        return ""
    kept = Newborn.objects.filter(pk=newborn.duplicate_of_id).values_list(
        "temp_id", "birth_certificate_number"
    )
    temp_id, certificate = kept.get()
    return mask_id_number(temp_id or certificate)


def duplicate_dismissal_get(*, first: int, second: int) -> DuplicateDismissal | None:
    return (
        DuplicateDismissal.objects.filter(first_id=first, second_id=second)
        .select_related("decided_by")
        .first()
    )


# --- Going stale, and each hospital's figures ------------------------------------------------------------


@dataclass
class HospitalQuality:
    """One hospital's figures over the period (registration days): what the page's table sorts."""

    hospital_id: int
    hospital_name: str = ""
    hospital_code: str = ""
    registered: int = 0
    void_unpaid: int = 0
    days: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: int = 0
    missing_scans: int = 0
    not_formalized: int = 0
    warnings_confirmed: int = 0
    warnings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Days on which one of its users looked up other hospitals' records more than the day's threshold
    # (settings.LOOKUP_ALERT_PER_DAY; docs/privacy.md, Lookups on record), one per user and day.
    lookups_above: int = 0

    @property
    def void_unpaid_share(self) -> float | None:
        return self.void_unpaid / self.registered if self.registered else None

    @property
    def median_days_to_payment(self) -> float | None:
        return median_from_histogram(self.days)

    @property
    def stale(self) -> int:
        return self.missing_scans + self.not_formalized + self.warnings_confirmed

    def warnings_words(self) -> str:
        return "，".join(
            f"{WARNING_LABELS.get(code, code)}{number}" for code, number in sorted(self.warnings.items())
        )


# The figures' columns the page sorts by: key → (header, value of a HospitalQuality).
SORTS = {
    "hospital": ("医疗机构", lambda row: row.hospital_code),
    "registered": ("登记数", lambda row: row.registered),
    "void_unpaid": ("未缴费作废", lambda row: row.void_unpaid),
    "void_unpaid_share": ("未缴费作废比例", lambda row: row.void_unpaid_share),
    "median_days": ("缴费天数中位数", lambda row: row.median_days_to_payment),
    "duplicates": ("疑似重复", lambda row: row.duplicates),
    "missing_scans": ("材料逾期未补", lambda row: row.missing_scans),
    "not_formalized": ("缴费后逾期未正式参保", lambda row: row.not_formalized),
    "warnings_confirmed": ("确认提示后登记", lambda row: row.warnings_confirmed),
    "lookups_above": ("跨院查询超阈值（人·天）", lambda row: row.lookups_above),
}


@dataclass
class QualityReport:
    date_from: date
    date_to: date
    days: int  # N: a scan missing, or a paid record not formalized, this many days counts as stale
    today: date
    hospitals: list[HospitalQuality]
    pairs: list[DuplicatePair]

    @property
    def pairs_shown(self) -> list[DuplicatePair]:
        return self.pairs[:PAIRS_SHOWN]

    @property
    def stale_hospitals(self) -> list[HospitalQuality]:
        return sorted(
            (row for row in self.hospitals if row.stale), key=lambda row: (-row.stale, row.hospital_code)
        )

    def total(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.hospitals)


def quality_report(
    *,
    date_from: date,
    date_to: date,
    days: int,
    today: date,
    hospital_id: int | None = None,
    sort: str = "hospital",
    descending: bool = False,
) -> QualityReport:
    """The quality page's figures: every hospital's, or one hospital's (its supervisor's report page).

    A period's registrations (registration days from date_from to date_to) by hospital; the likely
    duplicates among the babies born in the period. Ten queries whatever the number of hospitals.
    """
    newborns = Newborn.objects.all()
    if hospital_id is not None:
        newborns = newborns_of_hospital(newborns, hospital_id)
    cohort = newborns.filter(registered_on__gte=date_from, registered_on__lte=date_to).order_by()
    rows: dict[int, HospitalQuality] = {}

    def row(pk: int) -> HospitalQuality:
        return rows.setdefault(pk, HospitalQuality(hospital_id=pk))

    # Registered, void without a payment, days to the first payment: one scan of the report index.
    days_to_pay = ExpressionWrapper(DayNumber("first_paid_on") - DayNumber("registered_on"), IntegerField())
    for pk, state, days_paid, number in (
        cohort.annotate(days=days_to_pay)
        .values_list("hospital_id", "state", "days")
        .annotate(n=Count(COUNTED))
        .order_by()
    ):
        figures = row(pk)
        figures.registered += number
        if days_paid is None:
            if state == Newborn.State.VOID:
                figures.void_unpaid += number
        else:
            figures.days[days_paid] += number
    # Scans still missing N days after the registration (saved with 材料暂缺, never completed).
    due = today - timedelta(days=days)
    pending = cohort.filter(
        birth__materials_pending=True,
        birth__registered_on__gte=date_from,
        birth__registered_on__lte=min(date_to, due),
    )
    for pk, number in _by_hospital(_in_force(pending)):
        row(pk).missing_scans = number
    # Paid, not formally enrolled N days after the window's last day.
    for pk, number in _by_hospital(cohort.filter(state=Newborn.State.PAID, last_day__lt=due)):
        row(pk).not_formalized = number
    # Registered past a warning the clerk confirmed, by warning.
    warned = (
        cohort.exclude(birth__confirmed_warnings="")
        .filter(birth__registered_on__gte=date_from, birth__registered_on__lte=date_to)
        .values_list("hospital_id", "birth__confirmed_warnings")
        .annotate(n=Count(COUNTED))
        .order_by()
    )
    for pk, codes, number in warned:
        figures = row(pk)
        figures.warnings_confirmed += number
        for code in codes.split():
            figures.warnings[code] += number
    # Lookups of other hospitals' records above the day's threshold, per user and day, over the period.
    for lookup_day in lookups_above_threshold(start=date_from, end=date_to, hospital=hospital_id):
        if lookup_day.hospital_id is not None:
            row(lookup_day.hospital_id).lookups_above += 1
    pairs = duplicate_pairs(date_from=date_from, date_to=date_to, hospital_id=hospital_id)
    paired = {record.pk: record.hospital_id for pair in pairs for record in (pair.first, pair.second)}
    for pk in paired.values():
        if hospital_id is None or pk == hospital_id:
            row(pk).duplicates += 1
    for pk, name, code in Hospital.objects.filter(pk__in=rows).values_list("pk", "name", "code"):
        rows[pk].hospital_name, rows[pk].hospital_code = name, code
    return QualityReport(
        date_from=date_from,
        date_to=date_to,
        days=days,
        today=today,
        hospitals=quality_sorted(rows.values(), sort=sort, descending=descending),
        pairs=pairs,
    )


def _by_hospital(newborns) -> Iterable[tuple[int, int]]:
    return newborns.values_list("hospital_id").annotate(n=Count(COUNTED)).order_by()


def quality_sorted(rows: Iterable[HospitalQuality], *, sort: str, descending: bool) -> list[HospitalQuality]:
    """The figures sorted by a column of SORTS; a column without a value (no payment yet) last."""
    value = SORTS.get(sort, SORTS["hospital"])[1]
    present = [row for row in rows if value(row) is not None]
    absent = [row for row in rows if value(row) is None]
    present.sort(key=lambda row: (value(row), row.hospital_code), reverse=descending)
    return present + sorted(absent, key=lambda row: row.hospital_code)
