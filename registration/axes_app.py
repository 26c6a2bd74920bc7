"""django-axes' app under a Chinese name in the Django admin (INSTALLED_APPS names this class).

Its models' and fields' names are translated by the project's catalog (locale/zh_Hans): axes ships none.
Kept out of registration/apps.py, where a second AppConfig would stop Django picking RegistrationConfig.
"""

from axes.apps import AppConfig


class AxesConfig(AppConfig):
    verbose_name = "登录限制（失败登录与锁定）"
