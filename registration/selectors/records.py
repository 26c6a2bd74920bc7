"""Reads of the registrations: the newborns and births a user may see, a record's page, the home lists."""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from registration.models import (
    AuditEntry,
    Birth,
    Division,
    InsuranceAgency,
    IssuedTemporaryId,
    Material,
    Newborn,
    Parent,
)
from registration.selectors.divisions import _agencies_choose, _prefixes
from registration.selectors.people import user_is_administrator


def newborn_list_for_user(*, user) -> QuerySet[Newborn]:
    """The newborns a user may see: their own hospital's, or all for administrators, none otherwise."""
    newborns = Newborn.objects.select_related("birth", "birth__hospital", "birth__community", "birth__parent")
    if user_is_administrator(user):
        return newborns
    operator = getattr(user, "operator", None) if user.is_authenticated and user.is_active else None
    if operator is None:
        return newborns.none()
    return newborns.filter(birth__hospital_id=operator.hospital_id)


def newborn_get_for_user(*, user, pk) -> Newborn:
    """One newborn the user may see, or 404: another hospital's record does not exist for them."""
    try:
        return newborn_list_for_user(user=user).get(pk=pk)
    except (Newborn.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该登记记录。") from None


def issued_suffixes_for(id_number: str) -> set[str]:
    """Every letter ever issued with a parent's ID number, by any hospital (case-sensitive: X and x)."""
    return set(IssuedTemporaryId.objects.filter(parent__id_number=id_number).values_list("suffix", flat=True))


@dataclass(frozen=True)
class RegistrationContext:
    """What newborn_register reads before it writes (registration_context)."""

    agencies: dict[str, InsuranceAgency | None]  # by division code, as agencies_for_codes
    earlier_name: str | None  # the name last registered with the ID parent's number, None if never
    births: list[int]  # the births recorded with a parent's ID number, as mother or father


_AGENCY_FIELDS = ["id", "code", "name", "is_active"]


def registration_context(*, codes: list[str], id_number: str, id_numbers: list[str]) -> RegistrationContext:
    """The agencies covering the codes (the community's, the parent's region), the ID parent's earlier
    name and the parents' earlier births (the possible duplicates), in one query.

    A registration's checks read these three things; as three ORM queries they cost the registration
    POST about a millisecond more (bench/registration.py). The agencies are chosen as agencies_for_codes
    chooses them (_agencies_choose); tests/registration/test_selectors.py compares the two.
    """
    sql, params = _registration_context_sql(codes, id_number, id_numbers)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Each row is (1, division code, agency id, code, name), (2, …, the parent's name) or (3, …, a birth).
    links = [
        (division_code, InsuranceAgency.from_db(connection.alias, _AGENCY_FIELDS, (pk, code, name, True)))
        for kind, division_code, pk, code, name in rows
        if kind == 1
    ]
    return RegistrationContext(
        agencies=_agencies_choose(codes, links),
        earlier_name=next((name for kind, *_, name in rows if kind == 2), None),
        births=[pk for kind, _, pk, *_ in rows if kind == 3],
    )


def _registration_context_sql(codes, id_number, id_numbers) -> tuple[str, list]:
    """The UNION ALL of registration_context (PostgreSQL gives each column the type of the parts that
    are not NULL there)."""
    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (InsuranceAgency.divisions.through, Division, InsuranceAgency, Parent, Birth)
    }
    parts = [f"SELECT 2, NULL, NULL, NULL, name FROM {table[Parent]} WHERE id_number = %s"]
    params = [id_number]
    if prefixes := sorted({prefix for code in codes for prefix in _prefixes(code)}):
        parts.insert(
            0,
            f"SELECT 1, d.code, a.id, a.code, a.name FROM {table[InsuranceAgency.divisions.through]} l "
            f"JOIN {table[Division]} d ON d.id = l.division_id "
            f"JOIN {table[InsuranceAgency]} a ON a.id = l.insuranceagency_id "
            f"WHERE a.is_active AND d.code IN ({', '.join(['%s'] * len(prefixes))})",
        )
        params[:0] = prefixes
    if id_numbers:
        numbers = ", ".join(["%s"] * len(id_numbers))
        # Through the births' mother and father indexes.
        parts.append(
            f"SELECT 3, NULL, id, NULL, NULL FROM {table[Birth]} "
            f"WHERE mother_id_number IN ({numbers}) OR father_id_number IN ({numbers})"
        )
        params += [*id_numbers, *id_numbers]
    return " UNION ALL ".join(parts), params


def newborns_of_births_born_on(*, births: list[int], birth_dates: set[date]) -> list[Newborn]:
    """Registrations still in force (not void) of the babies of these births born on one of the days: with
    the births of registration_context, the possible duplicates of a new registration."""
    if not births or not birth_dates:
        return []
    # The births first (registration_context, through their indexes), then their babies: one join on a fresh
    # table whose statistics are not yet gathered looped over every baby born that day.
    return list(
        Newborn.objects.filter(birth_id__in=births, birth_date__in=birth_dates)
        .exclude(state=Newborn.State.VOID)
        .select_related("birth__hospital")
        .order_by("birth__registered_at", "birth_order")
    )


def birth_get_for_user(*, user, pk) -> Birth:
    """One registration (birth) the user may see, with its babies in birth order, or 404.

    Access is decided by newborn_list_for_user, the one function that decides what a user may see.
    """
    try:
        visible = newborn_list_for_user(user=user).filter(birth_id=pk).exists()
    except (ValueError, TypeError):
        visible = False
    if not visible:
        raise Http404("没有找到该登记记录。")
    return (
        Birth.objects.select_related("hospital", "community", "parent", "clerk")
        .prefetch_related(Prefetch("newborns", queryset=Newborn.objects.order_by("birth_order")))
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
) -> QuerySet[Newborn]:
    """The newborns a user may see that match every given filter, newest registration first.

    The temporary ID is compared with "=", never LIKE or iexact: …1234X and …1234x are two babies. An
    18-character identity number finds the babies registered with that parent's ID (or formalized with it).
    """
    newborns = newborn_list_for_user(user=user)
    if name:
        newborns = newborns.filter(Q(name__contains=name) | Q(real_name__contains=name))
    if personal_number:
        newborns = newborns.filter(personal_number=personal_number)
    if identity_number:
        if len(identity_number) == 18:  # a parent's resident ID, or the baby's own after formal enrollment
            newborns = newborns.filter(
                Q(birth__mother_id_number=identity_number)
                | Q(birth__father_id_number=identity_number)
                | Q(real_id_number=identity_number)
            )
        else:
            newborns = newborns.filter(
                Q(temp_id=identity_number) | Q(birth_certificate_number=identity_number)
            )
    if born_from:
        newborns = newborns.filter(birth_date__gte=born_from)
    if born_to:
        newborns = newborns.filter(birth_date__lte=born_to)
    if state:
        newborns = newborns.filter(state=state)
    return newborns.order_by("-birth__registered_at", "-birth_id", "birth_order")


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
        .order_by("last_day", "birth__registered_at", "birth_order")
    )


def newborns_followup_for_user(*, user, hospital_id: int | None = None) -> QuerySet[Newborn]:
    """Unpaid (registered) newborns the user may see, fewest days left first; optionally of one hospital.

    Expired ones that the daily void job has not reached yet come first: they are the most urgent.
    """
    newborns = newborns_unpaid(user=user).select_related("birth__hospital")
    if hospital_id is not None:
        newborns = newborns.filter(birth__hospital_id=hospital_id)
    return newborns
