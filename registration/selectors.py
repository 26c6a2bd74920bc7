"""Reads. The functions here decide what a user may see: every view that takes an object goes through them."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from registration.models import Birth, Division, InsuranceAgency, IssuedTemporaryId, Newborn


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


def issued_suffixes_for(id_number: str) -> set[str]:
    """Every letter ever issued with a parent's ID number, by any hospital (case-sensitive: X and x)."""
    return set(IssuedTemporaryId.objects.filter(parent__id_number=id_number).values_list("suffix", flat=True))


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
