"""A cohort of registrations for the reports' tests (tests/registration/conftest.py makes the fixtures):
babies registered on given days, paid some days later."""

from datetime import date, timedelta

from registration.models import Newborn, Sex
from registration.services.lifecycle import payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories

MONDAY = date(2026, 3, 2)  # factories.TODAY, a Monday


def mother(index: int) -> ParentInput:
    return ParentInput(
        factories.person_name("母亲", index), factories.id_number(order=f"{index:02d}2"), "13877112345"
    )


def registered(clerk, index: int, on: date, *, babies: int = 1) -> list[Newborn]:
    born = on - timedelta(days=4)
    birth = factories.register(
        clerk, mother=mother(index), babies=[BabyInput(Sex.FEMALE, born)] * babies, today=on
    )
    return list(birth.newborns.order_by("birth_order"))


def paid(newborn: Newborn, user, after_days: int) -> None:
    day = newborn.birth.registered_on + timedelta(days=after_days)
    payment_record(newborn=newborn, user=user, paid_on=day, years=[day.year], today=day)
