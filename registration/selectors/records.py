"""Reads of the registrations: the newborns and births a user may see, a record's page, the home lists."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from registration.access import api_client_scope, newborns_in, newborns_of_hospital, newborns_scope
from registration.models import (
    AuditEntry,
    Birth,
    IssuedTemporaryId,
    Material,
    Newborn,
    Parent,
    Payment,
    SmsMessage,
)
from registration.rules import materials_missing
from registration.selectors.filters import NewbornFilter


def newborn_list_for_user(*, user) -> QuerySet[Newborn]:
    """The newborns a user may see (registration.access.records_scope), with their birth's rows."""
    return newborns_scope(user).select_related(
        "birth", "birth__hospital", "birth__community", "birth__parent"
    )


def newborn_list_for_client(*, client, with_payments: bool = False) -> QuerySet[Newborn]:
    """The records an API client may see, as registration.access decides (api_client_scope): its hospital's,
    every hospital's for the 医保中心's client; another hospital's record is then a 404, as on the pages.
    With `with_payments`, each record's payments come along, in the order they were paid."""
    newborns = newborns_in(api_client_scope(client)).select_related(
        "birth", "birth__hospital", "birth__community"
    )
    if with_payments:
        payments = Payment.objects.order_by("paid_on", "pk")
        newborns = newborns.prefetch_related(Prefetch("payments", queryset=payments))
    return newborns


def materials_incomplete_mark(newborns: Iterable[Newborn]) -> list[Newborn]:
    """The newborns (a page of a list, their births selected), each given `materials_incomplete` by the
    rule itself (rules.materials_missing) over its birth's scans, read in one query.

    Not an annotation of the list's query: over a whole list, PostgreSQL hashed every scan of each kind in
    the province to mark a page of 25 (issue 15). The filter by it reads Birth.materials_pending, the same
    rule kept on the birth by the services that add scans (tests/registration/selectors/test_records.py
    holds the two together)."""
    newborns = list(newborns)
    kinds: dict[int, set[str]] = defaultdict(set)
    births = {newborn.birth_id for newborn in newborns}
    for birth_id, kind in (
        Material.objects.filter(birth_id__in=births).order_by().values_list("birth_id", "kind")
    ):
        kinds[birth_id].add(kind)
    for newborn in newborns:
        newborn.materials_incomplete = bool(materials_missing(newborn.birth.route, kinds[newborn.birth_id]))
    return newborns


