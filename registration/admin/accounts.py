"""User accounts and groups in the admin, audited: who created or changed which account, and how.

Django's own UserAdmin and GroupAdmin, with an ADMIN audit entry for every save that says which flags
changed (old → new) and which groups and permissions were added or removed. A password reset gives the
account a random one-time password, shown once, which its holder must replace (services.passwords); its
PASSWORD entry records who reset whose.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin, sensitive_post_parameters_m
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from registration.admin.base import HiddenCharactersAdmin, ViewOnlyAdmin
from registration.admin.search import TokenSearchAdmin
from registration.http import client_ip
from registration.models import AuditEntry, TemporaryPassword
from registration.services.audit import audit_record, user_hospital
from registration.services.passwords import password_reset_temporary, temporary_password_set

User = get_user_model()
USER_FLAGS = {"is_active": "启用", "is_staff": "管理后台", "is_superuser": "超级管理员"}
SET_LABELS = {"groups": "用户组", "permissions": "权限"}
YES_NO = {True: "是", False: "否", None: "—"}


def _permission_names(permissions) -> set[str]:
    return {f"{permission.content_type.app_label}.{permission.codename}" for permission in permissions}


def user_snapshot(user) -> dict:
    """What the audit compares of an account: its flags, its groups, its own permissions."""
    return {
        **{flag: getattr(user, flag) for flag in USER_FLAGS},
        "groups": set(user.groups.values_list("name", flat=True)),
        "permissions": _permission_names(user.user_permissions.select_related("content_type")),
    }


def group_snapshot(group) -> dict:
    """What the audit compares of a group: its name and its permissions."""
    return {
        "name": group.name,
        "permissions": _permission_names(group.permissions.select_related("content_type")),
    }


def snapshot_changes(before: dict, after: dict) -> dict:
    """The difference: [old, new] for a value (old None when created), added/removed for a set."""
    changes = {}
    for key, new in after.items():
        old = before.get(key, set() if isinstance(new, set) else None)
        if isinstance(new, set):
            if old != new:
                changes[key] = {"added": sorted(new - old), "removed": sorted(old - new)}
        elif old != new:
            changes[key] = [old, new]
    return changes


def changes_summary(changes: dict, labels: dict[str, str]) -> str:
    """The changes in words for the audit log's reason column: 管理后台：否 → 是，用户组：增加 经办人."""
    parts = []
    for key, change in changes.items():
        label = labels.get(key, SET_LABELS.get(key, key))
        if isinstance(change, dict):
            moves = [f"增加 {'、'.join(change['added'])}" if change["added"] else ""]
            moves.append(f"移除 {'、'.join(change['removed'])}" if change["removed"] else "")
            parts.append(f"{label}：{'；'.join(move for move in moves if move)}")
        else:
            old, new = change
            parts.append(f"{label}：{YES_NO.get(old, old)} → {YES_NO.get(new, new)}")
    return "，".join(parts)


class AuditedAccountAdmin(HiddenCharactersAdmin, TokenSearchAdmin):
    """Snapshot before a save, compare once the many-to-many fields are saved too, record the difference."""

    labels: dict[str, str] = {}

    def snapshot(self, obj) -> dict:
        raise NotImplementedError

    def audit_hospital(self, obj):
        return None

    def save_model(self, request, obj, form, change):
        # On the form, not on self: one admin instance serves every request.
        form.audit_before = self.snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        changes = snapshot_changes(getattr(form, "audit_before", {}), self.snapshot(obj))
        if change and not changes:
            return  # a name or an e-mail: Django's own admin history has it
        detail = {"model": obj._meta.label_lower, "pk": obj.pk, "added": not change, "changes": changes}
        detail.update(self.audit_extra(request, obj, change))
        verb = "新建" if not change else "修改"
        audit_record(
            user=request.user,
            action=AuditEntry.Action.ADMIN,
            obj=obj,
            hospital=self.audit_hospital(obj),
            ip=client_ip(request),
            reason=f"{verb}{obj._meta.verbose_name}：{changes_summary(changes, self.labels)}"[:500],
            detail=detail,
        )

    def audit_extra(self, request, obj, change) -> dict:
        return {}


if admin.site.is_registered(User):
    admin.site.unregister(User)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAccountAdmin, UserAdmin):
    """Django's UserAdmin; every account created or changed, and every password set, is audited."""

    labels = USER_FLAGS

    def snapshot(self, obj) -> dict:
        return user_snapshot(obj)

    def audit_hospital(self, obj):
        return user_hospital(obj)

    def audit_extra(self, request, obj, change) -> dict:
        if change or not obj.has_usable_password():
            return {}
        # The administrator typed the new account's password: its holder replaces it at the first login.
        temporary_password_set(user=obj, issued_by=request.user)
        return {"temporary_password": True}

    @sensitive_post_parameters_m
    def user_change_password(self, request, id, form_url=""):
        """An administrator resets an account's password: a random one-time password, shown once (as a
        supervisor's request for a new clerk shows it), which its holder must replace at the next login.
        Nobody invents a password for someone else, and nobody else ever reads it again."""
        user = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if user is None:
            raise Http404("没有找到该账号。")
        change_url = reverse("admin:auth_user_change", args=[user.pk])
        if user.pk == request.user.pk:
            messages.info(request, "请在“修改密码”中为自己的账号设置新密码。")
            return HttpResponseRedirect(reverse("password_change"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"重置密码：{user.get_username()}",
            "account": user,
            "opts": self.opts,
            "change_url": change_url,
            "temporary_password_days": settings.TEMPORARY_PASSWORD_DAYS,
        }
        if request.method == "POST":
            try:
                context["password"] = password_reset_temporary(
                    user=user, admin=request.user, ip=client_ip(request)
                )
            except ValidationError as error:
                messages.error(request, "；".join(error.messages))
                return HttpResponseRedirect(change_url)
        response = TemplateResponse(request, "admin/auth/user/one_time_password.html", context)
        response["Cache-Control"] = "no-store"  # the password is shown once: never kept by a cache
        return response


@admin.register(Group)
class AuditedGroupAdmin(AuditedAccountAdmin, GroupAdmin):
    """Django's GroupAdmin; a group's permissions reach every member, so their changes are audited."""

    labels = {"name": "名称"}

    def snapshot(self, obj) -> dict:
        return group_snapshot(obj)


@admin.register(TemporaryPassword)
class TemporaryPasswordAdmin(ViewOnlyAdmin):
    """Which accounts still hold a password someone else chose; set and cleared only by the services."""

    list_display = ("user", "issued_at", "issued_by", "replaced_at")
    list_select_related = ("user", "issued_by")
    list_filter = (("replaced_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username",)
