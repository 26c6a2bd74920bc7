"""Logging in, changing one's password, and the pages a refused request gets (CSRF failure).

A password someone else chose (a one-time password, an administrator's reset) must be replaced before
anything else (registration.middleware), and stops logging in after settings.TEMPORARY_PASSWORD_DAYS.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from registration.forms.accounts import EXPIRED, LoginForm
from registration.http import client_ip
from registration.middleware import password_change_required, password_change_required_set
from registration.models import AuditEntry
from registration.services import audit_record
from registration.services.audit import user_hospital
from registration.services.passwords import (
    password_change,
)


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, code=EXPIRED):
            # The right password, refused: Django's failed-login signal does not fire, so record it here.
            account = form.get_user()
            audit_record(
                user=None,
                action=AuditEntry.Action.LOGIN_FAILED,
                username=account.get_username(),
                hospital=user_hospital(account),
                ip=client_ip(self.request),
                detail={"known_user": True, "reason": EXPIRED},
            )
        return super().form_invalid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """GET/POST /password/: any logged-in user changes their password (the site's validators apply)."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["required"] = password_change_required(self.request)
        context["temporary_password_days"] = settings.TEMPORARY_PASSWORD_DAYS
        return context

    def form_valid(self, form):
        user = self.request.user
        try:
            password_change(
                user=user, new_password=form.cleaned_data["new_password1"], ip=client_ip(self.request)
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)  # this session stays logged in, the others end
        password_change_required_set(self.request, user, False)
        messages.success(self.request, "密码已修改，请牢记新密码。")
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: the form's security token did not match (an old page, an expired login)."""
    return render(request, "403_csrf.html", status=403)
