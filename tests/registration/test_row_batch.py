"""RowBatch: one transaction's new rows, in one round trip on PostgreSQL (services/row_batch.py)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from registration.models import AuditEntry, Hospital, NumberSequence
from registration.services.row_batch import RowBatch
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return factories.division_chain().parent.parent.parent


def _hospital(code: str, county) -> Hospital:
    return Hospital(code=code, name=f"医院{code}", division=county)


def _entry(hospital: Hospital, reason: str) -> AuditEntry:
    return AuditEntry(at=timezone.now(), action=AuditEntry.Action.REGISTER, hospital=hospital, reason=reason)


def test_rows_that_refer_to_each_other_are_written_with_their_ids(county):
    with transaction.atomic():
        rows = RowBatch({Hospital: 2, AuditEntry: 3})
        first, second = _hospital("H1", county), _hospital("H2", county)
        rows.add([first, second])
        assert first.pk is not None and second.pk is not None  # before the write: entries refer to them
        entries = [_entry(first, "一"), _entry(second, "二"), _entry(second, "三")]
        rows.add(entries)
        rows.write()

    assert {entry.pk: entry.hospital_id for entry in entries} == dict(
        AuditEntry.objects.filter(pk__in=[entry.pk for entry in entries]).values_list("pk", "hospital_id")
    )
    assert Hospital.objects.get(pk=second.pk).code == "H2"
    assert not any(row._state.adding for row in [first, second, *entries])


@pytest.mark.postgres
def test_on_postgresql_the_ids_and_the_inserts_take_a_round_trip_each(county, django_assert_num_queries):
    with transaction.atomic(), django_assert_num_queries(2) as captured:
        rows = RowBatch({Hospital: 1, AuditEntry: 2}, sequences={"personal_number": 2})
        hospital = _hospital("H1", county)
        rows.add([hospital])
        rows.add([_entry(hospital, "一"), _entry(hospital, "二")])
        rows.write()

    assert captured.captured_queries[1]["sql"].count("INSERT INTO") == 2
    assert AuditEntry.objects.filter(hospital=hospital).count() == 2


@pytest.mark.postgres
def test_with_server_side_binding_the_inserts_go_one_by_one(county, django_assert_num_queries, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {"server_side_binding": True})
    with transaction.atomic(), django_assert_num_queries(3):
        rows = RowBatch({Hospital: 1, AuditEntry: 1})
        hospital = _hospital("H1", county)
        rows.add([hospital])
        rows.add([_entry(hospital, "一")])
        rows.write()

    assert AuditEntry.objects.get(hospital=hospital).reason == "一"


def test_sequence_values_are_new_on_every_batch():
    with transaction.atomic():
        first = RowBatch({}, sequences={"personal_number": 2}).sequence_values("personal_number")
    with transaction.atomic():
        second = RowBatch({}, sequences={"personal_number": 3}).sequence_values("personal_number")

    assert len(first) == 2 and len(second) == 3
    assert first == sorted(first) and second == sorted(second)
    assert max(first) < min(second)
    if connection.vendor == "sqlite":
        assert NumberSequence.objects.get(name="personal_number").last_value == max(second)


def test_more_rows_than_counted_are_refused(county):
    with transaction.atomic():
        rows = RowBatch({Hospital: 1})
        with pytest.raises(ValueError, match="more Hospital rows"):
            rows.add([_hospital("H1", county), _hospital("H2", county)])
        with pytest.raises(ValueError, match="more AuditEntry rows"):
            rows.add([_entry(None, "未计入")])


def test_a_row_referring_to_a_row_without_id_is_refused(county):
    with transaction.atomic():
        rows = RowBatch({AuditEntry: 1})
        with pytest.raises(ValueError, match="prohibited to prevent data loss"):
            rows.add([_entry(_hospital("H1", county), "医院未保存")])


@pytest.mark.postgres
def test_on_postgresql_a_model_whose_id_is_not_drawn_from_a_sequence_is_refused():
    from django.contrib.sessions.models import Session

    with pytest.raises(ValueError, match="Session's primary key"):
        RowBatch({Session: 1})


def test_a_conflicting_row_fails_the_batch_and_nothing_is_kept(county):
    _hospital("H1", county).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        rows = RowBatch({Hospital: 2})
        rows.add([_hospital("H2", county), _hospital("H1", county)])  # H1 exists: the code is unique
        rows.write()

    assert list(Hospital.objects.values_list("code", flat=True)) == ["H1"]
