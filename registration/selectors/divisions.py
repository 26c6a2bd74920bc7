"""Reads of the divisions: the community picked or typed, the community search, pick lists, agencies."""

import unicodedata

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Case, F, Func, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Length

from registration import validators
from registration.models import Division, InsuranceAgency
from registration.reference import household_address_start


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
    # Format characters (zero-width spaces and the like) come along when a name is copied from a web page:
    # dropped; any other hidden character refuses the query.
    text = "".join(char for char in query if unicodedata.category(char) != "Cf")
    if validators.has_hidden_characters(text):
        raise DivisionQueryError("查询内容包含无效字符。")
    return unicodedata.normalize("NFKC", text).split()


def division_search(query: str, *, limit: int = 20, near: str = "") -> list[Division]:
    """Villages and communities (level 5) matching a 社区ID, a code (prefix) or name fragments, best first.

    One number: the community with that id, then the communities whose code begins with it (6-12 digits).
    One word of two or more characters: communities with it anywhere in their name, exact names first,
    then names beginning with it, then shorter names. Several words ("青秀 新竹"): each must occur in the
    full name ("南宁市 青秀区 新竹街道 新竹社区居委会"), ranked by the last one as a single word is; a 6-12
    digit word restricts the code instead. Too short a query gives no results. Raises DivisionQueryError
    for text no clerk types.

    `near` is the code of the clerk's hospital's division (a county's, 6 digits): name searches then list
    the communities of that county first, then the rest of its city, then the others, each group in the
    order above (a fragment shared across the province, 思贤, shows Nanning's before Liuzhou's to a Nanning
    hospital). Number searches keep their order: an id or a code is already one place.
    """
    terms = division_query_terms(query)
    limit = max(0, min(limit, DIVISION_SEARCH_MAX_LIMIT))
    if len(terms) == 1 and terms[0].isascii() and terms[0].isdigit():
        return _division_search_number(terms[0], limit)
    words = [term for term in terms if not _is_code_prefix(term)]
    codes = [term for term in terms if _is_code_prefix(term)]
    if not words or max(len(word) for word in words) < 2 or limit == 0:
        return []
    search = _NameSearch(words, codes, single=len(terms) == 1, near=_near_prefixes(near))
    if connection.vendor == "postgresql":
        return search.postgresql(limit)
    return search.scan(limit)


def division_search_near(user) -> str:
    """The code of the division of the user's hospital (its county), for division_search's `near`; "" for
    a user without a hospital (an administrator). One query, whatever the request has loaded already."""
    if not user.is_authenticated:
        return ""
    codes = Division.objects.filter(hospitals__operators__user=user).values_list("code", flat=True)
    return codes.first() or ""


def _near_prefixes(code: str) -> list[str]:
    """The county's and the city's code prefixes of a division code, the nearer first."""
    code = code if code.isascii() and code.isdigit() else ""
    return [code[:length] for length in (6, 4) if len(code) >= length]


