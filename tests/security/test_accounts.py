"""Accounts: lock-out after failures, strong passwords, idle expiry, cookies, CSRF, check --deploy."""

import os
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from registration.api.auth import BearerKeyAuthentication
from registration.sessions import REFRESHED_KEY
from tests import factories
from tests.factories import PASSWORD

REPOSITORY = Path(__file__).resolve().parents[2]


def _login(client, password, ip="10.1.2.3", username="clerk"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, times, ip="10.1.2.3", username="clerk") -> list[int]:
    return [_login(client, "wrong-password", ip, username).status_code for _ in range(times)]


def test_it_locks_a_username_out_at_one_address_after_five_failures(client, clerk):
    assert _fail(client, 5) == [200, 200, 200, 200, 429]

    response = _login(client, PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert "登录已暂时锁定" in html
    assert "30 分钟" in html
    assert "_auth_user_id" not in client.session


def test_it_does_not_lock_out_after_four_failures(client, clerk):
    assert _fail(client, 4) == [200] * 4

    assert _login(client, PASSWORD).status_code == 302


def test_it_counts_failures_per_username_and_address(client, clerk):
    _fail(client, 5, ip="10.1.2.3")

    assert _login(client, PASSWORD, ip="10.9.9.9").status_code == 302  # the clerk at another desk


def test_it_lifts_the_lock_out_after_the_cool_off(client, clerk):
    _fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    assert _login(client, PASSWORD).status_code == 302


def test_it_lifts_the_lock_out_with_the_reset_command(client, clerk):
    _fail(client, 5)

    call_command("axes_reset_username", "clerk")

    assert _login(client, PASSWORD).status_code == 302


def test_it_clears_the_count_after_a_successful_login(client, clerk):
    _fail(client, 4)
    assert _login(client, PASSWORD).status_code == 302
    client.post("/logout/")

    _fail(client, 4)

    assert _login(client, PASSWORD).status_code == 302


@pytest.mark.parametrize("password", ["short1!", "1234567890123", "password12345", "clerk-clerk-1"])
def test_it_refuses_weak_passwords(db, password):
    user = factories.user_make("clerk-clerk")

    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_it_accepts_a_strong_password(db):
    validate_password("Qingxiu-ward-2026!", user=factories.user_make("clerk"))


def test_it_ends_an_idle_session(client, clerk):
    client.force_login(clerk)
    assert client.get("/").status_code == 200

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def _session_row():
    (session,) = Session.objects.all()
    return session


def _last_refresh_set(client, seconds_ago: int) -> datetime:
    """Back-date the session's last refresh; its expiry as if then; returns that expiry."""
    session = client.session
    session[REFRESHED_KEY] = int(time.time()) - seconds_ago
    session.save()
    expiry = timezone.now() + timedelta(seconds=django_settings.SESSION_COOKIE_AGE - seconds_ago)
    Session.objects.update(expire_date=expiry)
    return expiry


def _session_writes(queries) -> list:
    return [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


def test_activity_moves_the_idle_expiry_forward_at_most_once_a_minute(client, clerk):
    client.force_login(clerk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not _session_writes(queries)  # the login started the idle time: no second write

    expiry = _last_refresh_set(client, django_settings.SESSION_REFRESH_SECONDS - 5)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not _session_writes(queries)
    assert _session_row().expire_date == expiry

    _last_refresh_set(client, django_settings.SESSION_REFRESH_SECONDS)
    assert client.get("/").status_code == 200
    assert _session_row().expire_date >= timezone.now() + timedelta(
        seconds=django_settings.SESSION_COOKIE_AGE - 5
    )


def test_a_logout_ends_the_session_and_the_refresh_does_not_revive_it(client, clerk):
    client.force_login(clerk)
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert not Session.objects.exists()


def test_a_stale_or_forged_cookie_makes_no_anonymous_session(client, db):
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "s" * 32  # no such session
    for path in ("/login/", "/no-such-page", "/reports"):  # /reports: redirected before any login is read
        client.get(path)
    assert not Session.objects.exists()


def test_it_expires_sessions_when_idle_and_when_the_browser_closes():
    assert django_settings.SESSION_COOKIE_AGE <= 30 * 60
    # Idle time, not time since login: the expiry moves with activity, at most a thirtieth of the age late.
    assert "registration.sessions.SessionIdleRefreshMiddleware" in django_settings.MIDDLEWARE
    assert 0 < django_settings.SESSION_REFRESH_SECONDS <= django_settings.SESSION_COOKIE_AGE / 30
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert django_settings.SESSION_COOKIE_HTTPONLY
    assert django_settings.CSRF_COOKIE_HTTPONLY


def _walk(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern


def test_it_exempts_no_view_from_csrf_but_the_apis_which_no_session_opens():
    exempt = [p for p in _walk(get_resolver().url_patterns) if getattr(p.callback, "csrf_exempt", False)]

    # Django REST framework's views are exempt; the API authenticates by Bearer key only, so a browser's
    # session cookie (what CSRF protects) opens none of them (tests/api/test_births.py).
    assert exempt and all(p.lookup_str.startswith(("registration.api.", "drf_spectacular.")) for p in exempt)
    for p in exempt:
        classes = getattr(p.callback, "cls", None).authentication_classes
        assert all(cls is BearerKeyAuthentication for cls in classes) or not classes, p.lookup_str


def test_it_refuses_a_post_without_the_csrf_token(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)

    assert client.post("/register/", {}).status_code == 403
    assert (
        Client(enforce_csrf_checks=True)
        .post("/login/", {"username": "clerk", "password": PASSWORD})
        .status_code
        == 403
    )


def _production_env(tmp_path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        NEWBORN_ENROLL_PRODUCTION="1",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="yb.example.cn",
        CSRF_TRUSTED_ORIGINS="https://yb.example.cn",
        DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="newborn_enroll.settings",
    )
    return env


def test_it_passes_check_deploy_in_production_mode(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPOSITORY,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_it_refuses_to_start_in_production_with_the_development_key(tmp_path):
    env = _production_env(tmp_path)
    env["SECRET_KEY"] = "dev-only-insecure-key-do-not-use-in-production"

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_answers_a_megabyte_username_with_the_login_page(client, db):
    response = _login(client, "wrong", username="张" * 1_000_000)

    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "张" * 150
