from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "新生儿预参保登记卡"

    def ready(self):
        from cards.services import harfbuzz_subset_check

        # Fail at start-up, not at the first print, when rendering would fall back to the slow subsetter.
        harfbuzz_subset_check()