class _NameSearch:
    """A name search: the matching communities, in the nearness groups of `near` and, within each, ranked
    by the last word: the exact name, then names beginning with it, then the rest; then shorter names."""

    def __init__(self, words: list[str], codes: list[str], *, single: bool, near: list[str]):
        self.words, self.codes, self.single, self.near = words, codes, single, near
        # The last word is the community's own name as clerks type it: "青秀 新竹" means 新竹 in 青秀区.
        self.word = words[-1]

    def matching(self, villages, *, bigrams: bool = False):
        """Villages whose name (one word) or full name (several) holds every word; with `bigrams` also
        through the bigram indexes (PostgreSQL, migrations 0005 and 0010), which the LIKEs then decide."""
        if self.single:
            if bigrams:
                villages = villages.alias(name_bigrams=_Bigrams(F("name"))).filter(
                    name_bigrams__contains=_Bigrams(Value(self.word))
                )
            return villages.filter(name__contains=self.word)
        if bigrams:
            villages = villages.alias(full_name_bigrams=_Bigrams(F("full_name")))
            for word in self.words:
                if len(word) >= 2:  # a single character has no bigram: its LIKE alone decides
                    villages = villages.filter(full_name_bigrams__contains=_Bigrams(Value(word)))
        for word in self.words:
            villages = villages.filter(full_name__contains=word)
        for code in self.codes:
            villages = villages.filter(**_code_range(code))
        return villages

    def rank(self):
        return Case(
            When(name=self.word, then=Value(0)),
            When(name__startswith=self.word, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )

    def nearness(self):
        """0 for the county of `near`, 1 for the rest of its city, 2 (or 0 without `near`) for the others."""
        whens = [When(**_code_range(prefix), then=Value(index)) for index, prefix in enumerate(self.near)]
        if not whens:
            return Value(0, output_field=IntegerField())
        return Case(*whens, default=Value(len(whens)), output_field=IntegerField())

    def scan(self, limit: int) -> list[Division]:
        # SQLite holds one province (18,091 divisions) and reads it straight through: one ordered query.
        # "level + 0": matching a name reads every row anyway, and walking the (level, code) index to reach
        # nine rows in ten of the table took SQLite twice as long as reading the table straight through.
        villages = self.matching(_villages(scan=True)).annotate(nearness=self.nearness(), rank=self.rank())
        return list(villages.order_by("nearness", "rank", Length("name"), "code")[:limit])

    def postgresql(self, limit: int) -> list[Division]:
        # The national set holds 620,573 communities. The order becomes parts, each ordered and cut at
        # `limit` on its own so that the planner can stop early, in one query (UNION ALL):
        # - the hospital's city (its county first) as one part: a code range of a few hundred to a few
        #   thousand communities, read by the code index;
        # - the others as three parts, one per rank. The exact name is read by the name index; names beginning
        #   with the word by the name index too ("level + 0" hides the partial index from this part, whose
        #   prefix estimates led the planner to walk it through half the table); names (or full names) that
        #   hold it elsewhere through the GIN index of their bigrams when it is rare, or by walking the
        #   (length, code) index until `limit` match when it is common ("社区"): both indexes in migration
        #   0005 for names, 0010 for full names; the planner tells the two apart by the bigrams' statistics.
        villages = Division.objects.filter(level=Division.Level.VILLAGE)
        order = ("nearness", "rank", "name_length", "code")
        others = [
            self.matching(villages).filter(name=self.word),
            self.matching(_villages(scan=True)).filter(name__startswith=self.word).exclude(name=self.word),
            self.matching(villages, bigrams=True).exclude(name__startswith=self.word),
        ]
        parts = []
        if self.near:
            city = _code_range(self.near[-1])
            others = [part.exclude(**city) for part in others]
            # Without the bigram condition: the planner then reads the city's range by the code index
            # (1-2 ms for Nanning's 2,000 communities) rather than intersecting it with a common bigram's.
            near = self.matching(villages.filter(**city)).annotate(nearness=self.nearness(), rank=self.rank())
            parts.append(near)
        parts += [
            part.annotate(nearness=Value(len(self.near)), rank=Value(rank))
            for rank, part in enumerate(others)
        ]
        parts = [part.annotate(name_length=Length("name")).order_by(*order)[:limit] for part in parts]
        return list(parts[0].union(*parts[1:], all=True).order_by(*order)[:limit])


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


def division_rows(divisions: list[Division]) -> list[dict]:
    """The divisions as the community box takes them (static/js/community-picker.js), with their agency
    and, for a village or community, the start of a household address in it (the page fills it in)."""
    agencies = division_agencies(divisions)
    return [
        {
            "id": division.pk,
            "code": division.code,
            "name": division.name,
            "full_name": division.full_name or division.name,
            "level": division.level,
            "agency": agency.name if (agency := agencies.get(division.pk)) is not None else None,
            "address_start": (
                household_address_start(division.code, division.full_name or division.name)
                if division.level == Division.Level.VILLAGE
                else ""
            ),
        }
        for division in divisions
    ]
