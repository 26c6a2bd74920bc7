"""A PostgreSQL standby promoted while registrations run (issue 17, item 4).

Two new clusters on the test's own ports, never the machine's main one: a primary made with initdb, and its
hot standby made with `pg_basebackup -R` (streaming replication, synchronous: a commit returns once the
standby has the WAL). One gunicorn node has DATABASE_URL listing both hosts with
target_session_attrs=read-write. A client registers births one after another, each with its own request
key, retrying a failed submit with the same key as the page does; meanwhile the primary is stopped as if it
crashed (immediate mode) and the standby promoted. Afterwards every acknowledged registration is on the new
primary, none twice, and the last ones were acknowledged after the promotion: the app reconnected.
"""

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
import requests

from tests import processes

pytestmark = pytest.mark.cluster

REGISTRATIONS = 30
PROMOTE_AFTER = 8
DEADLINE_S = 240
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def pg_bin() -> Path:
    if (PG_BIN / "initdb").exists():
        return PG_BIN
    found = shutil.which("initdb")
    if not found:
        pytest.fail("the standby test needs PostgreSQL's initdb, pg_ctl and pg_basebackup (postgresql-15)")
    return Path(found).resolve().parent


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's server programs refuse to run as root: as root, run them as the postgres user."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def run(command: list[str], *, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done


