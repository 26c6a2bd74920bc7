"""The records a card print reads: only those the user may see (registration.selectors), with what the card
prints fetched up front (CARD_RELATED, CARD_PREFETCH), so that cards.services.render_cards runs no query."""

from datetime import date

from django.db.models import QuerySet

from registration import selectors
from registration.models import Newborn

# What render_cards reads beyond the newborn's own row; callers select these so that it runs no query.
CARD_RELATED = ("birth", "birth__hospital", "birth__community", "birth__agency")
# Optional: with the birth's babies prefetched, a twin's card says 双胞胎第2个 rather than 第2个.
CARD_PREFETCH = ("birth__newborns",)


def _cards_for_user(user) -> QuerySet[Newborn]:
    return (
        selectors.newborn_list_for_user(user=user)
        .select_related(*CARD_RELATED)
        .prefetch_related(*CARD_PREFETCH)
    )


def card_newborn_get_for_user(*, user, pk) -> Newborn | None:
    """The record of one card, or None when it is missing or another hospital's (the same answer)."""
    return next(iter(_cards_for_user(user).filter(pk=pk)), None)


def card_newborns_registered_on(*, user, day: date, limit: int) -> list[Newborn]:
    """Up to `limit` records the user may see registered on a day, in the order they were registered."""
    rows = (
        _cards_for_user(user).filter(birth__registered_on=day).order_by("birth__registered_at", "birth_order")
    )
    return list(rows[:limit])


def card_newborns_by_pk_for_user(*, user, pks: list[int]) -> dict[int, Newborn]:
    """The records among `pks` the user may see, by pk (unknown and other hospitals' ids are left out)."""
    return {newborn.pk: newborn for newborn in _cards_for_user(user).filter(pk__in=pks)}
