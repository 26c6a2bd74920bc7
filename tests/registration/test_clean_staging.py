"""manage.py clean_staging: the scheduled removal of uploads kept for a failed submit."""

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from registration.models import KeptUpload
from registration.services.kept_uploads import (
    kept_payment_list_get,
    kept_payment_list_store,
    kept_scan_get,
    kept_scan_store,
)
from tests.registration.test_views_register import png_bytes


def _age(upload: KeptUpload, hours: float) -> None:
    KeptUpload.objects.filter(pk=upload.pk).update(created=timezone.now() - timedelta(hours=hours))


def test_it_removes_stale_uploads_and_keeps_recent_ones(clerk):
    stale = kept_scan_store(user=clerk, material_kind="id_card", original_name="a.png", content=png_bytes())
    recent = kept_scan_store(user=clerk, material_kind="id_card", original_name="b.png", content=png_bytes())
    _age(stale, 30)
    _age(recent, 2)
    out = StringIO()

    call_command("clean_staging", stdout=out)

    assert "1 staging file(s) older than 24 h removed" in out.getvalue()
    assert kept_scan_get(user=clerk, token=stale.token) is None
    assert not default_storage.exists(stale.file.name)  # the file went with its row
    assert kept_scan_get(user=clerk, token=recent.token) is not None
    assert default_storage.exists(recent.file.name)


def test_it_takes_the_age_in_hours(clerk):
    staged = kept_scan_store(user=clerk, material_kind="id_card", original_name="a.png", content=png_bytes())
    _age(staged, 3)

    call_command("clean_staging", "--hours", "2", stdout=StringIO())

    assert kept_scan_get(user=clerk, token=staged.token) is None


def test_it_refuses_an_age_that_would_remove_files_in_use():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("clean_staging", "--hours", "0", stdout=StringIO())


@pytest.mark.django_db
def test_it_runs_when_nothing_was_ever_staged():
    out = StringIO()

    call_command("clean_staging", stdout=out)

    assert out.getvalue().startswith("0 staging file(s)")


def test_it_removes_payment_lists_never_confirmed_after_a_day(clerk):
    old = kept_payment_list_store(user=clerk, original_name="old.csv", content=b"a,b\n")
    fresh = kept_payment_list_store(user=clerk, original_name="new.csv", content=b"a,b\n")
    _age(old, 25)
    out = StringIO()

    call_command("clean_staging", "--hours", "48", stdout=out)

    assert "1 unconfirmed payment-list file(s)" in out.getvalue()
    assert not KeptUpload.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.file.name)
    assert kept_payment_list_get(user=clerk, token=fresh.token) is not None


def test_it_removes_kept_files_that_lost_their_row_once_they_are_old(clerk, settings):
    kept = kept_scan_store(user=clerk, material_kind="id_card", original_name="a.png", content=png_bytes())
    orphan = default_storage.save("kept/orphan", ContentFile(b"left by a failed request"))
    recent_orphan = default_storage.save("kept/recent-orphan", ContentFile(b"its row is being written"))
    material = default_storage.save("materials/2026/01/not-kept.png", ContentFile(png_bytes()))
    two_days_ago = time.time() - 2 * 86400
    for name in (orphan, kept.file.name, material):  # the test's storage is a directory (conftest)
        os.utime(Path(settings.MEDIA_ROOT) / name, (two_days_ago, two_days_ago))
    out = StringIO()

    call_command("clean_staging", stdout=out)

    assert "1 kept file(s) without their row removed" in out.getvalue()
    assert not default_storage.exists(orphan)
    assert default_storage.exists(recent_orphan)
    assert default_storage.exists(kept.file.name)  # a file with its row is the row's to expire
    assert default_storage.exists(material)  # only the kept uploads' folder is swept
