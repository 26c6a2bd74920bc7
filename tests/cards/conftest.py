"""The cards' tests run on the factories' TODAY: whether a card is still valid depends on the date."""

import pytest


@pytest.fixture(autouse=True)
def _today_is_the_factories_today(pinned_today):
    """timezone.localdate() (the views' and print_cards' today) gives TODAY (tests/conftest.py)."""
