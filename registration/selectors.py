"""Reads. The functions here decide what a user may see: every view that takes an object goes through them."""

from django.db.models import QuerySet
from django.http import Http404

from registration.models import Division, InsuranceAgency, Newborn


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
    prefixes = _prefixes(code)
    if not prefixes:
        return None
    links = (
        InsuranceAgency.divisions.through.objects.filter(
            division__code__in=prefixes, insuranceagency__is_active=True
        )
        .select_related("insuranceagency", "division")
        .order_by()
    )
    best = max(links, key=lambda link: len(link.division.code), default=None)
    return best.insuranceagency if best is not None else None


def division_get(*, pk) -> Division:
    """One division by its id (the 社区ID), with its parent chain's names ready for display."""
    return Division.objects.select_related("parent").get(pk=pk)
