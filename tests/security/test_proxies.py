"""X-Forwarded-For counts only from a trusted proxy, by address (issue 23, item 5).

A node configured behind nginx (TRUSTED_PROXIES) is reached directly by a client that sends its own
X-Forwarded-For: the client's socket address decides the /metrics allow-list, the lock-out and the audit
log's IP. Through the proxy, the address the proxy appended decides. The shipped nginx site is tested with
the cluster (tests/cluster/test_cluster.py).
"""

import os
import subprocess
import sys
from ipaddress import ip_network
from pathlib import Path

import pytest
from django.test import RequestFactory

from registration.http import client_ip
from registration.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"
DIRECT = "203.0.113.7"  # a client that reached the node without the proxy


@pytest.fixture(autouse=True)
def behind_the_proxy(settings):
    # The deployment's settings: nginx at 10.0.0.5 (and a second proxy network). TRUSTED_PROXY_COUNT is
    # what the settings said before TRUSTED_PROXIES: with it, the code of then believed any client's header.
    settings.TRUSTED_PROXIES = [ip_network(PROXY), ip_network("10.1.0.0/24")]
    settings.TRUSTED_PROXY_COUNT = 1


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_a_direct_client_is_its_socket_address_whatever_it_forwards():
    assert _ip(DIRECT, "127.0.0.1") == DIRECT
    assert _ip(DIRECT, "198.51.100.1, 127.0.0.1") == DIRECT
    assert _ip(DIRECT) == DIRECT


def test_through_the_proxy_the_address_it_appended_is_the_client():
    assert _ip(PROXY, "198.51.100.20") == "198.51.100.20"
    # What the client wrote left of it is not believed.
    assert _ip(PROXY, "127.0.0.1, 198.51.100.20") == "198.51.100.20"


def test_it_walks_from_the_right_over_every_trusted_proxy():
    assert _ip(PROXY, "198.51.100.20, 10.1.0.9") == "198.51.100.20"
    assert _ip(PROXY, "127.0.0.1, 198.51.100.20, 10.1.0.9, 10.1.0.7") == "198.51.100.20"
    # Only proxies: the farthest of them.
    assert _ip(PROXY, "10.1.0.9") == "10.1.0.9"
    assert _ip(PROXY, "") == PROXY


def test_a_hop_that_is_no_address_stops_the_walk_at_the_last_proxy():
    assert _ip(PROXY, "not-an-address, 10.1.0.9") == "10.1.0.9"
    assert _ip(PROXY, "garbage") == PROXY


def test_addresses_are_normalised():
    assert _ip("::ffff:203.0.113.7") == DIRECT
    assert _ip(PROXY, " 2001:DB8::1 ") == "2001:db8::1"
    assert _ip("") is None


def test_a_direct_client_cannot_read_metrics_by_claiming_localhost(client):
    assert client.get("/metrics", REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_FOR="::1").status_code == 404
    # The proxy forwarding a local client is believed (nginx itself refuses /metrics: deploy/nginx).
    assert client.get("/metrics", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


def _login(client, password, *, remote: str, forwarded: str, username: str = "clerk"):
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_a_direct_client_cannot_dodge_the_lock_out_with_a_new_address_each_try(client, clerk):
    statuses = [
        _login(client, "wrong-password", remote=DIRECT, forwarded=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    assert _login(client, PASSWORD, remote=DIRECT, forwarded="198.51.100.99").status_code == 429


def test_through_the_proxy_each_client_is_counted_apart(client, clerk):
    for _ in range(5):
        _login(client, "wrong-password", remote=PROXY, forwarded="198.51.100.1")

    assert _login(client, PASSWORD, remote=PROXY, forwarded="198.51.100.1").status_code == 429
    assert _login(client, PASSWORD, remote=PROXY, forwarded="198.51.100.2").status_code == 302


def test_a_direct_client_cannot_write_its_address_into_the_audit_log(client, clerk):
    assert _login(client, PASSWORD, remote=DIRECT, forwarded="198.51.100.66").status_code == 302

    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert entry.ip == DIRECT


def test_forwarded_proto_counts_only_from_a_trusted_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True

    direct = client.get("/login/", REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_PROTO="https")
    proxied = client.get("/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")

    assert direct.status_code == 301 and direct["Location"].startswith("https://")
    assert proxied.status_code == 200


def _settings_start(**variables) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TRUSTED_PROXY_COUNT", "BEHIND_PROXY", "TRUSTED_PROXIES"}
    }
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "newborn_enroll.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_old_proxy_count_is_refused_at_start_up_with_what_to_set_instead():
    done = _settings_start(TRUSTED_PROXY_COUNT="1")

    assert done.returncode != 0
    assert "TRUSTED_PROXY_COUNT is no longer read" in done.stderr
    assert "TRUSTED_PROXIES" in done.stderr


def test_behind_proxy_without_the_proxies_addresses_is_refused_at_start_up():
    refused = _settings_start(BEHIND_PROXY="1")
    started = _settings_start(BEHIND_PROXY="1", TRUSTED_PROXIES="10.0.0.5,10.1.0.0/24")
    malformed = _settings_start(TRUSTED_PROXIES="10.0.0.300")

    assert refused.returncode != 0 and "BEHIND_PROXY=1 needs TRUSTED_PROXIES" in refused.stderr
    assert started.returncode == 0, started.stderr
    assert malformed.returncode != 0 and "'10.0.0.300' is not an IP address or network" in malformed.stderr
