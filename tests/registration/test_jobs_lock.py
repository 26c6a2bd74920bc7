"""void_expired and clean_staging on several nodes at once: a PostgreSQL advisory lock lets one run."""

import threading
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections

from registration import jobs
from registration.management.commands import clean_staging, void_expired

JOBS = [
    ("void_expired", void_expired, "newborn_void_expired"),
    ("clean_staging", clean_staging, "kept_uploads_clean"),
]


def _run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


@pytest.mark.postgres
@pytest.mark.parametrize(("job", "module", "work"), JOBS)
def test_a_second_run_while_the_first_runs_says_so_and_does_nothing(
    transactional_db, monkeypatch, job, module, work
):
    entered = threading.Event()
    release = threading.Event()
    calls = []
    original = getattr(module, work)

    def slow_work(*args, **kwargs):
        calls.append(threading.current_thread().name)
        entered.set()
        assert release.wait(20), "the test never released the first run"
        return original(*args, **kwargs)

    monkeypatch.setattr(module, work, slow_work)
    outputs = {}
    errors = []

    def first():
        try:
            outputs["first"] = _run(job)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first, name="first")
    thread.start()
    try:
        assert entered.wait(20), "the first run never started its work"
        # The first run holds the lock on its own connection; this one is another database session.
        outputs["second"] = _run(job)
    finally:
        release.set()
        thread.join(30)
    assert not errors, errors
    assert calls == ["first"]
    assert f"{job} is running elsewhere" in outputs["second"]
    assert "running elsewhere" not in outputs["first"]
    # Released at the end: the next run does the work.
    assert "running elsewhere" not in _run(job)
    assert calls == ["first", "MainThread"]


@pytest.mark.postgres
@pytest.mark.parametrize("job", ["void_expired", "clean_staging"])
def test_a_lock_held_by_another_process_makes_the_command_exit_quietly(transactional_db, job):
    first, second = jobs.lock_key(job)
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [first, second])
        assert "running elsewhere" in _run(job)  # call_command raised nothing: exit status 0
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [first, second])
    finally:
        other.close()
    assert "running elsewhere" not in _run(job)


def test_the_jobs_have_different_locks():
    assert jobs.lock_key("void_expired") != jobs.lock_key("clean_staging")
    assert all(-(2**31) <= part < 2**31 for part in jobs.lock_key("void_expired"))


def test_on_sqlite_there_is_no_lock(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass checks this")
    with jobs.single_run("void_expired") as first, jobs.single_run("void_expired") as second:
        assert first and second
