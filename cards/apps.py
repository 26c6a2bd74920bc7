from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "新生儿预参保登记卡"
