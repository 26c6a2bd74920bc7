"""Record searches by the shape of what was typed: name fragments through the bigram indexes, a resident ID
as a union of indexed lookups (issue 15). Used by the lists' filters (selectors.filters) and the admin."""

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import StrIndex

from registration.models import Newborn
from registration.selectors.divisions import _Bigrams


def newborns_name_filter(newborns: QuerySet[Newborn], fragment: str) -> QuerySet[Newborn]:
    """The newborns whose name or real name contains the fragment (names_containing)."""
    return names_containing(newborns, ["name", "real_name"], fragment)


def names_containing(queryset: QuerySet, fields: list[str], fragment: str) -> QuerySet:
    """The rows one of whose name fields contains the fragment. On PostgreSQL a fragment of two or more
    characters is looked up in the GIN indexes of the fields' bigrams (migration 0014) and strpos()
    decides, as the community search's LIKE does; SQLite scans (issue 15).

    Two conditions: one of the fields holds the fragment's bigrams (what the indexes answer), and one holds
    the fragment (strpos(name, fragment) > 0: LIKE '%fragment%' without its escaping). The second implies
    the first, so together they are the second, but each does its own work: a row read through the indexes
    is tested by strpos() alone, never by the bigram function again; a row read in the list's order is
    tested by strpos() first (the cheaper condition goes first). And strpos() is not estimated from the
    names' statistics: the LIKE's estimate, multiplied by the bigrams' that already hold it, put a common
    fragment's matches at a fortieth of their number, and of every hospital (an administrator's search) the
    planner read and sorted every match, tens of thousands at a province's size, instead of walking the
    list's order until a page was full. Of one hospital, the bigrams' matches are intersected with the
    hospital's entries of the newborns' (hospital, state, last_day) index: only its own rows are read.

    A single character (a surname, most often) has no bigram: where the fields have an index of their
    characters (CHARACTER_INDEXED: the newborns' names, migration 0034) the rows holding it are read from
    it, and holding the character is containing the fragment, so no strpos() is needed; other fields and
    SQLite scan with LIKE.
    """
    if (
        connection.vendor == "postgresql"
        and len(fragment) == 1
        and set(fields) <= CHARACTER_INDEXED.get(queryset.model._meta.label, set())
    ):
        queryset = queryset.alias(**{f"{field}_characters": _Characters(F(field)) for field in fields})
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}_characters__contains": [fragment]})
        return queryset.filter(match)
    if connection.vendor != "postgresql" or len(fragment) < 2:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__contains": fragment})
        return queryset.filter(match)
    bigrams = _Bigrams(Value(fragment))
    queryset = queryset.alias(
        **{f"{field}_bigrams": _Bigrams(F(field)) for field in fields},
        **{f"{field}_position": StrIndex(field, Value(fragment)) for field in fields},
    )
    has_bigrams, has_fragment = Q(), Q()
    for field in fields:
        has_bigrams |= Q(**{f"{field}_bigrams__contains": bigrams})
        has_fragment |= Q(**{f"{field}_position__gt": 0})
    return queryset.filter(has_bigrams, has_fragment)


# The fields with a GIN index of their characters, by model (PostgreSQL, migration 0034).
CHARACTER_INDEXED = {"registration.Newborn": {"name", "real_name"}}


class _Characters(Func):
    """A text's characters as an array: string_to_array(text, NULL), the expression migration 0034's
    indexes hold (PostgreSQL only)."""

    function = "string_to_array"
    template = "%(function)s(%(expressions)s::text, NULL)"
    output_field = ArrayField(TextField())


def newborn_ids_of_resident_id(number: str):
    """The ids of the newborns registered with a parent's resident ID (as mother or as father) or formalized
    with it as their own: a UNION of three indexed lookups. One OR across births and newborns let no index
    serve it, so every row of the join was read (issue 15)."""
    return (
        Newborn.objects.filter(birth__mother_id_number=number)
        .order_by()
        .values("pk")
        .union(
            Newborn.objects.filter(birth__father_id_number=number).order_by().values("pk"),
            Newborn.objects.filter(real_id_number=number).order_by().values("pk"),
        )
    )
