"""Reads. The functions here decide what a user may see: every view that takes an object goes through them."""

import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Case, F, Func, IntegerField, Prefetch, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Length
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


def user_is_administrator(user) -> bool:
    """医保中心 administrators see every hospital's records; hospital staff have an Operator row."""
    return user.is_authenticated and user.is_active and user.is_staff and not hasattr(user, "operator")


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


def _prefixes(code: str) -> list[str]:
    return [code[:length] for length in (2, 4, 6, 9, 12) if len(code) >= length]


def agency_for_division_code(code: str) -> InsuranceAgency | None:
    """The active agency covering a division code, the most specific covering division winning.

    The code can be a community's (12 digits) or the region code of a resident ID (6 digits).
    """
    return agencies_for_codes([code])[code]


def agencies_for_codes(codes) -> dict[str, InsuranceAgency | None]:
    """agency_for_division_code for several codes at once, in one query."""
    codes = list(codes)
    prefixes = {prefix for code in codes for prefix in _prefixes(code)}
    links = []
    if prefixes:
        agencies = (
            InsuranceAgency.objects.filter(divisions__code__in=prefixes, is_active=True)
            .annotate(covered_code=F("divisions__code"))
            .order_by()
        )
        links = [(agency.covered_code, agency) for agency in agencies]
    return _agencies_choose(codes, links)


def _agencies_choose(codes, links) -> dict[str, InsuranceAgency | None]:
    """Each code's agency among the (covered division code, active agency) links: the most specific
    covered division wins, and of two agencies covering the same division the one with the lower code."""
    covering: dict[str, InsuranceAgency] = {}
    for division_code, agency in links:
        if division_code not in covering or agency.code < covering[division_code].code:
            covering[division_code] = agency
    return {
        code: next((covering[prefix] for prefix in reversed(_prefixes(code)) if prefix in covering), None)
        for code in codes
    }


def division_get(*, pk) -> Division:
    """One division by its id (the 社区ID), with its parent chain's names ready for display."""
    return Division.objects.select_related("parent").get(pk=pk)


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


def community_resolve(*, pk=None, text: str = "") -> Division | None:
    """The division a clerk chose or typed: a 社区ID or a 12-digit 社区编码 typed into the box wins over
    the picker's hidden id (the box may have been edited after picking); else the picked id; else a
    community name that matches exactly one village. None when nothing matches.
    """
    text = text.strip()
    if text.isascii() and text.isdigit():
        if len(text) == 12:
            return Division.objects.filter(code=text).first()
        return Division.objects.filter(pk=int(text)).first() if len(text) <= 12 else None
    if pk is not None:
        division = Division.objects.filter(pk=pk).first()
        if division is not None:
            return division
    if text:
        matches = list(
            Division.objects.filter(level=Division.Level.VILLAGE)
            .filter(Q(name=text) | Q(full_name=text))
            .order_by()[:2]
        )
        if len(matches) == 1:
            return matches[0]
    return None


def community_name_ambiguous(text: str) -> bool:
    """Whether more than one village or community bears this name (or full name): the clerk must pick."""
    text = text.strip()
    matches = Division.objects.filter(level=Division.Level.VILLAGE).filter(Q(name=text) | Q(full_name=text))
    return bool(text) and matches.order_by()[:2].count() == 2


# --- Community search and pick lists (附件2: 社区ID, 编码 or 名称; 市 → 区县 → 乡镇（街道） → 村（社区）)

DIVISION_QUERY_MAX_LENGTH = 120  # the registration page's text box holds a full name of this length
DIVISION_CODE_LENGTHS = range(6, 13)  # a county's 6 digits down to a community's 12
DIVISION_SEARCH_MAX_LIMIT = 100


class DivisionQueryError(ValueError):
    """A search text no clerk types: too long, or with control characters. The message is for the clerk."""


def division_query_terms(query: str) -> list[str]:
    """The search words of a query, or DivisionQueryError; full-width digits and spaces become ASCII."""
    if len(query) > DIVISION_QUERY_MAX_LENGTH:
        raise DivisionQueryError(f"查询内容过长（最多{DIVISION_QUERY_MAX_LENGTH}个字符）。")
    if any(unicodedata.category(char) == "Cc" for char in query):
        raise DivisionQueryError("查询内容包含无效字符。")
    # Format characters (zero-width spaces and the like) come along when a name is copied from a web page.
    text = "".join(char for char in query if unicodedata.category(char) != "Cf")
    return unicodedata.normalize("NFKC", text).split()