class Server:
    def __init__(self, name: str, directory: Path, port: int):
        self.name, self.data, self.port = name, directory / name, port
        self.socket_dir = directory
        self.log = directory / f"{name}.log"

    def start(self) -> None:
        run(
            as_postgres(
                [
                    str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                    "-o", f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1",
                    "start",
                ]
            ),
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            as_postgres(
                [str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"]
            ),
            capture_output=True,
            timeout=90,
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def postgres_owned_directory() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="newborn-standby-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
    directory.chmod(0o755)
    return directory


def seed(environment: dict[str, str]) -> int:
    """The clerk and the Nanning divisions on the primary; returns the community's primary key."""
    code = """
from django.contrib.auth.hashers import make_password
import django
django.setup()
from tests import factories
from registration.models import Division
factories.division_chain()
factories.agency_make()
user = factories.operator_make().user
user.password = make_password(factories.PASSWORD, hasher="pbkdf2_sha256")
user.save(update_fields=["password"])
print(Division.objects.get(code="450103001001").pk)
"""
    done = run([sys.executable, "-c", code], env=environment, cwd=processes.ROOT, timeout=300)
    return int(done.stdout.strip().splitlines()[-1])


def mother_id(number: int) -> str:
    from tests.factories import id_number

    return id_number(born="19910101", order=f"{100 + 2 * number:03d}")


class Registrar:
    """A clerk's browser reduced to HTTP: log in, register births, retry each with its request key."""

    def __init__(self, url: str, community: int):
        self.url, self.community = url, community
        self.session = requests.Session()
        self.acknowledged: dict[str, int] = {}  # request key -> birth pk, in the order acknowledged
        self.acknowledged_at: dict[str, float] = {}
        self.failures: list[str] = []
        self.stop = threading.Event()

    def _csrf(self, path: str) -> str:
        page = self.session.get(self.url + path, timeout=30)
        page.raise_for_status()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def login(self) -> None:
        from tests.factories import PASSWORD

        token = self._csrf("/login/")
        response = self.session.post(
            self.url + "/login/",
            data={"csrfmiddlewaretoken": token, "username": "clerk", "password": PASSWORD},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:500]

    def form(self, number: int, key: str, token: str) -> dict:
        from tests.factories import register_post_data

        # A mother of her own per registration and no father: a parent shared with an earlier registration
        # would make it a possible duplicate, a warning to confirm.
        return register_post_data(
            community=self.community,
            csrfmiddlewaretoken=token,
            request_key=key,
            mother_id_number=mother_id(number),
            father_name="",
            father_id_number="",
        )

    def register(self, number: int, deadline: float) -> None:
        key = str(uuid.uuid4())
        while time.monotonic() < deadline and not self.stop.is_set():
            try:
                token = self._csrf("/register/")
                response = self.session.post(
                    self.url + "/register/",
                    data=self.form(number, key, token),
                    timeout=30,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                self.failures.append(f"{number}: {type(exc).__name__}")
            else:
                done = re.search(r"/register/done/(\d+)/$", response.headers.get("Location", ""))
                if response.status_code == 302 and done:
                    self.acknowledged[key] = int(done.group(1))
                    self.acknowledged_at[key] = time.monotonic()
                    return
                self.failures.append(f"{number}: HTTP {response.status_code}")
                if response.status_code == 400:
                    raise AssertionError(f"registration {number} refused: {response.text[:2000]}")
            time.sleep(0.3)  # the page's retry: the same request key

    def run(self, deadline: float) -> None:
        for number in range(REGISTRATIONS):
            self.register(number, deadline)


def test_a_standby_promoted_while_registrations_run_has_every_acknowledged_one_once(tmp_path):
    directory = postgres_owned_directory()
    port_primary, port_standby, port_node = processes.free_ports(3)
    primary = Server("primary", directory, port_primary)
    standby = Server("standby", directory, port_standby)
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, directory, ignore_errors=True)
        run(as_postgres([str(pg_bin() / "initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust",
                         "-E", "UTF8", "--locale=C.UTF-8"]))  # fmt: skip
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 5\nwal_keep_size = 64MB\n")
        cleanup.callback(primary.stop, "immediate")
        primary.start()
        with psycopg.connect(primary.url(), autocommit=True) as connection:
            connection.execute("CREATE DATABASE newborn")

        base = {key: value for key, value in os.environ.items() if not key.startswith(("NEWBORN_", "AWS_"))}
        base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        base.update({"DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1", "DEBUG": "0"})
        run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            env={**base, "DATABASE_URL": primary.url("newborn")},
            cwd=processes.ROOT,
            timeout=600,
        )
        community = seed({**base, "DATABASE_URL": primary.url("newborn")})

        basebackup = [str(pg_bin() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(port_primary)]
        basebackup += ["-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast"]
        run(as_postgres(basebackup), timeout=300)
        cleanup.callback(standby.stop, "fast")
        standby.start()
        with psycopg.connect(primary.url(), autocommit=True) as connection:
            # Synchronous streaming replication from now on: a commit is acknowledged once the standby has
            # its WAL (the standby's own copy of the settings, taken before, has none: once promoted, it
            # does not wait for a standby of its own).
            connection.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            connection.execute("SELECT pg_reload_conf()")
            processes.wait_for(
                lambda: (
                    connection.execute(
                        "SELECT count(*) FROM pg_stat_replication"
                        " WHERE state = 'streaming' AND sync_state = 'sync'"
                    ).fetchone()[0]
                    == 1
                ),
                timeout=60,
                what="the standby streaming synchronously",
            )
        with psycopg.connect(standby.url(), autocommit=True) as connection:
            assert connection.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True

        database_url = (
            f"postgres://postgres@127.0.0.1:{port_primary},127.0.0.1:{port_standby}/newborn"
            "?target_session_attrs=read-write&connect_timeout=3"
        )
        node_log = tmp_path / "node.log"
        node = processes.start(
            [str(processes.VENV_BIN / "gunicorn"), "-c", str(processes.ROOT / "deploy" / "gunicorn.conf.py"),
             "newborn_enroll.wsgi"],
            log=node_log,
            env={**base, "DATABASE_URL": database_url, "NEWBORN_BIND": f"127.0.0.1:{port_node}",
                 "GUNICORN_WORKERS": "2", "GUNICORN_TIMEOUT": "60"},
        )  # fmt: skip
        cleanup.callback(processes.stop, node, timeout=30)
        node_url = f"http://127.0.0.1:{port_node}"
        processes.wait_for(
            lambda: processes.http_get(node_url + "/readyz", timeout=30)[0] == 200,
            timeout=180,
            what="the node's /readyz",
            process=node,
            log=node_log,
        )

        registrar = Registrar(node_url, community)
        registrar.login()
        deadline = time.monotonic() + DEADLINE_S
        errors = []

        def drive():
            try:
                registrar.run(deadline)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=drive)
        thread.start()
        cleanup.callback(thread.join, 60)
        cleanup.callback(registrar.stop.set)
        processes.wait_for(
            lambda: len(registrar.acknowledged) >= PROMOTE_AFTER or errors or not thread.is_alive(),
            timeout=120,
            what=f"{PROMOTE_AFTER} registrations before the failover",
        )
        # The primary goes away mid-run, without a clean shutdown, and the standby takes over.
        primary.stop("immediate")
        promoted_at = time.monotonic()
        run(as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(standby.data), "-w", "-t", "60", "promote"]))
        thread.join(DEADLINE_S + 30)
        assert not thread.is_alive(), "the registrations did not finish in time"
        assert not errors, errors

        assert len(registrar.acknowledged) == REGISTRATIONS, registrar.failures
        after = [key for key, at in registrar.acknowledged_at.items() if at > promoted_at]
        assert after, "no registration was acknowledged after the promotion"
        with psycopg.connect(standby.url("newborn"), autocommit=True) as connection:
            assert connection.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
            rows = connection.execute(
                "SELECT request_key::text, id FROM registration_birth WHERE request_key IS NOT NULL"
            ).fetchall()
            per_mother = connection.execute(
                "SELECT parent_id, count(*) FROM registration_birth GROUP BY 1 HAVING count(*) > 1"
            ).fetchall()
        stored = dict(rows)
        assert len(rows) == len(stored)  # no request key twice
        assert stored == registrar.acknowledged  # every acknowledged one, with the id the clerk was shown
        assert per_mother == []  # no mother registered twice
        print(
            f"\nfailover: {len(registrar.acknowledged)} registrations acknowledged, {len(after)} after the "
            f"promotion; {len(registrar.failures)} failed attempts retried: {registrar.failures[:10]}"
        )
