"""A restarted database costs no request: kept connections are checked before use (CONN_HEALTH_CHECKS).

gunicorn (one sync worker, so one kept connection) serves the test database; between two requests the
test terminates every other connection to it, as a PostgreSQL restart does. Without the health check the
next request would run on the dead connection and answer 500. The registration page's retry with the same
request key then registers once.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from registration.models import Birth, Division
from tests import factories
from tests.security.test_load import DONE, Browser, _form

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(18400, 18450)  # this suite's range for servers of its own


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1} for gunicorn")


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "NEWBORN_ENROLL_PRODUCTION"}
    env.update(
        DATABASE_URL=_database_url(),
        DB_CONN_MAX_AGE="60",
        DATA_DIR=str(tmp_path),
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="newborn_enroll.settings",
    )
    log = tmp_path / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "newborn_enroll.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text()}")
                time.sleep(0.2)
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _kill_other_connections() -> int:
    """What a PostgreSQL restart does to the server's kept connections; returns how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_restarted_database_costs_no_request_and_a_retry_registers_once(server):
    base, log = server
    factories.division_chain()
    factories.agency_make()
    clerk = factories.operator_make().user
    # The tests' fast hasher is not among the server's: store the password with its default one.
    clerk.password = PBKDF2PasswordHasher().encode(factories.PASSWORD, PBKDF2PasswordHasher().salt())
    clerk.save(update_fields=["password"])
    community = Division.objects.get(code="450103001001").pk
    browser = Browser(base)
    browser.login("clerk")
    assert browser.request("/register/")[0] == 200  # the worker now keeps its connection

    assert _kill_other_connections() >= 1
    status, _, _ = browser.request("/register/")
    assert status == 200, log.read_text()

    request_key = str(uuid.uuid4())
    data = _form(community=community, mother=factories.MOTHER_ID, babies=1, request_key=request_key)
    data["csrfmiddlewaretoken"] = browser.form_token("/register/")
    assert _kill_other_connections() >= 1
    status, headers, _ = browser.request("/register/", data)
    assert status == 302, log.read_text()
    first = int(DONE.search(headers["Location"]).group(1))

    # The page's retry (a timeout, a double click) after another restart: the same birth, registered once.
    assert _kill_other_connections() >= 1
    status, headers, _ = browser.request("/register/", data)
    assert status == 302, log.read_text()
    assert int(DONE.search(headers["Location"]).group(1)) == first
    assert Birth.objects.filter(request_key=request_key).count() == 1
    assert Birth.objects.get(pk=first).newborns.count() == 1
    assert not re.search(r"Traceback|Error", log.read_text()), log.read_text()
