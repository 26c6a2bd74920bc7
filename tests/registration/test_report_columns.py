"""The reports' copies on the newborns (issue 15): registered_on from the birth, first_paid_on from the
payments, kept by the services that write them, filled by migration 0017, and no other writer of payments."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min

from registration.models import Newborn, Payment
from registration.services import Sex
from registration.services.lifecycle import newborn_void_expired, payment_record
from registration.services.newborns import BabyInput
from tests.factories import register

BORN = date(2025, 12, 5)
REGISTERED = date(2025, 12, 8)
REGISTRATION = Path(__file__).resolve().parents[2] / "registration"


def _twins(clerk):
    birth = register(clerk, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.MALE, BORN)], today=REGISTERED)
    return list(birth.newborns.order_by("birth_order"))


def _pay(newborn, user, paid_on):
    return payment_record(newborn=newborn, user=user, paid_on=paid_on, years=[2026], today=date(2026, 6, 30))


def _columns(newborn) -> tuple:
    newborn.refresh_from_db()
    return newborn.registered_on, newborn.first_paid_on


def _sources(newborn) -> tuple:
    first = Payment.objects.filter(newborn=newborn).aggregate(first=Min("paid_on"))["first"]
    return newborn.birth.registered_on, first


@pytest.mark.django_db
def test_a_registration_copies_its_day_to_each_baby_and_no_payment_yet(clerk):
    for newborn in _twins(clerk):
        assert _columns(newborn) == (REGISTERED, None) == _sources(newborn)


@pytest.mark.django_db
def test_the_first_payment_is_the_earliest_day_whatever_the_order_they_arrive_in(clerk):
    girl, boy = _twins(clerk)
    _pay(girl, clerk, date(2026, 2, 10))
    assert _columns(girl) == (REGISTERED, date(2026, 2, 10)) == _sources(girl)
    assert _columns(boy) == (REGISTERED, None)  # the twin's own payments only

    payment_record(newborn=girl, user=clerk, paid_on=date(2026, 1, 5), years=[2025], today=date(2026, 6, 30))
    assert _columns(girl) == (REGISTERED, date(2026, 1, 5)) == _sources(girl)  # an earlier day, told later

    payment_record(newborn=girl, user=clerk, paid_on=date(2026, 3, 1), years=[2027], today=date(2026, 6, 30))
    assert _columns(girl) == (REGISTERED, date(2026, 1, 5)) == _sources(girl)


@pytest.mark.django_db
def test_a_record_voided_for_want_of_payment_and_paid_later_has_its_first_payment(clerk):
    girl, _ = _twins(clerk)  # born 2025-12-05: last day 2026-03-04
    newborn_void_expired(today=date(2026, 3, 5))
    girl.refresh_from_db()
    assert (girl.state, girl.first_paid_on) == (Newborn.State.VOID, None)

    _pay(girl, clerk, date(2026, 3, 20))  # after the last day: kept on the void record (docs/rules.md)

    assert _columns(girl) == (REGISTERED, date(2026, 3, 20)) == _sources(girl)
    assert girl.state == Newborn.State.VOID

    _pay(girl, clerk, date(2026, 3, 1))  # by the last day, listed later: reinstated

    assert _columns(girl) == (REGISTERED, date(2026, 3, 1)) == _sources(girl)
    assert girl.state == Newborn.State.PAID


def test_payments_have_one_writer():
    """first_paid_on is right only if every payment goes through payment_record: no other code makes or
    updates one."""
    makers = re.compile(
        r"(?<!class )\bPayment\(|Payment\.objects\.(create|bulk_create|get_or_create|update_or_create)\("
        r"|(Payment\.objects|payments)\.[^\n]*\bupdate\("  # a payment's day changed in bulk
    )
    found = [
        f"{path.relative_to(REGISTRATION)}:{number}"
        for path in REGISTRATION.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if makers.search(line)
    ]
    assert found == [f"services/lifecycle.py:{_create_line()}"]


def _create_line() -> int:
    lines = (REGISTRATION / "services" / "lifecycle.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if "Payment.objects.create(" in line)


@pytest.mark.django_db(transaction=True)
def test_migration_0017_fills_the_copies_from_the_births_and_payments(clerk):
    girl, boy = _twins(clerk)
    _pay(girl, clerk, date(2026, 2, 10))
    payment_record(newborn=girl, user=clerk, paid_on=date(2026, 1, 5), years=[2025], today=date(2026, 6, 30))
    executor = MigrationExecutor(connection)
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "registration"]
    try:
        executor.migrate([("registration", "0016_newborn_unpaid_index")])
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert list(Newborn.objects.order_by("birth_order").values_list("registered_on", "first_paid_on")) == [
        (REGISTERED, date(2026, 1, 5)),
        (REGISTERED, None),
    ]
