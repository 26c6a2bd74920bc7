"""Who may use which part of the module: the one place the views ask.

Three roles (issue 6): a hospital's clerk (经办人), its supervisor (主管), and the 医保中心 administrator
(a staff user without an Operator row). Module access (附件1) is granted per operator by an administrator;
an operator without it may not register, print, record payments or see records until it is granted.
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from registration.models import Operator
from registration.selectors import user_is_administrator

DENIED_TEMPLATE = "registration/denied.html"


def user_operator(user) -> Operator | None:
    """The user's Operator row, or None (administrators, users linked to no hospital, anonymous users).

    Read once per request with its hospital and the hospital's division (every page of the module asks for
    both), and kept where `user.operator` finds it, as Django itself caches the relation.
    """
    if not user.is_authenticated:
        return None
    descriptor = get_user_model().operator  # the user may be the request's lazy object
    if not descriptor.related.is_cached(user):
        operator = Operator.objects.select_related("hospital__division").filter(user=user).first()
        descriptor.related.set_cached_value(user, operator)
        if operator is not None:
            operator.user = user
    return getattr(user, "operator", None)


def module_denied_reason(user) -> str | None:
    """Why the user may not use the registration module (附件1), or None when they may."""
    if user_is_administrator(user):
        return None
    operator = user_operator(user)
    if operator is None:
        return (
            "只有定点医疗机构的经办人可以使用新生儿预参保登记模块。您的账号没有关联任何医疗机构的经办人员。"
        )
    if not operator.hospital.is_active:
        return f"您所在的医疗机构（{operator.hospital.name}）已停用，不能办理新生儿预参保登记业务。"
    if not operator.has_module_access:
        return (
            "您的账号尚未开通“新生儿参保登记”模块权限（当前状态："
            f"{operator.get_access_display()}）。按附件1的规定，模块权限须由医疗机构向医保中心申请开通，"
            "请联系本院主管。"
        )
    return None


def supervisor_denied_reason(user) -> str | None:
    """Why the user may not use a supervisor's pages (reports, operator requests), or None."""
    if user_is_administrator(user):
        return None
    operator = user_operator(user)
    if operator is None or operator.role != Operator.Role.SUPERVISOR:
        return "只有医疗机构的主管或医保中心管理员可以使用此功能。"
    if not operator.hospital.is_active:
        return f"您所在的医疗机构（{operator.hospital.name}）已停用。"
    return None


def administrator_denied_reason(user) -> str | None:
    if user_is_administrator(user):
        return None
    return "只有医保中心管理员可以使用此功能。"


def denied(request, reason: str):
    """The 403 page: says in Chinese why, and what to do."""
    return render(request, DENIED_TEMPLATE, {"denied_reason": reason}, status=403)


def _requires(reason_for):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if (reason := reason_for(request.user)) is not None:
                return denied(request, reason)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


module_access_required = _requires(module_denied_reason)
"""Logged in, and an administrator or an operator with granted module access at an active hospital."""

supervisor_required = _requires(supervisor_denied_reason)
"""Logged in, and an administrator or a hospital's supervisor (module access not needed: they request it)."""

administrator_required = _requires(administrator_denied_reason)
"""Logged in as a 医保中心 administrator."""
