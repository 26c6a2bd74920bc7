"""Reads of the divisions: the community picked or typed, the community search, pick lists, agencies."""

import unicodedata

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Case, F, Func, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Length

from registration.models import Division, InsuranceAgency


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
