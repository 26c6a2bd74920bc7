"""Receivers wired in RegistrationConfig.ready(): logins into the audit log and the session's idle time,
the audit log's triggers.

Only the recording of what happened lives here; the audit entries are written by services.audit.audit_record,
the audit log's single writer.
"""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from registration.audit_triggers import TABLE, triggers_install, triggers_present
from registration.http import client_ip
from registration.log_masking import mask_sensitive
from registration.middleware import password_change_required_set
from registration.models import AuditEntry
from registration.services.audit import audit_record, user_hospital
from registration.services.passwords import temporary_password_pending
from registration.sessions import session_refreshed_mark

logger = logging.getLogger(__name__)

USERNAME_MAX_LENGTH = 150


@receiver(user_logged_in, dispatch_uid="registration.audit_login")
def audit_login(sender, request, user, **kwargs):

    audit_record(user=user, action=AuditEntry.Action.LOGIN, ip=client_ip(request) if request else None)


@receiver(user_logged_in, dispatch_uid="registration.password_change_required")
def password_change_required_on_login(sender, request, user, **kwargs):
    """Whether the new session must change its password first: looked up once, at login."""

    if request is not None and hasattr(request, "session"):
        password_change_required_set(request, user, temporary_password_pending(user) is not None)


@receiver(user_logged_in, dispatch_uid="registration.session_refreshed")
def session_refreshed_on_login(sender, request, user, **kwargs):
    """A login saves its new session: its idle expiry starts now, with no second write on the next page."""

    if request is not None and hasattr(request, "session"):
        session_refreshed_mark(request.session)


@receiver(user_logged_out, dispatch_uid="registration.audit_logout")
def audit_logout(sender, request, user, **kwargs):

    if user is None or not user.is_authenticated:  # logging out without a session: nothing happened
        return
    audit_record(user=user, action=AuditEntry.Action.LOGOUT, ip=client_ip(request) if request else None)


@receiver(user_login_failed, dispatch_uid="registration.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    """Record the username tried (masked when it looks like an ID number) and the account's hospital."""

    tried = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    tried = "".join(char for char in str(tried) if char.isprintable())
    tried = mask_sensitive(tried)[:USERNAME_MAX_LENGTH]
    account = get_user_model().objects.filter(username=tried).select_related("operator").first()
    audit_record(
        user=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        username=tried or "（空）",
        hospital=user_hospital(account) if account is not None else None,
        ip=client_ip(request) if request is not None else None,
        detail={"known_user": account is not None},
    )


def _audit_log_writable_function(wrapper):
    # Read at each DELETE: only `manage.py flush` sets the flag, on its own connection, for its own run.
    return lambda: int(bool(getattr(wrapper, "audit_log_writable", False)))


@receiver(connection_created, dispatch_uid="registration.audit_log_writable")
def sqlite_audit_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "audit_log_writable", 0, _audit_log_writable_function(connection), deterministic=False
        )


@receiver(post_migrate, dispatch_uid="registration.audit_triggers")
def audit_triggers_ensure(sender, using="default", **kwargs):
    """Re-create the append-only triggers if a table rebuild (SQLite) dropped them."""
    if sender.name != "registration":
        return
    connection = connections[using]
    if TABLE not in connection.introspection.table_names():
        return  # migrated backwards past 0001
    applied = MigrationRecorder(connection).applied_migrations()
    if ("registration", "0004_audit_append_only") not in applied:
        return  # migrated backwards past the triggers on purpose
    if not triggers_present(connection):
        logger.warning("The audit log's append-only triggers were missing; re-creating them.")
        triggers_install(connection)
