"""Fixtures and hooks shared by the whole suite (domain factories live in tests/factories.py)."""

import os

import psycopg
import pytest
from django.conf import settings as django_settings

POSTGRES_SKIP_REASON = (
    "needs PostgreSQL (DATABASE_URL=postgres://...): `make test-pg` runs it, and so does .ci/run"
)


def _database_is_postgres() -> bool:
    return "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # Without this every database test fails on its own with a long traceback; one clear line is better.
    if not _database_is_postgres():
        return
    db = django_settings.DATABASES["default"]
    try:
        psycopg.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError as error:
        where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}/{db['NAME']}"
        pytest.exit(
            f"DATABASE_URL points at PostgreSQL ({where}) but the server does not answer: {error}\n"
            "Start it (`make test-pg` starts the local cluster) or unset DATABASE_URL to test on SQLite.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


CLUSTER_SKIP_REASON = (
    "starts PostgreSQL clusters, moto, two gunicorn nodes and nginx: "
    "`make test-cluster` runs it (.ci/run too)"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The cluster tests start services of their own and take minutes: only `make test-cluster` (which sets
    # NEWBORN_CLUSTER_TESTS=1 and a database of their own) runs them.
    if os.environ.get("NEWBORN_CLUSTER_TESTS") != "1":
        skip_cluster = pytest.mark.skip(reason=CLUSTER_SKIP_REASON)
        for item in items:
            if item.get_closest_marker("cluster"):
                item.add_marker(skip_cluster)
    # Locks and concurrency only mean something on PostgreSQL (SQLite ignores select_for_update);
    # the SQLite pass skips these tests rather than pretend they passed.
    if _database_is_postgres():
        return
    skip = pytest.mark.skip(reason=POSTGRES_SKIP_REASON)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root_in_tmp(settings, tmp_path):
    """The storage is a per-test directory, never the repository's var/ (nor a configured object storage)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2's deliberate slowness protects real passwords; in tests it would only slow every login."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk(db):
    """A clerk with module access at a Nanning hospital, with the community and agency its tests use."""
    from tests import factories

    factories.division_chain()
    factories.agency_make()
    return factories.operator_make().user


@pytest.fixture
def pinned_today(monkeypatch):
    """timezone.localdate() gives the factories' TODAY; other dates convert as usual.

    For tests whose outcome depends on the real date (a card is printed only while it is valid).
    """
    from django.utils import timezone

    from tests.factories import TODAY

    localdate = timezone.localdate

    def pinned(value=None, timezone=None):
        return TODAY if value is None else localdate(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", pinned)
    return TODAY


@pytest.fixture
def today_is(monkeypatch):
    """A function making timezone.localdate() give the day it is called with; other dates convert as usual.

    For tests that move through the calendar (the two sides of 1 January, the day after a last day).
    """
    from django.utils import timezone

    localdate = timezone.localdate

    def pin(day):
        def pinned(value=None, timezone=None):
            return day if value is None else localdate(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", pinned)

    return pin