def division_search(query: str, *, limit: int = 20) -> list[Division]:
    """Villages and communities (level 5) matching a 社区ID, a code (prefix) or name fragments, best first.

    One number: the community with that id, then the communities whose code begins with it (6-12 digits).
    One word of two or more characters: communities with it anywhere in their name, exact names first,
    then names beginning with it, then shorter names. Several words ("青秀 新竹"): each must occur in the
    full name ("南宁市 青秀区 新竹街道 新竹社区居委会"); a 6-12 digit word restricts the code instead.
    Too short a query gives no results. Raises DivisionQueryError for text no clerk types.
    """
    terms = division_query_terms(query)
    limit = max(0, min(limit, DIVISION_SEARCH_MAX_LIMIT))
    if len(terms) == 1 and terms[0].isascii() and terms[0].isdigit():
        return _division_search_number(terms[0], limit)
    words = [term for term in terms if not _is_code_prefix(term)]
    codes = [term for term in terms if _is_code_prefix(term)]
    if not words or max(len(word) for word in words) < 2 or limit == 0:
        return []
    # "level + 0": matching a name reads every row anyway, and walking the (level, code) index to reach
    # nine rows in ten of the table took SQLite twice as long as reading the table straight through.
    if len(terms) == 1 and connection.vendor == "postgresql":
        return _division_search_name_postgresql(words[0], limit)
    villages = _villages(scan=True)
    if len(terms) == 1:
        villages = villages.filter(name__contains=words[0])
    for word in words if len(terms) > 1 else []:
        villages = villages.filter(full_name__contains=word)
    for code in codes:
        villages = villages.filter(**_code_range(code))
    # The last word is the community's own name as clerks type it: "青秀 新竹" means 新竹 in 青秀区.
    word = words[-1]
    rank = Case(
        When(name=word, then=Value(0)),
        When(name__startswith=word, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(villages.annotate(rank=rank).order_by("rank", Length("name"), "code")[:limit])


def _division_search_name_postgresql(word: str, limit: int) -> list[Division]:
    # The national set holds 620,573 communities. The ranks of division_search become three parts, each
    # ordered and cut at `limit` on its own, so that the planner can stop early: a fragment found in a few
    # hundred names is read through the GIN index of the names' bigrams, one found in tens of thousands
    # ("社区") by walking the (length, code) index until `limit` names match (both indexes: migration 0005;
    # the planner tells the two apart by the bigrams' statistics). One query: UNION ALL.
    villages = Division.objects.filter(level=Division.Level.VILLAGE)
    contains = villages.alias(name_bigrams=_Bigrams(F("name"))).filter(
        name_bigrams__contains=_Bigrams(Value(word)), name__contains=word
    )
    parts = [
        villages.filter(name=word),
        # Few names begin with a word: read them by the name index. "level + 0" hides the partial index
        # from this part, whose prefix estimates led the planner to walk it through half the table.
        _villages(scan=True).filter(name__startswith=word).exclude(name=word),
        contains.exclude(name__startswith=word),
    ]
    parts = [
        part.annotate(rank=Value(rank), name_length=Length("name")).order_by("name_length", "code")[:limit]
        for rank, part in enumerate(parts)
    ]
    return list(parts[0].union(*parts[1:], all=True).order_by("rank", "name_length", "code")[:limit])


class _Bigrams(Func):
    """The character bigrams of a text: registration_bigrams(), PostgreSQL only (migration 0005)."""

    function = "registration_bigrams"
    output_field = ArrayField(TextField())


def _villages(*, scan: bool = False):
    # No parent joins: full_name holds the chain a clerk needs ("南宁市 青秀区 新竹街道 …"), stored at import.
    divisions = Division.objects.all()
    if scan:
        return divisions.alias(level_value=F("level") + 0).filter(level_value=Division.Level.VILLAGE)
    return divisions.filter(level=Division.Level.VILLAGE)


def _is_code_prefix(term: str) -> bool:
    return term.isascii() and term.isdigit() and len(term) in DIVISION_CODE_LENGTHS


def _code_range(prefix: str) -> dict[str, str]:
    # A range rather than LIKE 'prefix%': SQLite's LIKE ignores case and so cannot use the code index.
    # The successor of the last digit '9' is ':', which sorts right after it.
    return {"code__gte": prefix, "code__lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


def _division_search_number(number: str, limit: int) -> list[Division]:
    if len(number) > 12 or limit == 0:
        return []
    # Ids stay below 10**9 (PostgreSQL's integer overflows at 2**31): a longer number is only a code.
    pk = int(number) if len(number) <= 9 else None
    match = Q(pk=pk) if pk is not None else Q(pk__in=[])
    if _is_code_prefix(number):
        match |= Q(**_code_range(number))
    first = Case(
        When(pk=pk, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(_villages().filter(match).annotate(rank=first).order_by("rank", "code")[:limit])


def division_children(parent_id: int | None = None) -> list[Division]:
    """The pick list under a division, by code; with no parent, the cities of the app's province.

    When the province (settings.PROVINCE_CODE) is not loaded, the provinces themselves come first.
    """
    if parent_id is None:
        province = Division.objects.filter(code=settings.PROVINCE_CODE, level=Division.Level.PROVINCE)
        parent_id = province.values_list("pk", flat=True).first()
        if parent_id is None:
            return list(Division.objects.filter(level=Division.Level.PROVINCE).order_by("code"))
    return list(Division.objects.filter(parent_id=parent_id).order_by("code"))


def division_agencies(divisions) -> dict[int, InsuranceAgency | None]:
    """The agency of each division (by id), as agency_for_division_code decides it, in one query."""
    divisions = list(divisions)
    agencies = agencies_for_codes(division.code for division in divisions)
    return {division.pk: agencies[division.code] for division in divisions}


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


# --- Follow-up, reports and operators (issue 5, items 5-7) ----------------------------------------------


def hospitals_for_user(*, user) -> QuerySet:
    """The hospitals whose figures a user may see: all for administrators, their own for staff, else none."""
    from registration.models import Hospital

    hospitals = Hospital.objects.select_related("division").order_by("code")
    if user_is_administrator(user):
        return hospitals
    operator = getattr(user, "operator", None) if user.is_authenticated and user.is_active else None
    if operator is None:
        return hospitals.none()
    return hospitals.filter(pk=operator.hospital_id)


def hospital_get_for_user(*, user, pk):
    """One hospital the user may see, or 404 (another hospital does not exist for hospital staff)."""
    from registration.models import Hospital

    try:
        return hospitals_for_user(user=user).get(pk=pk)
    except (Hospital.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该医疗机构。") from None


def newborns_followup_for_user(*, user, hospital_id: int | None = None) -> QuerySet[Newborn]:
    """Unpaid (registered) newborns the user may see, fewest days left first; optionally of one hospital.

    Expired ones that the daily void job has not reached yet come first: they are the most urgent.
    """
    newborns = newborns_unpaid(user=user).select_related("birth__hospital")
    if hospital_id is not None:
        newborns = newborns.filter(birth__hospital_id=hospital_id)
    return newborns


def operators_for_user(*, user, hospital_id: int | None = None, access: str = "") -> QuerySet:
    """The operators a user may manage: their hospital's for a supervisor, all for administrators."""
    from registration.models import Operator

    # In the order they were entered: 附件1 numbers its rows (序号) and new requests come last.
    operators = Operator.objects.select_related("user", "hospital", "hospital__division").order_by(
        "hospital__code", "pk"
    )
    if not user_is_administrator(user):
        operator = getattr(user, "operator", None) if user.is_authenticated and user.is_active else None
        if operator is None or operator.role != Operator.Role.SUPERVISOR:
            return operators.none()
        operators = operators.filter(hospital_id=operator.hospital_id)
    if hospital_id is not None:
        operators = operators.filter(hospital_id=hospital_id)
    if access:
        operators = operators.filter(access=access)
    return operators


def operator_get_for_user(*, user, pk):
    """One operator the user may manage, or 404: another hospital's operator does not exist for them."""
    from registration.models import Operator

    try:
        return operators_for_user(user=user).get(pk=pk)
    except (Operator.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该经办人员。") from None


# --- The audit log page (issue 6): a supervisor sees their hospital's entries, an administrator all


def audit_entries_for_user(
    *,
    user,
    at_from=None,
    at_before=None,
    action: str = "",
    username: str = "",
    hospital_id: int | None = None,
    newborn_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """The audit entries a user may read, newest first, matching every given filter.

    Supervisors read their own hospital's entries (not those of no hospital: an unknown username's failed
    logins, administrators' work); administrators read every entry; anyone else none.
    """
    from registration.models import Operator

    entries = AuditEntry.objects.select_related("hospital").order_by("-at", "-pk")
    if not user_is_administrator(user):
        operator = getattr(user, "operator", None) if user.is_authenticated and user.is_active else None
        if operator is None or operator.role != Operator.Role.SUPERVISOR:
            return entries.none()
        entries = entries.filter(hospital_id=operator.hospital_id)
    if at_from is not None:
        entries = entries.filter(at__gte=at_from)
    if at_before is not None:
        entries = entries.filter(at__lt=at_before)
    if action:
        entries = entries.filter(action=action)
    if username:
        entries = entries.filter(username=username)
    if hospital_id is not None:
        entries = entries.filter(hospital_id=hospital_id)
    if newborn_id is not None:
        entries = entries.filter(newborn_id=newborn_id)
    return entries


def hospital_by_name(name: str):
    """The active hospital with exactly this name, or None (none, or several: a name alone cannot tell)."""
    from registration.models import Hospital

    matches = list(Hospital.objects.select_related("division").filter(name=name, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None
