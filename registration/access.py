"""Who may do what, and which hospital's rows they may see: the one place access is decided.

Three roles (issue 6): a hospital's clerk (经办人), its supervisor (主管), and the 医保中心 administrator
(a staff user without an Operator row). Module access (附件1) is granted per operator by an administrator;
an operator without it, or of a disabled hospital, may not register, print, record payments or see
records. A registration belongs to a hospital, so only a hospital's operator registers (never an
administrator).

Views use the decorators (or, for a JSON answer or a page that explains itself, the `*_denied_reason`
functions); selectors start every hospital-bound read from a `*_scope` function; a caller without a
request (a command, the integration API) builds a `Scope` of a hospital and reads through `*_in(scope)`.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from registration.models import ApiClient, AuditEntry, Hospital, Newborn, Operator

DENIED_TEMPLATE = "registration/denied.html"


class Role(StrEnum):
    CLERK = "clerk"  # 经办人
    SUPERVISOR = "supervisor"  # 主管
    ADMINISTRATOR = "administrator"  # 医保中心


# --- Who the user is ------------------------------------------------------------------------------------


def user_operator(user) -> Operator | None:
    """The user's Operator row, or None (administrators, users linked to no hospital, anonymous users).

    Read once per request with its hospital and the hospital's division (every page of the module asks for
    both), and kept where `user.operator` finds it, as Django itself caches the relation: request.user is
    a new object for every request, so nothing outlives the request.
    """
    if user is None or not user.is_authenticated:
        return None
    descriptor = get_user_model().operator  # the user may be the request's lazy object
    if not descriptor.related.is_cached(user):
        operator = Operator.objects.select_related("hospital__division").filter(user=user).first()
        descriptor.related.set_cached_value(user, operator)
        if operator is not None:
            operator.user = user
    return getattr(user, "operator", None)


def user_is_administrator(user) -> bool:
    """医保中心 administrators see every hospital's records; hospital staff have an Operator row."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user_operator(user) is None
    )


def user_role(user) -> Role | None:
    """The user's role, or None (anonymous, inactive, or neither staff nor linked to a hospital)."""
    if user_is_administrator(user):
        return Role.ADMINISTRATOR
    operator = user_operator(user) if user is not None and user.is_active else None
    if operator is None:
        return None
    return Role.SUPERVISOR if operator.role == Operator.Role.SUPERVISOR else Role.CLERK


def _active_operator(user) -> Operator | None:
    """The user's operator while both the account and the hospital are enabled, else None."""
    operator = user_operator(user) if user is not None and user.is_active else None
    return operator if operator is not None and operator.hospital.is_active else None


# --- What the user may do -------------------------------------------------------------------------------


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
        return _module_access_missing(operator)
    return None


def _module_access_missing(operator: Operator) -> str:
    # Whom to ask: a clerk asks their hospital's supervisor, who asks the 医保中心 (附件1); a supervisor asks
    # the 医保中心 directly.
    supervisor = operator.role == Operator.Role.SUPERVISOR
    if operator.access == Operator.Access.WITHDRAWN:
        when = operator.access_changed_at
        day = f"于{timezone.localtime(when):%Y年%m月%d日}" if when else ""
        ask = (
            "请在“经办人员”页按附件1为本人重新申请开通，或直接联系医保中心管理员。"
            if supervisor
            else "请联系本院主管，由主管按附件1向医保中心重新申请开通。"
        )
        return (
            f"您的账号的“新生儿参保登记”模块权限已{day}被医保中心撤销（当前状态：已撤销），"
            f"不能再办理登记、打印和查询。如需恢复，{ask}"
        )
    if operator.access == Operator.Access.REQUESTED:
        return (
            "您的账号尚未开通“新生儿参保登记”模块权限（当前状态：已申请）：本院已按附件1提交申请，"
            "正等待医保中心审核开通。"
        )
    ask = "请在“经办人员”页为本人申请，或联系医保中心管理员。" if supervisor else "请联系本院主管提出申请。"
    return (
        "您的账号尚未开通“新生儿参保登记”模块权限（当前状态：未申请）。按附件1的规定，"
        f"模块权限须由医疗机构向医保中心申请开通，{ask}"
    )


def registering_denied_reason(user) -> str | None:
    """Why the user may not register newborns, or None: module access, and a hospital to register for."""
    if (reason := module_denied_reason(user)) is not None:
        return reason
    if user_operator(user) is None:
        return "只有定点医疗机构的经办人可以办理新生儿预参保登记。您的账号没有关联任何医疗机构的经办人员。"
    return None


def registering_hospital(user) -> Hospital:
    """The hospital the user registers newborns for; PermissionDenied (its reason) when they may not."""
    if (reason := registering_denied_reason(user)) is not None:
        raise PermissionDenied(reason)
    return user_operator(user).hospital


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
    """Why the user may not use a 医保中心 administrator's pages, or None."""
    if user_is_administrator(user):
        return None
    return "只有医保中心管理员可以使用此功能。"


def denied(request, reason: str, *, template: str = DENIED_TEMPLATE):
    """The 403 page: says in Chinese why, and what to do."""
    return render(request, template, {"denied_reason": reason}, status=403)


def _requires(reason_for, *, template: str = DENIED_TEMPLATE):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if (reason := reason_for(request.user)) is not None:
                return denied(request, reason, template=template)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


module_access_required = _requires(module_denied_reason)
"""Logged in, and an administrator or an operator with granted module access at an active hospital."""

registering_clerk_required = _requires(registering_denied_reason, template="registration/register.html")
"""Logged in as an operator with granted module access at an active hospital (the register page says why
not on itself)."""

