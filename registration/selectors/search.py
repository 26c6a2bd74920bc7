"""Record searches by the shape of what was typed: name fragments through the bigram indexes, a resident ID
as a union of indexed lookups (issue 15). Used by the lists' filters (selectors.filters) and the admin."""

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
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
    """
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
