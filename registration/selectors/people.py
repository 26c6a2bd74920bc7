"""Reads of hospitals and operators: who administers, which hospitals and operators a user may manage."""

from django.db.models import QuerySet
from django.http import Http404

from registration.models import Hospital, Operator


def user_is_administrator(user) -> bool:
    """医保中心 administrators see every hospital's records; hospital staff have an Operator row."""
    return user.is_authenticated and user.is_active and user.is_staff and not hasattr(user, "operator")


# --- Follow-up, reports and operators (issue 5, items 5-7) ----------------------------------------------


def hospitals_for_user(*, user) -> QuerySet:
    """The hospitals whose figures a user may see: all for administrators, their own for staff, else none."""

    hospitals = Hospital.objects.select_related("division").order_by("code")
    if user_is_administrator(user):
        return hospitals
    operator = getattr(user, "operator", None) if user.is_authenticated and user.is_active else None
    if operator is None:
        return hospitals.none()
    return hospitals.filter(pk=operator.hospital_id)


def hospital_get_for_user(*, user, pk):
    """One hospital the user may see, or 404 (another hospital does not exist for hospital staff)."""

    try:
        return hospitals_for_user(user=user).get(pk=pk)
    except (Hospital.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该医疗机构。") from None


def operators_for_user(*, user, hospital_id: int | None = None, access: str = "") -> QuerySet:
    """The operators a user may manage: their hospital's for a supervisor, all for administrators."""

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

    try:
        return operators_for_user(user=user).get(pk=pk)
    except (Operator.DoesNotExist, ValueError, TypeError):
        raise Http404("没有找到该经办人员。") from None


def hospital_by_name(name: str):
    """The active hospital with exactly this name, or None (none, or several: a name alone cannot tell)."""

    matches = list(Hospital.objects.select_related("division").filter(name=name, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None
