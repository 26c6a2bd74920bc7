"""Newborn.paid_until (docs/rules.md, Which days are covered): kept by payment_record, filled by 0022."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registration.models import Newborn, Sex
from registration.rules import card_cover
from registration.services.lifecycle import newborn_void_expired, payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import register

BORN = date(2025, 12, 5)  # last day 2026-03-04


def _baby(clerk, index: int) -> Newborn:
    mother = ParentInput(factories.person_name("母亲", index), factories.id_number(order=f"{index:02d}2"), "")
    return register(
        clerk, mother=mother, babies=[BabyInput(Sex.FEMALE, BORN)], today=date(2025, 12, 8)
    ).newborns.get()


def _pay(newborn, clerk, paid_on, years):
    payment_record(newborn=newborn, user=clerk, paid_on=paid_on, years=years, today=date(2026, 6, 30))


def _records(clerk) -> dict[str, Newborn]:
    made = {
        name: _baby(clerk, index) for index, name in enumerate(("birth_year", "both", "late", "unpaid"), 1)
    }
    _pay(made["birth_year"], clerk, date(2026, 2, 10), [2025])
    _pay(made["both"], clerk, date(2025, 12, 20), [2025])
    _pay(made["both"], clerk, date(2026, 2, 10), [2026])
    newborn_void_expired(today=date(2026, 3, 5))
    _pay(made["late"], clerk, date(2026, 3, 10), [2026])  # kept on the void record
    return made


def _paid_until() -> dict[int, date | None]:
    return dict(Newborn.objects.values_list("pk", "paid_until"))


@pytest.mark.django_db
def test_each_payment_keeps_the_end_of_the_years_paid_in_time(clerk):
    made = _records(clerk)
    found = _paid_until()

    assert found[made["birth_year"].pk] == date(2025, 12, 31)  # the card covers to 2025-12-31: 2026 unpaid
    assert found[made["both"].pk] == date(2026, 12, 31)
    assert found[made["late"].pk] is None and found[made["unpaid"].pk] is None
    for newborn in Newborn.objects.prefetch_related("payments"):
        payments = [(payment.paid_on, payment.years) for payment in newborn.payments.all()]
        assert newborn.paid_until == card_cover(newborn.birth_date, payments).paid_until


@pytest.mark.django_db(transaction=True)
def test_migration_0022_fills_what_payment_record_keeps(clerk):
    _records(clerk)
    kept = _paid_until()
    # A record reinstated by a late payment before 0022: paid, but no money arrived in time.
    legacy = _baby(clerk, 5)
    _pay(legacy, clerk, date(2026, 3, 10), [2026])
    Newborn.objects.filter(pk=legacy.pk).update(
        state=Newborn.State.PAID, voided_at=None, void_reason="", voided_automatically=False,
        benefit_start=date(2026, 6, 10),
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "registration"]
    try:
        executor.migrate([("registration", "0019_newborn_report_indexes")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert _paid_until() == {**kept, legacy.pk: None}