supervisor_required = _requires(supervisor_denied_reason)
"""Logged in, and an administrator or a hospital's supervisor (module access not needed: they request it)."""

administrator_required = _requires(administrator_denied_reason)
"""Logged in as a 医保中心 administrator."""


def administrator_or_not_found(view):
    """A 医保中心 administrator's page whose existence is theirs alone (the quality page, docs/quality.md):
    anyone else, logged in or not, gets the answer an unknown URL gets (404)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_is_administrator(request.user):
            raise Http404("页面不存在。")
        return view(request, *args, **kwargs)

    return wrapped


# --- Which hospitals' rows the user may see ---------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The hospitals whose rows a reader may see: every hospital (`every`), one (`hospital_id`), or none."""

    every: bool = False
    hospital_id: int | None = None

    @classmethod
    def of_hospital(cls, hospital: Hospital) -> "Scope":
        """One hospital's rows: for a caller that has no request (the integration API, a command)."""
        return cls(hospital_id=hospital.pk)

    def apply(self, queryset: QuerySet, *fields: str) -> QuerySet:
        """The queryset cut down to the scope, `fields` naming the rows' hospital (default `hospital_id`;
        several when the rows hold it twice, each filtered)."""
        if self.every:
            return queryset
        if self.hospital_id is None:
            return queryset.none()
        return queryset.filter(**{field: self.hospital_id for field in fields or ("hospital_id",)})


EVERY_HOSPITAL = Scope(every=True)
NO_HOSPITAL = Scope()


def records_scope(user) -> Scope:
    """The hospitals whose records a user may read: all for administrators, their own for its operators
    (an enabled account at an enabled hospital), none otherwise."""
    if user_is_administrator(user):
        return EVERY_HOSPITAL
    operator = _active_operator(user)
    return Scope(hospital_id=operator.hospital_id) if operator is not None else NO_HOSPITAL


def supervision_scope(user) -> Scope:
    """The hospitals whose operators and audit log a user may read: all for administrators, their own for
    a supervisor, none for anyone else."""
    if user_is_administrator(user):
        return EVERY_HOSPITAL
    operator = _active_operator(user)
    if operator is None or operator.role != Operator.Role.SUPERVISOR:
        return NO_HOSPITAL
    return Scope(hospital_id=operator.hospital_id)


def scope_name(user, hospital: Hospital | None = None) -> str:
    """What a report or an export covers, by name: the hospital chosen, else the user's own, else every
    hospital (an administrator's)."""
    if hospital is not None:
        return hospital.name
    operator = user_operator(user)
    return operator.hospital.name if operator is not None else "全部医疗机构"


def api_client_scope(client) -> Scope:
    """The hospitals whose records an integration API client may read: its hospital's, every hospital's
    for the 医保中心's client (no hospital), none once it is revoked."""
    if client.revoked_at is not None:
        return NO_HOSPITAL
    return EVERY_HOSPITAL if client.hospital_id is None else Scope(hospital_id=client.hospital_id)


# A newborn's hospital is its own column (Newborn.hospital, denormalized from its birth's) and its birth's,
# always equal: newborn_register sets it from the birth, which never changes hospital, and on PostgreSQL the
# composite foreign key of migration 0018 refuses a mismatch. A hospital's newborns are filtered on both, so
# that PostgreSQL may start from either table's indexes: the newborns' for a state, a last day, a name
# fragment or a report's days, the births' for the lists' order (newest registration first) (issue 15).
NEWBORN_HOSPITAL_FIELDS = ("hospital_id", "birth__hospital_id")


def newborns_in(scope: Scope) -> QuerySet[Newborn]:
    return scope.apply(Newborn.objects.all(), *NEWBORN_HOSPITAL_FIELDS)


def newborns_of_hospital(newborns: QuerySet[Newborn], hospital_id: int) -> QuerySet[Newborn]:
    """The newborns of one hospital among those given (a hospital an administrator chose, say)."""
    return Scope(hospital_id=hospital_id).apply(newborns, *NEWBORN_HOSPITAL_FIELDS)


def hospitals_in(scope: Scope) -> QuerySet[Hospital]:
    return scope.apply(Hospital.objects.all(), "pk")


def operators_in(scope: Scope) -> QuerySet[Operator]:
    # People only: an API client's service account (an Operator row the client acts through) is no
    # 经办人员; it is listed apart, with its client (`api_clients_in`), and never in 附件1.
    return scope.apply(Operator.objects.filter(user__api_client__isnull=True))


def api_clients_in(scope: Scope) -> QuerySet[ApiClient]:
    # The 医保中心's own clients (no hospital) only for every-hospital readers, as Scope.apply does.
    return scope.apply(ApiClient.objects.all())


def audit_in(scope: Scope) -> QuerySet[AuditEntry]:
    # A hospital's supervisor reads their hospital's entries, not those of no hospital (an unknown
    # username's failed logins, administrators' work): only every-hospital readers see those.
    return scope.apply(AuditEntry.objects.all())


def newborns_scope(user) -> QuerySet[Newborn]:
    """The newborns a user may see."""
    return newborns_in(records_scope(user))


def hospitals_scope(user) -> QuerySet[Hospital]:
    """The hospitals whose figures a user may see."""
    return hospitals_in(records_scope(user))


def operators_scope(user) -> QuerySet[Operator]:
    """The operators a user may manage."""
    return operators_in(supervision_scope(user))


def api_clients_scope(user) -> QuerySet[ApiClient]:
    """The API clients a user may see (read only: administrators make and revoke them in the admin)."""
    return api_clients_in(supervision_scope(user))


def audit_scope(user) -> QuerySet[AuditEntry]:
    """The audit entries a user may read."""
    return audit_in(supervision_scope(user))
