"""The audit log is tamper-evident (issue 23, item 8): audit_verify finds inserted, changed, deleted entries.

Before, the app's own role could INSERT a forged entry and a superuser could change or delete entries with
the triggers switched off (`session_replication_role = replica`), without a trace. Now each entry carries
the application's MAC (a key the database does not hold) and the entries are sealed into a keyed chain;
audit_verify says where it breaks. The attacks are made with raw SQL, as they would be.
"""

import json
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from registration.audit_triggers import triggers_install, triggers_uninstall
from registration.models import AuditEntry, AuditSeal
from registration.services.audit import audit_record
from registration.services.audit_chain import audit_chain_verify, audit_seal, entry_authentic
from tests import factories

pytestmark = pytest.mark.django_db


def verify() -> tuple[bool, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


def _log(clerk, count: int = 5) -> list[AuditEntry]:
    return [
        audit_record(user=clerk, action=AuditEntry.Action.VIEW_ID, ip="10.1.2.3", detail={"n": n, "时": "次"})
        for n in range(count)
    ]


def _sealed(clerk, count: int = 5) -> list[AuditEntry]:
    entries = _log(clerk, count)
    call_command("audit_seal", stdout=None)
    return entries


def _seq(entry: AuditEntry) -> int:
    return AuditSeal.objects.get(entry_id=entry.pk).seq


def test_every_writer_gives_its_entries_a_valid_mac(clerk, pinned_today):
    factories.register(clerk)  # one bulk insert of the births' entries
    audit_record(user=clerk, action=AuditEntry.Action.LOGIN, ip="2001:DB8::1")
    audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="x", ip="::ffff:10.0.0.1")

    entries = list(AuditEntry.objects.all())  # read back from the database

    assert len(entries) >= 3
    assert all(entry_authentic(entry) for entry in entries)
    assert len({entry.nonce for entry in entries}) == len(entries)


def test_an_untouched_log_verifies_and_stays_verified(clerk, pinned_today):
    factories.register(clerk)
    _sealed(clerk)
    _log(clerk, 2)  # not sealed yet: audit_verify seals them first

    ok, output = verify()
    again, _ = verify()

    assert ok, output
    assert again
    assert "intact" in output
    assert AuditSeal.objects.count() == AuditEntry.objects.count()


def test_the_seal_chain_follows_the_entries_in_id_order(clerk):
    entries = _sealed(clerk, 4)

    links = list(AuditSeal.objects.order_by("seq").values_list("seq", "entry_id"))

    assert [entry_id for _, entry_id in links] == [entry.pk for entry in entries]
    assert [seq for seq, _ in links] == [1, 2, 3, 4]


def _raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _detail(value: dict) -> str:
    return json.dumps(value)


def _forge(username: str = "admin") -> int:
    """An entry INSERTed as the app's database role could, without the application's key."""
    _raw(
        "INSERT INTO registration_auditentry (at, username, action, object_type, object_id, object_repr, "
        "reason, detail) VALUES (%s, %s, 'login', '', '', '', '', %s)",
        [timezone.now() - timedelta(minutes=1), username, _detail({})],
    )
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()


def test_a_forged_entry_is_refused_by_the_sealer_and_named_by_audit_verify(clerk):
    _sealed(clerk)
    forged = _forge()

    with pytest.raises(CommandError, match=rf"no valid MAC.*id {forged}"):
        call_command("audit_seal")
    ok, output = verify()

    assert not ok
    assert f"outside the chain (entry id {forged}" in output
    assert "not written by the application" in output
    assert not AuditSeal.objects.filter(entry_id=forged).exists()


def test_a_copy_of_a_genuine_entry_is_refused_by_the_database(clerk):
    (entry,) = _log(clerk, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(
            "INSERT INTO registration_auditentry (at, username, action, object_type, object_id, object_repr, "
            "reason, detail, nonce, mac) SELECT at, username, action, object_type, object_id, object_repr, "
            "reason, detail, nonce, mac FROM registration_auditentry WHERE id = %s",
            [entry.pk],
        )


@pytest.fixture
def triggers_off():
    """Switches the append-only triggers off as a superuser can (PostgreSQL) or drops them (SQLite)."""
    if connection.vendor == "postgresql":
        _raw("SET session_replication_role = replica")
        yield
        _raw("SET session_replication_role = DEFAULT")
    else:
        triggers_uninstall(connection)
        yield
        triggers_install(connection)


def test_an_entry_altered_with_the_triggers_off_is_found_at_its_link(clerk, triggers_off):
    entries = _sealed(clerk)
    victim = entries[2]
    _raw("UPDATE registration_auditentry SET ip = '192.0.2.1' WHERE id = %s", [victim.pk])

    ok, output = verify()

    assert not ok
    assert f"first at link #{_seq(victim)}" in output
    assert f"link #{_seq(victim)} (entry id {victim.pk}" in output
    assert "content was changed" in output


def test_a_deleted_entry_is_found_at_its_link(clerk, triggers_off):
    entries = _sealed(clerk)
    victim = entries[1]
    seq = _seq(victim)
    _raw("DELETE FROM registration_auditentry WHERE id = %s", [victim.pk])

    ok, output = verify()

    assert not ok
    assert f"link #{seq} (entry id {victim.pk}): the entry was deleted" in output


def test_an_entry_deleted_with_its_link_breaks_the_chain_there(clerk, triggers_off):
    entries = _sealed(clerk, 6)
    victims = entries[2:4]
    seqs = [_seq(victim) for victim in victims]
    for victim in victims:
        _raw("DELETE FROM registration_auditentry WHERE id = %s", [victim.pk])
        _raw("DELETE FROM registration_auditseal WHERE entry_id = %s", [victim.pk])

    ok, output = verify()

    assert not ok
    assert f"links #{seqs[0]}–#{seqs[1]}" in output and "the links and their entries were deleted" in output
    assert f"link #{seqs[1] + 1}" in output and "does not follow the one before it" in output


def test_entries_cut_off_the_end_are_found_through_the_nodes_anchor(clerk, triggers_off):
    entries = _sealed(clerk, 5)
    assert verify()[0]  # the anchor now holds the last link
    for victim in entries[-2:]:
        _raw("DELETE FROM registration_auditentry WHERE id = %s", [victim.pk])
        _raw("DELETE FROM registration_auditseal WHERE entry_id = %s", [victim.pk])

    ok, output = verify()

    assert not ok
    assert f"link #{len(entries)}, the chain's end when this node saw it" in output
    with pytest.raises(CommandError, match="lost its end"):
        call_command("audit_seal")


def test_a_link_rewritten_to_cover_an_altered_entry_still_fails(clerk, triggers_off):
    entries = _sealed(clerk)
    victim = entries[0]
    _raw(
        "UPDATE registration_auditentry SET reason = 'forged', mac = %s WHERE id = %s", ["0" * 64, victim.pk]
    )
    _raw("UPDATE registration_auditseal SET entry_mac = %s WHERE entry_id = %s", ["0" * 64, victim.pk])

    report = audit_chain_verify()

    assert not report.intact
    assert report.breaks[0].first_seq == _seq(victim)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nodes_writing_and_sealing_at_once_leave_a_chain_that_verifies(clerk):
    errors = []

    def writer(n: int):
        try:
            for i in range(15):
                audit_record(user=None, action=AuditEntry.Action.API, username=f"w{n}", detail={"i": i})
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    def sealer():
        try:
            for _ in range(5):
                audit_seal()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    ok, output = verify()
    assert ok, output
    assert AuditSeal.objects.count() == AuditEntry.objects.count() >= 90
