"""manage.py clean_staging: the scheduled removal of uploads kept for a failed submit."""

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from registration.services.payment_uploads import payment_upload_get, payment_upload_store
from registration.services.staging import staging_get, staging_store
from tests.registration.views.test_register import png_bytes


def _age(token: str, hours: float) -> None:
    then = time.time() - hours * 3600
    for path in (Path(settings.MEDIA_ROOT) / "staging").glob(f"{token}*"):
        os.utime(path, (then, then))


def test_it_removes_stale_uploads_and_keeps_recent_ones(clerk):
    stale = staging_store(user=clerk, kind="id_card", original_name="a.png", content=png_bytes())
    recent = staging_store(user=clerk, kind="id_card", original_name="b.png", content=png_bytes())
    _age(stale.token, 30)
    _age(recent.token, 2)
    out = StringIO()

    call_command("clean_staging", stdout=out)

    assert "2 staging file(s) older than 24 h removed" in out.getvalue()
    assert staging_get(user=clerk, token=stale.token) is None
    assert staging_get(user=clerk, token=recent.token) is not None


def test_it_takes_the_age_in_hours(clerk):
    staged = staging_store(user=clerk, kind="id_card", original_name="a.png", content=png_bytes())
    _age(staged.token, 3)

    call_command("clean_staging", "--hours", "2", stdout=StringIO())

    assert staging_get(user=clerk, token=staged.token) is None


def test_it_refuses_an_age_that_would_remove_files_in_use():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("clean_staging", "--hours", "0", stdout=StringIO())


@pytest.mark.django_db
def test_it_runs_when_nothing_was_ever_staged():
    out = StringIO()

    call_command("clean_staging", stdout=out)

    assert out.getvalue().startswith("0 staging file(s)")


def test_it_removes_payment_lists_never_confirmed_after_a_day(clerk):
    old = payment_upload_store(user=clerk, original_name="old.csv", content=b"a,b\n")
    fresh = payment_upload_store(user=clerk, original_name="new.csv", content=b"a,b\n")
    then = time.time() - 25 * 3600
    for path in (Path(settings.MEDIA_ROOT) / "payment_imports").glob(f"{old.token}*"):
        os.utime(path, (then, then))
    out = StringIO()

    call_command("clean_staging", stdout=out)

    assert "2 unconfirmed payment-list file(s)" in out.getvalue()
    assert payment_upload_get(user=clerk, token=old.token) is None
    assert payment_upload_get(user=clerk, token=fresh.token) is not None
