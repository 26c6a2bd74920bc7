"""Migration 0006: a receipt number already shared by two babies stops it with the numbers to correct."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registration.models import Sex
from registration.services.newborns import BabyInput
from tests import factories

BEFORE = [("registration", "0005_division_name_bigrams")]


def _latest(executor):
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "registration"]


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_migrate_over_a_receipt_number_shared_by_two_babies(clerk):
    born = date(2026, 3, 2)
    # Read now: the current model's columns are not all there once the schema is migrated back.
    twins = list(
        factories.register(
            clerk, babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.FEMALE, born)], today=born
        ).newborns.order_by("birth_order")
    )
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    try:
        executor.migrate(BEFORE)
        old_apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        Payment = old_apps.get_model("registration", "Payment")
        for newborn in twins:  # allowed before 0006: the number was unique per baby only
            Payment.objects.create(
                newborn_id=newborn.pk,
                paid_on=born,
                years=[2026],
                receipt_number="GX-1",
                recorded_by_id=clerk.pk,
            )

        with pytest.raises(RuntimeError, match="GX-1"):
            MigrationExecutor(connection).migrate(latest)

        Payment.objects.filter(newborn_id=twins[1].pk).update(receipt_number="GX-2")
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert MigrationExecutor(connection).migration_plan(latest) == []


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"a model change has no migration (makemigrations exits {exit_.code}):\n{out.getvalue()}")


@pytest.mark.django_db(transaction=True)
def test_migration_0018_fills_each_newborns_hospital_from_its_birth(clerk):
    from registration.models import Newborn

    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    ).user
    born = date(2026, 3, 2)
    factories.register(clerk, babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.MALE, born)], today=born)
    factories.register(other, today=born)
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    try:
        executor.migrate([("registration", "0017_newborn_report_columns")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    newborns = Newborn.objects.select_related("birth")
    assert len(newborns) == 3
    assert all(newborn.hospital_id == newborn.birth.hospital_id for newborn in newborns)
    assert {newborn.hospital_id for newborn in newborns} == {
        clerk.operator.hospital_id,
        other.operator.hospital_id,
    }


@pytest.mark.django_db(transaction=True)
def test_migration_0020_seals_the_entries_already_in_the_log(clerk):
    from io import StringIO

    from django.core.management import call_command

    before = [("registration", "0019_newborn_report_indexes")]
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    try:
        executor.migrate(before)
        old_apps = MigrationExecutor(connection).loader.project_state(before).apps
        Entry = old_apps.get_model("registration", "AuditEntry")
        for n in range(3):  # entries of the old log: no nonce, no MAC
            Entry.objects.create(username="clerk", action="login", ip="10.0.0.1", detail={"n": n})
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    from registration.models import AuditEntry, AuditSeal

    assert AuditSeal.objects.count() == AuditEntry.objects.count() == 3
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_migration_0024_stops_at_a_negative_amount_and_names_the_payment(clerk):
    born = date(2026, 3, 2)
    newborn = factories.register(clerk, today=born).newborns.get()
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    before = [("registration", "0020_audit_seals")]
    try:
        executor.migrate(before)
        old_apps = MigrationExecutor(connection).loader.project_state(before).apps
        Payment = old_apps.get_model("registration", "Payment")
        wrong = Payment.objects.create(
            newborn_id=newborn.pk, paid_on=born, years=[2026], amount="-380.00", recorded_by_id=clerk.pk
        )

        with pytest.raises(RuntimeError, match=rf"{wrong.pk} \(-380\.00\)"):
            MigrationExecutor(connection).migrate(latest)

        Payment.objects.filter(pk=wrong.pk).update(amount="380.00")
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert MigrationExecutor(connection).migration_plan(latest) == []


@pytest.mark.django_db(transaction=True)
def test_migration_0030_fills_what_the_quality_page_reads(clerk):
    from registration.models import Birth, Material, Newborn
    from registration.services.birth_materials import MaterialInput
    from tests.security.conftest import png_bytes

    born = date(2026, 3, 2)
    deferred = factories.register(
        clerk, babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.MALE, born)], today=born
    )
    complete = factories.register(
        clerk,
        mother=factories.ParentInput("黄齐全", factories.id_number(order="122"), ""),
        materials=[
            MaterialInput(Material.Kind.ID_CARD, png_bytes(), "身份证.png"),
            MaterialInput(Material.Kind.BIRTH_RECORD, png_bytes(), "出生记录.png"),
        ],
        materials_deferred=False,
        today=born,
    )
    Birth.objects.filter(pk=complete.pk).update(agency_warning_confirmed=True)
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    try:
        executor.migrate([("registration", "0027_birth_request_fingerprint")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    births = {birth.pk: birth for birth in Birth.objects.all()}
    assert births[deferred.pk].materials_pending is True
    assert births[complete.pk].materials_pending is False
    assert births[complete.pk].confirmed_warnings == "agency_mismatch"
    assert births[deferred.pk].confirmed_warnings == ""
    for newborn in Newborn.objects.select_related("birth"):
        assert newborn.mother_id_number == newborn.birth.mother_id_number != ""
        assert newborn.father_id_number == newborn.birth.father_id_number
