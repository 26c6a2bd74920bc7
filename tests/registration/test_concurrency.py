"""Registrations race-free on PostgreSQL: 8 real connections, same parent and different parents at once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from registration.models import AuditEntry, IssuedTemporaryId, Newborn
from registration.rules import SUFFIXES
from registration.services import Sex
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import MOTHER_ID, TODAY, register

THREADS = 8
SHARED_PER_THREAD = 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_issue_every_letter_and_number_once():
    assert connection.vendor == "postgresql"
    factories.division_chain()
    factories.agency_make()
    hospital = factories.hospital_make()
    clerks = [factories.operator_make(username=f"clerk{i}", hospital=hospital).user for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors, births = [], []

    def work(index, clerk):
        own_mother = ParentInput("王五", factories.id_number(born=f"1991{index + 1:02d}01", order="002"))
        try:
            barrier.wait()
            for round_ in range(SHARED_PER_THREAD):
                # The same mother from every thread: girls and boys at once, all contending for her letters.
                sex = Sex.FEMALE if (index + round_) % 2 else Sex.MALE
                births.append(register(clerk, babies=[BabyInput(sex, TODAY - timedelta(days=1))]))
                # A different mother per thread: twins, twice.
                if round_ < 2:
                    births.append(
                        register(clerk, mother=own_mother, babies=[BabyInput(Sex.FEMALE, TODAY)] * 2)
                    )
        except Exception as exc:  # every failure is reported below, with its thread
            errors.append((index, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, clerk)) for i, clerk in enumerate(clerks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(births) == THREADS * (SHARED_PER_THREAD + 2)
    expected_newborns = THREADS * (SHARED_PER_THREAD + 2 * 2)
    newborns = list(Newborn.objects.values_list("temp_id", "personal_number", "sex"))
    assert len(newborns) == expected_newborns
    assert len({temp_id for temp_id, _, _ in newborns}) == expected_newborns
    assert len({number for _, number, _ in newborns}) == expected_newborns
    assert IssuedTemporaryId.objects.count() == expected_newborns
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REGISTER).count() == expected_newborns

    shared = [(temp_id[-1], sex) for temp_id, _, sex in newborns if temp_id.startswith(MOTHER_ID)]
    assert len(shared) == THREADS * SHARED_PER_THREAD
    assert all(letter in SUFFIXES[Sex(sex)] for letter, sex in shared)
    # Serialised allocation gives each sex the head of its own list (the shared letters interleave).
    for sex in (Sex.FEMALE, Sex.MALE):
        own = {letter for letter, s in shared if s == sex}
        assert SUFFIXES[sex][:2] == tuple(letter for letter in SUFFIXES[sex][:2] if letter in own)
    own_mothers = Counter(temp_id[:18] for temp_id, _, _ in newborns if not temp_id.startswith(MOTHER_ID))
    assert set(own_mothers.values()) == {4}
    for mother_id in own_mothers:
        letters = sorted(
            Newborn.objects.filter(temp_id__startswith=mother_id).values_list("temp_id", flat=True)
        )
        assert [temp_id[-1] for temp_id in letters] == sorted(["X", "x", "A", "B"])