def newborn_get_for_user(*, user, pk) -> Newborn:
    """One newborn the user may see, or 404: another hospital's record does not exist for them."""
    try:
        return newborn_list_for_user(user=user).get(pk=pk)
    except (Newborn.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该登记记录。") from None


def issued_suffixes_for(id_number: str) -> set[str]:
    """Every letter ever issued with a parent's ID number, by any hospital (case-sensitive: X and x)."""
    return set(IssuedTemporaryId.objects.filter(parent__id_number=id_number).values_list("suffix", flat=True))


def issued_suffixes_by_hospital(id_number: str) -> list[tuple[str, int | None]]:
    """Every letter ever issued with a parent's ID number, with the hospital whose record carries it (None
    for a number entered as issued outside this system): the preview shows a clerk their own hospital's
    letters, and the others' only when the typed name agrees (docs/privacy.md)."""
    return list(
        IssuedTemporaryId.objects.filter(parent__id_number=id_number)
        .order_by()
        .values_list("suffix", "newborn__hospital_id")
    )


def parent_name_of(id_number: str) -> str | None:
    """The name last registered with an ID number as the ID parent (its Parent row), or None."""
    return Parent.objects.filter(id_number=id_number).values_list("name", flat=True).first()


@dataclass(frozen=True)
class ParentBirth:
    """A birth recorded with a parent's ID number (as mother or father), as the registration check reads
    it: where it was registered and the names recorded with each number."""

    pk: int
    hospital_id: int
    registered_at: datetime
    mother_id_number: str
    mother_name: str
    father_id_number: str
    father_name: str
    parent_id_number: str  # the ID parent's
    parent_name: str  # the ID parent's Parent row: the name last registered with that number

    def name_for(self, id_number: str) -> str | None:
        """The name this birth knows for a number: the Parent row's when it is the ID parent's."""
        if id_number == self.parent_id_number:
            return self.parent_name
        if id_number == self.mother_id_number:
            return self.mother_name
        if id_number == self.father_id_number:
            return self.father_name
        return None


def parent_births(id_numbers: list[str]) -> list[ParentBirth]:
    """The births recorded with any of these ID numbers, as mother or father, oldest first, with where each
    was registered and the names it recorded. One query, through the births' mother and father indexes: a
    new registration's possible duplicates and its parent's earlier name."""
    if not id_numbers:
        return []
    rows = (
        Birth.objects.filter(Q(mother_id_number__in=id_numbers) | Q(father_id_number__in=id_numbers))
        .order_by("registered_at", "pk")
        .values_list(
            "pk",
            "hospital_id",
            "registered_at",
            "mother_id_number",
            "mother_name",
            "father_id_number",
            "father_name",
            "parent__id_number",
            "parent__name",
        )
    )
    return [ParentBirth(*row) for row in rows]


def newborns_of_births_born_on(*, births: list[int], birth_dates: set[date]) -> list[Newborn]:
    """Registrations still in force (not void) of the babies of these births born on one of the days: with
    parent_births, the possible duplicates of a new registration."""
    if not births or not birth_dates:
        return []
    # The births first (parent_births, through their indexes), then their babies: one join on a fresh
    # table whose statistics are not yet gathered looped over every baby born that day.
    return list(
        Newborn.objects.filter(birth_id__in=births, birth_date__in=birth_dates)
        .exclude(state=Newborn.State.VOID)
        .select_related("birth__hospital")
        .order_by("birth__registered_at", "birth_order")
    )


def birth_get_for_user(*, user, pk) -> Birth:
    """One registration (birth) the user may see, with its babies in birth order and its scans, or 404.

    Access is decided by newborn_list_for_user, the one function that decides what a user may see.
    """
    try:
        visible = newborn_list_for_user(user=user).filter(birth_id=pk).exists()
    except (ValueError, TypeError):
        visible = False
    if not visible:
        raise Http404("没有找到该登记记录。")
    return (
        Birth.objects.select_related("hospital", "community", "agency", "parent", "clerk")
        .prefetch_related(Prefetch("newborns", queryset=Newborn.objects.order_by("birth_order")), "materials")
        .get(pk=pk)
    )


# --- The registrations list and a record's own page ---------------------------------------------------


def newborn_search_for_user(
    *,
    user,
    name: str = "",
    personal_number: str = "",
    identity_number: str = "",
    born_from: date | None = None,
    born_to: date | None = None,
    state: str = "",
    materials: str = "",
    hospital_id: int | None = None,
    registered_from: date | None = None,
    registered_to: date | None = None,
) -> QuerySet[Newborn]:
    """The newborns a user may see that match every given filter, newest registration first.

    The temporary ID is compared with "=", never LIKE or iexact: …1234X and …1234x are two babies. An
    18-character identity number finds the babies registered with that parent's ID (or formalized with it).
    `hospital_id` (an administrator's pick) narrows to one hospital's; `registered_from`/`registered_to`
    to the registrations of those days (登记日期, both included).
    """
    values = {
        "name": name,
        "personal_number": personal_number,
        "identity_number": identity_number,
        "born_from": born_from,
        "born_to": born_to,
        "state": state,
        "registered_from": registered_from,
        "registered_to": registered_to,
    }
    newborns = newborn_list_for_user(user=user)
    if hospital_id is not None:
        newborns = newborns_of_hospital(newborns, hospital_id)
    newborns = NewbornFilter.apply(newborns, values)
    # 材料不全: the registrations still lacking a scan, marked on the birth and held by a small partial
    # index (registration_birth_pending), not every scan of the province probed per record.
    if materials == "incomplete":
        newborns = newborns.filter(birth__materials_pending=True)
    elif materials == "complete":
        newborns = newborns.filter(birth__materials_pending=False)
    return newborns.order_by("-birth__registered_at", "-birth_id", "birth_order")


# The columns of newborn_export_records' tuples, in order (the records list's export).
NEWBORN_EXPORT_FIELDS = (
    "birth__registered_on",
    "birth__hospital__name",
    "name",
    "sex",
    "birth_date",
    "temp_id",
    "birth_certificate_number",
    "personal_number",
    "phone",
    "state",
    "last_day",
    "first_paid_on",
    "birth__community__name",
    "birth__agency__name",
)


def newborn_export_records(newborns: QuerySet[Newborn], *, limit: int) -> tuple[bool, Iterator[tuple]]:
    """Whether the list (newborn_search_for_user's, in its order) holds more than `limit` records, and its
    first `limit` as tuples of NEWBORN_EXPORT_FIELDS, read in chunks (the export streams them)."""
    more = newborns[limit : limit + 1].exists()
    return more, newborns.values_list(*NEWBORN_EXPORT_FIELDS)[:limit].iterator(chunk_size=2000)


def newborn_detail_get_for_user(*, user, pk) -> Newborn:
    """One newborn the user may see (404 otherwise), with what its own page shows fetched up front."""
    newborns = (
        newborn_list_for_user(user=user)
        .select_related(
            "birth__agency", "birth__parent_agency", "birth__clerk__operator", "birth__birth_hospital"
        )
        .prefetch_related(
            "payments",
            "birth__materials",
            Prefetch("birth__newborns", queryset=Newborn.objects.order_by("birth_order")),
        )
    )
    try:
        return newborns.get(pk=pk)
    except (Newborn.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该登记记录。") from None


def newborn_history(*, newborn: Newborn, limit: int = 200) -> list[AuditEntry]:
    """The newborn's audit entries, newest first (their descriptions are stored masked)."""
    return list(newborn.audit_entries.select_related("user__operator").order_by("-at", "-pk")[:limit])


def material_get_for_user(*, user, newborn_pk, material_pk) -> tuple[Newborn, Material]:
    """A material of a newborn's birth, only if the user may see the newborn; 404 otherwise."""
    newborn = newborn_get_for_user(user=user, pk=newborn_pk)
    material = newborn.birth.materials.filter(pk=material_pk).first()
    if material is None:
        raise Http404("没有找到该材料。")
    return newborn, material


# --- The home page: today's work and what is still unpaid


def newborns_registered_on(*, user, day: date) -> QuerySet[Newborn]:
    """The newborns the user may see that were registered on a day, latest first."""
    return (
        newborn_list_for_user(user=user)
        .filter(birth__registered_on=day)
        .order_by("-birth__registered_at", "birth_id", "birth_order")
    )


def newborns_unpaid(*, user) -> QuerySet[Newborn]:
    """The user's registered-but-unpaid newborns, the most urgent (fewest days left) first."""
    return (
        newborn_list_for_user(user=user)
        .filter(state=Newborn.State.REGISTERED)
        # A total order: the paginator reads pages past the middle backwards.
        .order_by("last_day", "birth__registered_at", "birth_id", "birth_order")
    )


def newborns_followup_for_user(
    *, user, hospital_id: int | None = None, last_day_by: date | None = None
) -> QuerySet[Newborn]:
    """Unpaid (registered) newborns the user may see, fewest days left first; optionally of one hospital,
    or only those whose last day is at the latest `last_day_by`.

    Expired ones that the daily void job has not reached yet come first: they are the most urgent.
    """
    newborns = newborns_unpaid(user=user).select_related("birth__hospital")
    if hospital_id is not None:
        newborns = newborns_of_hospital(newborns, hospital_id)
    if last_day_by is not None:
        newborns = newborns.filter(last_day__lte=last_day_by)
    return newborns


def newborns_next_year_unpaid_for_user(
    *, user, today: date, hospital_id: int | None = None
) -> QuerySet[Newborn]:
    """Paid newborns the user may see whose card outlives the years paid: the next calendar year is unpaid
    and the card still valid (docs/rules.md, Which days are covered). The family must pay that year by the
    last day for its days to be covered; those with the fewest days left come first."""
    newborns = (
        newborn_list_for_user(user=user)
        .select_related("birth__hospital")
        .filter(state=Newborn.State.PAID, last_day__gte=today, paid_until__lt=F("last_day"))
        .order_by("last_day", "birth__registered_at", "birth_id", "birth_order")
    )
    if hospital_id is not None:
        newborns = newborns_of_hospital(newborns, hospital_id)
    return newborns


# The follow-up export's columns, in order: values, not models, as 100,000 rows are read (issue 15).
FOLLOWUP_EXPORT_FIELDS = (
    "name",
    "temp_id",
    "birth_certificate_number",
    "personal_number",
    "last_day",
    "birth__mother_name",
    "birth__mother_phone",
    "birth__father_name",
    "birth__father_phone",
    "phone",
    "registered_on",
    "hospital__name",
)


def followup_export_records(newborns: QuerySet[Newborn], *, limit: int) -> tuple[bool, Iterator[tuple]]:
    """Whether the follow-up list holds more than `limit` records, and its first `limit` as tuples of
    FOLLOWUP_EXPORT_FIELDS in its order, read in chunks (the export streams them)."""
    more = newborns[limit : limit + 1].exists()
    return more, newborns.values_list(*FOLLOWUP_EXPORT_FIELDS)[:limit].iterator(chunk_size=2000)


# --- Text messages (docs/sms.md)


def sms_failed_messages() -> QuerySet[SmsMessage]:
    """The text messages that failed, or await a retry after failing: the clerk calls those families."""
    return SmsMessage.objects.filter(state__in=[SmsMessage.State.FAILED, SmsMessage.State.PENDING]).exclude(
        last_error=""
    )


def newborns_sms_failed_for_user(*, user, hospital_id: int | None = None) -> QuerySet[Newborn]:
    """The newborns the user may see (not void, not formally enrolled) whose text message failed: the
    follow-up list's 「短信发送失败」, fewest days left first."""
    newborns = (
        newborn_list_for_user(user=user)
        .filter(state__in=[Newborn.State.REGISTERED, Newborn.State.PAID])
        # From the failed messages (a few, through their partial index), not an EXISTS per newborn.
        .filter(pk__in=sms_failed_messages().values("newborn_id"))
        .order_by("last_day", "birth__registered_at", "birth_id", "birth_order")
    )
    if hospital_id is not None:
        newborns = newborns_of_hospital(newborns, hospital_id)
    return newborns


def newborn_sms_messages(*, newborn: Newborn) -> list[SmsMessage]:
    """A record's text messages, newest first (its page)."""
    return list(newborn.sms_messages.order_by("-created_at", "-pk"))


def newborns_sms_failed_mark(newborns) -> list[Newborn]:
    """The page's newborns, each with `sms_failed` set (one query)."""
    newborns = list(newborns)
    failed = set(
        sms_failed_messages()
        .filter(newborn__in=[newborn.pk for newborn in newborns])
        .values_list("newborn_id", flat=True)
    )
    for newborn in newborns:
        newborn.sms_failed = newborn.pk in failed
    return newborns
