"""Record searches by the shape of what was typed: name fragments through the bigram indexes, a resident ID
as a union of indexed lookups (issue 15). Used by the lists' filters (registration.filters) and the admin."""

from django.db import connection
from django.db.models import F, Q, QuerySet, Value

from registration.models import Newborn
from registration.selectors.divisions import _Bigrams


def newborns_name_filter(newborns: QuerySet[Newborn], fragment: str) -> QuerySet[Newborn]:
    """The newborns whose name or real name contains the fragment (names_containing)."""
    return names_containing(newborns, ["name", "real_name"], fragment)


def names_containing(queryset: QuerySet, fields: list[str], fragment: str) -> QuerySet:
    """The rows one of whose name fields contains the fragment. On PostgreSQL a fragment of two or more
    characters is looked up in the GIN index of the field's bigrams (migration 0014) and the LIKE decides,
    as the community search does; SQLite scans (issue 15)."""
    if connection.vendor != "postgresql" or len(fragment) < 2:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__contains": fragment})
        return queryset.filter(match)
    bigrams = _Bigrams(Value(fragment))
    queryset = queryset.alias(**{f"{field}_bigrams": _Bigrams(F(field)) for field in fields})
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}_bigrams__contains": bigrams, f"{field}__contains": fragment})
    return queryset.filter(match)


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
