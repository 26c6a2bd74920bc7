"""The forms of the accounts pages."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from registration.services.passwords import (
    temporary_password_expired,
    temporary_password_pending,
)

EXPIRED = "temporary_password_expired"


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a password someone else chose that was left unchanged too long."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if temporary_password_expired(temporary_password_pending(user)):
            raise ValidationError(
                f"初始密码（或管理员重置的密码）超过{settings.TEMPORARY_PASSWORD_DAYS}天未修改，已经失效。"
                "请联系医保中心管理员重新设置密码。",
                code=EXPIRED,
            )
