from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = "新生儿预参保登记"

    def ready(self):
        from registration import signals  # noqa: F401  (connects the receivers)
