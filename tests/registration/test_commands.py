"""seed_demo and void_expired, through call_command as cron and `make demo` run them."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from registration.demo import ADMIN_LOGIN, STAFF_PASSWORD
from registration.models import Birth, Hospital, InsuranceAgency, Newborn

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


def test_seed_demo_refuses_a_silly_count():
    with pytest.raises(CommandError):
        run("seed_demo", "--registrations", "-1")


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
