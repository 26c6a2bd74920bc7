"""/healthz, /readyz and /metrics: for a load balancer and Prometheus, no login, no session, no cookie."""

from datetime import timedelta
from io import StringIO
from ipaddress import ip_network

import pytest
from django.core.management import call_command
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from newborn_enroll import health
from registration.models import Newborn
from tests.factories import PASSWORD, TODAY, register

pytestmark = pytest.mark.django_db


def samples(response) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(client, name: str, **labels) -> float:
    return samples(client.get("/metrics")).get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_answers_without_the_database_or_a_cookie(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert not response.cookies
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_database_storage_font_and_subsetting(client, settings, tmp_path):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    lines = response.content.decode().splitlines()
    assert lines[0] == "ready"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["database", "ok"],
        ["storage", "ok"],
        ["font", "ok"],
        ["subsetting", "ok"],
    ]
    assert not response.cookies
    # The probe object was removed again.
    assert not list((tmp_path / "media").rglob("probe-*"))


def test_readyz_is_503_when_the_storage_cannot_write(client, settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the media directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocked},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    text = response.content.decode()
    assert text.startswith("not ready\n")
    assert "\nstorage fail " in text
    assert "database ok" in response.content.decode()


def test_readyz_is_503_when_the_card_font_is_missing(client, monkeypatch, tmp_path):
    from cards import services

    monkeypatch.setattr(services, "FONT_DIR", tmp_path)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "font fail ImproperlyConfigured" in response.content.decode()


def test_readyz_is_503_without_harfbuzz_subsetting(client, monkeypatch):
    import weasyprint.text.ffi

    monkeypatch.setattr(health, "_subset_ok", False)
    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "subsetting fail RuntimeError" in response.content.decode()


def test_a_session_cookie_sent_along_is_neither_read_nor_renewed(client, clerk):
    client.login(username=clerk.username, password=PASSWORD)
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path)
        assert response.status_code == 200
        assert not response.cookies, path
        assert "Vary" not in response.headers, path


def test_a_post_is_not_a_health_check(client):
    assert client.post("/healthz").status_code == 404


def test_metrics_only_for_the_allowed_addresses(client, settings):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    settings.METRICS_ALLOWED_IPS = ["10.1.2.3"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 404


@override_settings(TRUSTED_PROXIES=[ip_network("127.0.0.1")])
def test_behind_the_proxy_the_forwarded_client_decides(client):
    # nginx connects from 127.0.0.1: the address it forwards is the client's.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


def test_requests_are_counted_by_view_and_status(client, clerk):
    before = value(client, "newborn_http_requests_total", view="login", method="GET", status="200")
    client.get("/login/")
    client.get("/login/")
    after = value(client, "newborn_http_requests_total", view="login", method="GET", status="200")
    assert after == before + 2
    before_404 = value(client, "newborn_http_requests_total", view="unresolved", method="GET", status="404")
    client.get("/no-such-page/")
    assert (
        value(client, "newborn_http_requests_total", view="unresolved", method="GET", status="404")
        == before_404 + 1
    )
    assert value(client, "newborn_http_request_duration_seconds_count", view="login") >= 2


def test_registrations_cards_and_job_runs_are_counted(
    client, clerk, django_capture_on_commit_callbacks, pinned_today
):
    births = value(client, "newborn_registrations_total")
    babies = value(client, "newborn_newborns_registered_total")
    with django_capture_on_commit_callbacks(execute=True):
        from registration.services import Sex
        from registration.services.newborns import BabyInput

        born = TODAY - timedelta(days=4)
        register(clerk, babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.MALE, born)])
    assert value(client, "newborn_registrations_total") == births + 1
    assert value(client, "newborn_newborns_registered_total") == babies + 2

    cards = value(client, "newborn_cards_printed_total")
    client.login(username=clerk.username, password=PASSWORD)
    newborn = Newborn.objects.order_by("pk").first()
    assert client.get(f"/cards/{newborn.pk}/card.pdf").status_code == 200
    assert value(client, "newborn_cards_printed_total") == cards + 1

    runs = value(client, "newborn_job_runs_total", job="void_expired", outcome="ok")
    call_command("void_expired", stdout=StringIO())
    assert value(client, "newborn_job_runs_total", job="void_expired", outcome="ok") == runs + 1
