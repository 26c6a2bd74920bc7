"""At most once on PostgreSQL (docs/sms.md, At most once): two send_reminders at once, two runs' claims
racing without the lock, and a run killed with SIGKILL in the middle of its sending."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from registration import sms
from registration.models import Newborn, SmsMessage
from registration.reference import Sex
from registration.rules import pre_enrollment_last_day
from registration.services.registration_check import BabyInput
from registration.services.sms import sms_send_due
from tests import factories

ROOT = Path(__file__).resolve().parents[3]
State, Kind = SmsMessage.State, SmsMessage.Kind

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("sms_locmem")]


def _born_due_in(days: int):
    today = timezone.localdate()
    born = today - timedelta(days=80)
    while pre_enrollment_last_day(born) < today + timedelta(days=days):
        born += timedelta(days=1)
    while pre_enrollment_last_day(born) > today + timedelta(days=days):
        born -= timedelta(days=1)
    return born


def _registered(born, order: int) -> Newborn:
    mother = factories.ParentInput(
        factories.person_name("母亲", order),
        factories.id_number(order=f"{order:03d}"[:2] + "2"),
        "13877112345",
    )
    return factories.register(
        _registered.clerk, babies=[BabyInput(Sex.FEMALE, born)], today=born, mother=mother
    ).newborns.get()


def _threads(target, count: int = 2) -> list:
    barrier, errors, results = threading.Barrier(count), [], []

    def body():
        try:
            barrier.wait(10)
            results.append(target())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_concurrent_send_reminders_give_a_record_due_in_7_days_exactly_one_reminder(
    transactional_db, clerk
):
    _registered.clerk = clerk
    newborn = _registered(_born_due_in(7), 2)

    def command():
        out = StringIO()
        call_command("send_reminders", stdout=out)
        return out.getvalue()

    _threads(command)
    _threads(command)  # and a rerun of both

    reminders = [m for m in sms.outbox if m.kind == Kind.REMINDER]
    assert len(reminders) == 1 and newborn.name in reminders[0].text
    assert SmsMessage.objects.filter(newborn=newborn, kind=Kind.REMINDER).count() == 1
    assert Counter(m.kind for m in sms.outbox) == {Kind.REMINDER: 1, Kind.WELCOME: 1}


class Slow(sms.SmsBackend):
    """The locmem backend, a millisecond a message: the two runs' batches interleave."""

    def send(self, message):
        time.sleep(0.001)
        return sms.backends.LocmemBackend().send(message)


def test_two_runs_claiming_at_once_without_the_lock_send_each_message_once(transactional_db, clerk):
    _registered.clerk = clerk
    newborn = _registered(_born_due_in(7), 2)
    SmsMessage.objects.all().delete()
    now = timezone.now()
    SmsMessage.objects.bulk_create(
        SmsMessage(
            newborn=newborn,
            kind=Kind.REMINDER,
            step=step,
            phone="13877112345",
            template_code="SMS_REMINDER",
            params={},
            text=f"message {step}",
            next_attempt_at=now,
            created_at=now,
        )
        for step in range(1, 301)
    )

    reports = _threads(lambda: sms_send_due(backend=Slow(), batch=7))

    texts = Counter(m.text for m in sms.outbox)
    assert len(texts) == 300 and max(texts.values()) == 1
    assert sum(report.sent for report in reports) == 300
    assert all(report.sent for report in reports)  # both runs took part
    assert set(SmsMessage.objects.values_list("state", flat=True)) == {State.SENT}


# A run of send_reminders through the console backend, a little slow per message, so that SIGKILL lands
# in the middle of its sending; each message's text goes to the log as it is sent.
CHILD = """
import time
import django
django.setup()
from registration.sms import backends
original = backends.ConsoleBackend.send
def slow(self, message):
    time.sleep(0.02)
    return original(self, message)
backends.ConsoleBackend.send = slow
from django.core.management import call_command
call_command("send_reminders", "--batch", "5")
"""


def test_a_run_killed_mid_way_sends_nothing_twice(transactional_db, clerk):
    _registered.clerk = clerk
    newborn = _registered(_born_due_in(7), 2)
    SmsMessage.objects.all().delete()
    now = timezone.now()
    SmsMessage.objects.bulk_create(
        SmsMessage(
            newborn=newborn,
            kind=Kind.REMINDER,
            step=step,
            phone="13877112345",
            template_code="SMS_REMINDER",
            params={},
            text=f"message-{step:03d}",
            next_attempt_at=now + timedelta(microseconds=step),
            created_at=now,
        )
        for step in range(1, 101)
    )
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newborn_enroll.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        ),
        "SMS_BACKEND": "console",
        "SMS_QUIET_START": "0",
        "SMS_QUIET_END": "0",
        "LOG_LEVEL": "INFO",
    }
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = database["PASSWORD"]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=environment, stderr=subprocess.PIPE, text=True
    )
    sent_by_child = []
    try:
        for line in child.stderr:
            if "SMS reminder" in line:
                sent_by_child.append(line.rsplit(": ", 1)[1].strip())
            if len(sent_by_child) == 12:  # in the middle of the third batch of five
                child.send_signal(signal.SIGKILL)
                break
        else:
            pytest.fail("the child run ended before it sent 12 messages")
    finally:
        child.kill()
        child.wait(30)
    assert child.returncode == -signal.SIGKILL

    # The next run: the lock died with the child's connection (PostgreSQL may take a moment to notice).
    for _ in range(50):
        out = StringIO()
        call_command("send_reminders", stdout=out)
        if "running elsewhere" not in out.getvalue():
            break
        time.sleep(0.1)
    else:
        pytest.fail("the killed run's lock was never released")

    sent = Counter(sent_by_child) + Counter(m.text.removeprefix("【新生儿参保】") for m in sms.outbox)
    assert max(sent.values()) == 1, [text for text, count in sent.items() if count > 1]
    states = Counter(SmsMessage.objects.values_list("state", flat=True))
    # Two batches recorded by the child, the third claimed when it died (failed, outcome unknown), the
    # rest sent by the next run.
    assert states == {State.SENT: 95, State.FAILED: 5}
    assert len(sms.outbox) == 85
