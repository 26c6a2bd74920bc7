"""seed_demo and void_expired, through call_command as cron and `make demo` run them."""

import logging
import subprocess
from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from registration.demo import ADMIN_LOGIN, STAFF_PASSWORD, SeedClock
from registration.models import AuditEntry, Birth, Hospital, InsuranceAgency, Newborn, Payment

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_two_hospitals_staff_and_records_in_every_state():
    output = run("seed_demo", "--registrations", "24")
    assert {h.division.parent.name for h in Hospital.objects.select_related("division__parent")} == {
        "南宁市",
        "桂林市",
    }
    states = set(Newborn.objects.values_list("state", flat=True))
    assert states == set(Newborn.State.values)
    assert Birth.objects.count() == 24
    # Every record carries its birth's hospital (Newborn.hospital, denormalized), both hospitals seen.
    hospitals = set(Newborn.objects.values_list("hospital_id", "birth__hospital_id"))
    assert len(hospitals) == 2 and all(own == births for own, births in hospitals)
    assert InsuranceAgency.objects.filter(code__in=["450100", "450181"]).count() == 2
    for username in ("clerk_nn", "super_nn", "clerk_gl", "super_gl"):
        assert username in output and authenticate(username=username, password=STAFF_PASSWORD) is not None
    assert authenticate(username=ADMIN_LOGIN[0], password=ADMIN_LOGIN[1]).is_superuser
    dates = Birth.objects.values_list("registered_on", flat=True)
    assert max(dates) - min(dates) >= timedelta(weeks=8)  # spread over the last weeks


def test_seed_demo_twice_adds_nothing():
    run("seed_demo", "--registrations", "6")
    output = run("seed_demo", "--registrations", "6")
    assert "none added" in output
    assert Birth.objects.count() == 6


def test_seed_demo_prints_the_url_it_is_given():
    output = run("seed_demo", "--registrations", "0", "--url", "http://127.0.0.1:8101/")
    assert "Demo logins (http://127.0.0.1:8101/):" in output
    assert "8000" not in output


