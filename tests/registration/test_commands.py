"""seed_demo and void_expired, through call_command as cron and `make demo` run them."""

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


def test_void_expired_dry_run_then_for_real():
    run("seed_demo", "--registrations", "24")
    later = (timezone.localdate() + timedelta(days=200)).isoformat()
    unpaid = Newborn.objects.filter(state=Newborn.State.REGISTERED).count()
    assert unpaid > 0
    assert f"{unpaid} record(s) would be voided" in run("void_expired", "--dry-run", "--today", later)
    assert Newborn.objects.filter(state=Newborn.State.REGISTERED).count() == unpaid
    output = run("void_expired", "--today", later)
    assert f"{unpaid} record(s) voided" in output and "*****" in output
    assert "0 record(s) voided" in run("void_expired", "--today", later)


def test_void_expired_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--today"):
        run("void_expired", "--today", "2026-02-30")
