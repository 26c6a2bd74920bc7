"""Records and runs for the text messages' tests (services/test_sms.py, sms/test_messages.py): a girl whose
last day to pay is a given number of days ahead, and the send_reminders job run in process. The locmem
outbox itself is the `sms_locmem` fixture of tests/registration/conftest.py."""

from datetime import date, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from registration.models import Newborn
from registration.reference import Sex
from registration.rules import pre_enrollment_last_day
from registration.services.registration_check import BabyInput
from tests import factories


def run(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def born_for_last_day_in(days: int) -> date:
    """A birth date whose last day to pay is `days` after today."""
    today = timezone.localdate()
    born = today - timedelta(days=85)
    while pre_enrollment_last_day(born) > today + timedelta(days=days):
        born -= timedelta(days=1)
    while pre_enrollment_last_day(born) < today + timedelta(days=days):
        born += timedelta(days=1)
    return born


def registered(clerk, *, born: date, **overrides) -> Newborn:
    """One girl born on `born`, registered that day (the registration's welcome sent and forgotten)."""
    return factories.register(
        clerk, babies=[BabyInput(Sex.FEMALE, born)], today=born, **overrides
    ).newborns.get()