@pytest.mark.parametrize(
    ("variables", "url"),
    [
        ([], "http://127.0.0.1:8000/"),
        (["PORT=8101"], "http://127.0.0.1:8101/"),
        (["HOST=0.0.0.0", "PORT=8102"], "http://127.0.0.1:8102/"),  # every interface: open the loopback one
    ],
)
def test_make_demo_passes_its_host_and_port_to_seed_demo(variables, url):
    # make -n prints the recipe's commands without running them.
    done = subprocess.run(
        ["make", "-n", "demo", *variables],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seeding = [line for line in done.stdout.splitlines() if "seed_demo" in line]
    assert len(seeding) == 1 and seeding[0].endswith(f"seed_demo --url {url}"), done.stdout


def test_seed_demo_refuses_a_silly_count():
    with pytest.raises(CommandError):
        run("seed_demo", "--registrations", "-1")


# The seeding's "now": before office hours (the records registered today cannot be at 9:00 or later yet)
# and in the afternoon; Asia/Shanghai.
EARLY = timezone.make_aware(datetime(2026, 3, 2, 2, 30))
AFTERNOON = timezone.make_aware(datetime(2026, 3, 2, 15, 45))
# The actions that change a record's state, and the field that keeps the time of each.
STATE_ACTIONS = {AuditEntry.Action.REGISTER, AuditEntry.Action.PAYMENT, AuditEntry.Action.FORMALIZE}
STATE_ACTIONS |= {AuditEntry.Action.VOID}


@pytest.fixture(params=[EARLY, AFTERNOON], ids=["early", "afternoon"])
def seeded_at(request, monkeypatch):
    """seed_demo run at a fixed moment: (that moment, its local date)."""
    monkeypatch.setattr(timezone, "now", lambda: request.param)
    run("seed_demo", "--registrations", "24")
    return request.param, timezone.localdate(request.param)


def test_seed_demo_puts_nothing_after_the_moment_it_ran(seeded_at):
    now, today = seeded_at
    stamps = [
        *Birth.objects.values_list("registered_at", flat=True),
        *Newborn.objects.values_list("state_changed_at", "created_at", "formalized_at", "voided_at"),
        *Payment.objects.values_list("recorded_at", flat=True),
        *AuditEntry.objects.values_list("at", flat=True),
    ]
    flat = [stamp for row in stamps for stamp in (row if isinstance(row, tuple) else (row,)) if stamp]

    assert flat and max(flat) <= now
    registered_today = Birth.objects.filter(registered_on=today)
    assert registered_today.count() == 2  # the home page shows them
    assert all(birth.registered_at <= now for birth in registered_today)
    assert timezone.now() == now  # the seeding's clock is put back


def test_seed_demo_registers_each_record_at_a_time_of_its_own_registration_day(seeded_at):
    now, today = seeded_at
    for birth in Birth.objects.all():
        assert timezone.localdate(birth.registered_at) == birth.registered_on
        if birth.registered_on < today:
            assert 9 <= timezone.localtime(birth.registered_at).hour < 17  # office hours


def test_seed_demo_writes_each_records_history_at_its_seeded_times_in_order(seeded_at):
    now, today = seeded_at
    newborns = Newborn.objects.select_related("birth").prefetch_related("payments", "audit_entries")
    seen_states = set()
    for newborn in newborns:
        history = sorted(
            (entry for entry in newborn.audit_entries.all() if entry.action in STATE_ACTIONS),
            key=lambda entry: entry.pk,
        )
        # Written in the order it happened, and stamped so: registration, payment, formalization or void.
        assert [entry.at for entry in history] == sorted(entry.at for entry in history)
        actions = [entry.action for entry in history]
        assert actions[0] == AuditEntry.Action.REGISTER and actions.count(AuditEntry.Action.REGISTER) == 1
        assert history[0].at == newborn.birth.registered_at == newborn.created_at
        for entry, payment in zip(
            [entry for entry in history if entry.action == AuditEntry.Action.PAYMENT],
            sorted(newborn.payments.all(), key=lambda payment: payment.pk),
            strict=True,
        ):
            assert timezone.localdate(entry.at) == payment.paid_on and entry.at == payment.recorded_at
        assert newborn.state_changed_at == history[-1].at  # the last event is the state's
        seen_states.add(newborn.state)
        match newborn.state:
            case Newborn.State.REGISTERED:
                assert actions == [AuditEntry.Action.REGISTER] and newborn.last_day >= today
            case Newborn.State.PAID:
                assert actions[-1] == AuditEntry.Action.PAYMENT
            case Newborn.State.FORMALIZED:
                assert actions[-2:] == [AuditEntry.Action.PAYMENT, AuditEntry.Action.FORMALIZE]
                assert newborn.formalized_at == history[-1].at
            case Newborn.State.VOID:
                assert actions == [AuditEntry.Action.REGISTER, AuditEntry.Action.VOID]
                assert newborn.voided_at == history[-1].at
                if newborn.voided_automatically:  # the daily job, the night after the last day
                    assert timezone.localdate(newborn.voided_at) == newborn.last_day + timedelta(days=1)
                    assert newborn.voided_at.astimezone(timezone.get_current_timezone()).hour == 0
    assert seen_states == set(Newborn.State.values)


def test_seed_demo_older_records_happened_before_the_seeding_day(seeded_at):
    now, today = seeded_at
    oldest = Newborn.objects.order_by("birth__registered_on").first()
    history = AuditEntry.objects.filter(newborn=oldest)

    assert oldest.birth.registered_on <= today - timedelta(weeks=15)
    assert all(timezone.localdate(entry.at) < today for entry in history)
    assert timezone.localdate(oldest.state_changed_at) < today


def test_the_seed_clock_keeps_a_past_days_time_and_fits_todays_into_the_hours_gone_by():
    clock = SeedClock(EARLY)
    yesterday = date(2026, 3, 1)

    assert clock.moment(yesterday, time(16, 59)) == timezone.make_aware(datetime(2026, 3, 1, 16, 59))
    today = [clock.moment(clock.today, at) for at in (time(0, 10), time(9), time(17, 10), time(17, 40))]
    assert today == sorted(today) and len(set(today)) == 4  # still in order
    assert timezone.make_aware(datetime(2026, 3, 2)) <= today[0] and today[-1] < EARLY


def test_the_seed_clock_is_put_back_when_a_service_fails_at_its_moment():
    clock = SeedClock(EARLY)
    real_now = timezone.now

    with pytest.raises(ValueError), clock.running_at(date(2026, 2, 1), time(10)) as moment:
        assert timezone.now() == moment == timezone.make_aware(datetime(2026, 2, 1, 10))
        assert timezone.localdate() == date(2026, 2, 1)
        raise ValueError("a refused payment")

    assert timezone.now is real_now


def test_void_expired_dry_run_then_for_real(monkeypatch):
    run("seed_demo", "--registrations", "24")
    later_day = timezone.localdate() + timedelta(days=200)
    later = later_day.isoformat()
    unpaid = Newborn.objects.filter(state=Newborn.State.REGISTERED).count()
    assert unpaid > 0
    assert f"{unpaid} record(s) would be voided" in run("void_expired", "--dry-run", "--today", later)
    assert Newborn.objects.filter(state=Newborn.State.REGISTERED).count() == unpaid
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later_day)  # 200 days have passed
    output = run("void_expired", "--today", later)
    assert f"{unpaid} record(s) voided" in output and "*****" in output
    assert "0 record(s) voided" in run("void_expired", "--today", later)


def test_void_expired_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--today"):
        run("void_expired", "--today", "2026-02-30")


def test_void_expired_refuses_a_day_after_today_and_voids_nothing():
    run("seed_demo", "--registrations", "6")
    unpaid = Newborn.objects.filter(state=Newborn.State.REGISTERED).count()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    with pytest.raises(CommandError, match="after today's date"):
        run("void_expired", "--today", tomorrow)

    assert Newborn.objects.filter(state=Newborn.State.REGISTERED).count() == unpaid


def test_void_expired_may_judge_by_today_or_an_earlier_day():
    today = timezone.localdate()
    assert f"as of {today}" in run("void_expired", "--today", today.isoformat())
    assert "as of 2026-01-01" in run("void_expired", "--today", "2026-01-01")


def test_void_expired_dry_run_may_look_ahead():
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert f"would be voided as of {later}" in run("void_expired", "--dry-run", "--today", later)


def test_management_commands_print_no_axes_startup_chatter(caplog):
    from axes.apps import AppConfig as AxesConfig

    AxesConfig.initialized = False  # the start-up message is written once per process
    with caplog.at_level(logging.INFO):
        AxesConfig.initialize()
        run("void_expired", "--dry-run")
        logging.getLogger("axes.handlers.database").info("AXES: Successful login by ...")
        logging.getLogger("axes.handlers.database").warning("AXES: Locked out ...")

    assert "AXES: BEGIN" not in caplog.text and "Successful login" not in caplog.text
    assert "Locked out" in caplog.text  # lock-outs are still logged
