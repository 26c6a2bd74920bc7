"""Reads of hospitals and operators: who administers, which hospitals and operators a user may manage."""

from collections.abc import Sequence

from django.db.models import Case, F, QuerySet, Value, When
from django.http import Http404

from registration.access import api_clients_scope, hospitals_scope, operators_scope
from registration.models import Hospital, Operator
from registration.selectors.filters import OperatorFilter

# --- Follow-up, reports and operators (issue 5, items 5-7) ----------------------------------------------


def hospitals_for_user(*, user) -> QuerySet:
    """The hospitals whose figures a user may see: all for administrators, their own for staff, else none."""
    return hospitals_scope(user).select_related("division").order_by("code")


def hospital_get_for_user(*, user, pk):
    """One hospital the user may see, or 404 (another hospital does not exist for hospital staff)."""

    try:
        return hospitals_for_user(user=user).get(pk=pk)
    except (Hospital.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该医疗机构。") from None


def operators_for_user(
    *,
    user,
    hospital_id: int | None = None,
    access: str = "",
    access_in: Sequence[str] = (),
    pending_first: bool = False,
) -> QuerySet:
    """The operators a user may manage: their hospital's for a supervisor, all for administrators; of one
    hospital, with one access state, or with one of `access_in`, when they are given; the requests waiting
    for a decision first when `pending_first`."""

    # In the order they were entered: 附件1 numbers its rows (序号) and new requests come last.
    operators = operators_scope(user).select_related("user", "hospital", "hospital__division")
    order = ["hospital__code", "pk"]
    if pending_first:
        waiting = Case(When(access=Operator.Access.REQUESTED, then=Value(0)), default=Value(1))
        order = [waiting, *order]
    operators = operators.order_by(*order)
    values = {"hospital_id": hospital_id, "access": access, "access_in": list(access_in)}
    return OperatorFilter.apply(operators, values)


def operators_requested_count(*, user) -> int:
    """How many of the operators a user may manage wait for a decision on their request (附件1)."""
    return operators_scope(user).filter(access=Operator.Access.REQUESTED).count()


def api_clients_for_user(*, user, hospital_id: int | None = None) -> QuerySet:
    """The API clients a user may see, active first: their hospital's for a supervisor, all for
    administrators (the 医保中心's own too, unless one hospital is asked for)."""
    clients = api_clients_scope(user).select_related("hospital")
    if hospital_id is not None:
        clients = clients.filter(hospital_id=hospital_id)
    return clients.order_by(F("revoked_at").desc(nulls_first=True), "hospital__code", "name", "pk")


def operator_get_for_user(*, user, pk):
    """One operator the user may manage, or 404: another hospital's operator does not exist for them."""

    try:
        return operators_for_user(user=user).get(pk=pk)
    except (Operator.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该经办人员。") from None


def hospital_by_name(name: str):
    """The active hospital with exactly this name, or None (none, or several: a name alone cannot tell)."""

    matches = list(Hospital.objects.select_related("division").filter(name=name, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None
