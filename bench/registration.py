"""Registration through gunicorn on PostgreSQL (issue 7, item 3).

Run: .venv/bin/python bench/registration.py          (`make bench` runs it)

A database bench_registration (or BENCH_PG_DATABASE) is created at BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrated, loaded with the shipped Guangxi divisions, given a
hospital, an agency and 8 clerks with granted access, then served by gunicorn (DEBUG=0, not production,
persistent database connections) with the bench-only site bench/bench_site: the product's URLs plus
/bench/ping, a minimal view behind the same login.

Every client is a keep-alive HTTP connection with its own session: it logs in through /login/ and takes the
CSRF token of /register/ once, then posts the registration form of twins (no uploads) as a browser does,
each post with a new mother ID and a new request_key.

(a) One client, sequentially: the median of /bench/ping and of the registration POST, alternated.
    Target: the POST's median <= 5x the ping's, reached with Django's public ORM (issue 13: the ratio is
    never a reason for private API or a custom database backend).
(b) 8 clients at once for DURATION seconds. Targets: >= 100 registrations per second, no errors; every
    302 to the done page is in the database exactly once, with its two newborns, and no temporary ID or
    personal number is issued twice.

gunicorn is stopped and the database dropped at the end. Exits 1 when a target is missed.
BENCH_GUNICORN_ARGS overrides the worker options (default: one worker per core, --workers 2 on a 2-core
machine: the bench's clients and PostgreSQL share the cores with gunicorn, and on the 2-core machine of
docs/performance.md two workers made more registrations a second than three or four).
"""

import http.client
import io
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from http.cookies import SimpleCookie
from itertools import count
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench_registration")
GUNICORN_ARGS = shlex.split(os.environ.get("BENCH_GUNICORN_ARGS", f"--workers {os.cpu_count() or 1}"))
CLERKS = 8
SEQUENTIAL_ROUNDS = 200
WARM_UP = 20
DURATION = 10.0
RATIO_TARGET = 5.0
RATE_TARGET = 100.0
PASSWORD = "bench-pass-2026!"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DONE = re.compile(r"/register/done/(\d+)/$")

_mother_numbers = count()


def mother_id() -> str:
    """A distinct valid woman's resident ID on every call (thread-safe: count() is atomic under the GIL)."""
    from stdnum.cn.ric import calc_check_digit

    number = next(_mother_numbers)
    born = (date(1982, 1, 1) + timedelta(days=number % 6000)).strftime("%Y%m%d")
    body = f"450103{born}{(number // 6000) % 100:02d}2"  # even third digit of the order: a woman
    return body + calc_check_digit(body + "0")


class Client:
    """One clerk's keep-alive HTTP connection, cookies and CSRF token; redirects are not followed."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.reconnects = 0

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode(errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed the kept-alive connection: the POST is idempotent (its request_key).
                self.connection.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), text

    def login(self, username: str) -> None:
        status, _, html = self.request("GET", "/login/")
        token = CSRF.search(html).group(1)
        status, _, _ = self.request(
            "POST", "/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        if status != 302:
            raise SystemExit(f"login of {username} answered {status}")
        status, _, html = self.request("GET", "/register/")
        if status != 200:
            raise SystemExit(f"/register/ answered {status} to {username}")
        self.token = CSRF.search(html).group(1)

    def ping(self) -> float:
        started = time.perf_counter()
        status, _, _ = self.request("GET", "/bench/ping")
        elapsed = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"/bench/ping answered {status}")
        return elapsed

    def register(self, form: dict) -> tuple[float, int, int | None, str]:
        """(seconds, status, the new birth's pk or None, request_key)."""
        request_key = str(uuid.uuid4())
        data = dict(
            form, request_key=request_key, mother_id_number=mother_id(), csrfmiddlewaretoken=self.token
        )
        started = time.perf_counter()
        status, location, _ = self.request("POST", "/register/", data)
        elapsed = time.perf_counter() - started
        done = DONE.search(location) if status == 302 else None
        return elapsed, status, int(done.group(1)) if done else None, request_key


def twins_form(community) -> dict:
    """The registration form for twin girls, as the page posts it: tests/factories.register_post_data, the
    tests' own payload (no uploads: the scans are deferred, as the page allows); register() gives each
    post its mother ID and request key."""
    from registration.models import Sex
    from tests.factories import register_post_data

    born = date.today() - timedelta(days=5)
    return register_post_data(
        community=community,
        babies=[(Sex.FEMALE, born)] * 2,
        request_key=None,
        mother_name="覃小梅",
        mother_id_number=None,
        father_name="",
        father_id_number="",
    )


def django_setup(database_url: str, data_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newborn_enroll.settings"
    os.environ["DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def database_fill() -> tuple[list[str], object]:
    """Migrate, import Guangxi, and make a hospital, an agency and CLERKS granted clerks."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from registration.models import Division, Hospital, InsuranceAgency, Operator

    call_command("migrate", verbosity=0)
    call_command(
        "import_divisions",
        str(ROOT / "registration/data/divisions/guangxi"),
        no_progress=True,
        stdout=io.StringIO(),
    )
    county = Division.objects.get(code="450103")
    community = Division.objects.filter(level=Division.Level.VILLAGE, code__startswith="450103").order_by(
        "code"
    )[0]
    agency = InsuranceAgency.objects.create(code="450100", name="南宁市医疗保障事业管理中心")
    agency.divisions.add(Division.objects.get(code="4501"))
    hospital = Hospital.objects.create(
        code="H45010300001", name="南宁市第一人民医院", has_maternity_ward=True, division=county
    )
    from stdnum.cn.ric import calc_check_digit

    usernames = []
    for number in range(CLERKS):
        username = f"bench_clerk_{number}"
        body = f"45010319850{number + 1}01024"[:17]
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        Operator.objects.create(
            user=user,
            hospital=hospital,
            role=Operator.Role.CLERK,
            real_name="李经办",
            id_number=body + calc_check_digit(body + "0"),
            phone="13877112345",
            access=Operator.Access.GRANTED,
        )
        usernames.append(username)
    return usernames, community


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(database_url: str, data_dir: str, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("NEWBORN_ENROLL_PRODUCTION", None)
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=data_dir,
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="bench_site.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(BENCH_DIR)]),  # ROOT first: this file is not the app
    )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "newborn_enroll.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        *GUNICORN_ARGS,
    ]
    log = open(Path(data_dir) / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the temporary directory
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.2)
    gunicorn_stop(process)
    raise SystemExit("gunicorn did not answer within 60 s")


def gunicorn_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the arbiter stops its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sequential(port: int, username: str, form: dict) -> tuple[bool, list[int]]:
    client = Client(port)
    client.login(username)
    pings, posts, births, errors = [], [], [], 0
    for round_ in range(WARM_UP + SEQUENTIAL_ROUNDS):
        ping = client.ping()
        seconds, status, birth, _ = client.register(form)
        if birth is None:
            errors += 1
            print(f"  sequential registration answered {status}")
            continue
        births.append(birth)
        if round_ >= WARM_UP:
            pings.append(ping)
            posts.append(seconds)
    ping_ms, post_ms = statistics.median(pings) * 1000, statistics.median(posts) * 1000
    ratio = post_ms / ping_ms
    ok = ratio <= RATIO_TARGET and errors == 0
    print(
        f"sequential, {SEQUENTIAL_ROUNDS} rounds: /bench/ping median {ping_ms:.2f} ms, registration POST "
        f"(twins) median {post_ms:.2f} ms (p95 {sorted(posts)[int(0.95 * len(posts))] * 1000:.2f} ms), "
        f"ratio {ratio:.2f}x (target <= {RATIO_TARGET:g}x), errors {errors} {'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok, births


def concurrent(port: int, usernames: list[str], form: dict) -> tuple[bool, list[tuple[int, str]]]:
    clients = [Client(port) for _ in usernames]
    for client, username in zip(clients, usernames, strict=True):
        client.login(username)
    start = threading.Barrier(len(clients) + 1)
    results: list[list] = [[] for _ in clients]
    failures: list[str] = []

    def run(index: int) -> None:
        start.wait()
        deadline = time.perf_counter() + DURATION
        while time.perf_counter() < deadline:
            try:
                results[index].append(clients[index].register(form))
            except Exception as error:  # noqa: BLE001 - counted and printed as an error
                failures.append(repr(error))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    outcomes = [outcome for per_client in results for outcome in per_client]
    successes = [(birth, key) for _, _, birth, key in outcomes if birth is not None]
    errors = len(outcomes) - len(successes) + len(failures)
    statuses = Counter(status for _, status, birth, _ in outcomes if birth is None)
    rate = len(successes) / elapsed
    latencies = sorted(seconds for seconds, *_ in outcomes)
    ok = rate >= RATE_TARGET and errors == 0
    print(
        f"{len(clients)} concurrent clients, {elapsed:.1f} s: {len(successes)} registrations, "
        f"{rate:.1f}/s (target >= {RATE_TARGET:g}/s), "
        f"latency p50 {latencies[len(latencies) // 2] * 1000:.1f} ms "
        f"p95 {latencies[int(0.95 * len(latencies))] * 1000:.1f} ms, errors {errors} (target 0)"
        f"{' ' + str(dict(statuses)) if statuses else ''}{' ' + str(failures[:3]) if failures else ''}, "
        f"reconnects {sum(c.reconnects for c in clients)} {'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok, successes


def database_check(sequential_births: list[int], successes: list[tuple[int, str]]) -> bool:
    """Every success once in the database with its twins; no temporary ID or personal number twice."""
    from registration.models import Birth, Newborn

    problems = []
    births = sequential_births + [birth for birth, _ in successes]
    if len(set(births)) != len(births):
        problems.append("two successes answered with the same birth")
    stored = dict(Birth.objects.filter(pk__in=births).values_list("pk", "request_key"))
    if set(stored) != set(births):
        problems.append(f"{len(set(births) - set(stored))} answered births are not in the database")
    for birth, key in successes:
        if str(stored.get(birth)) != key:
            problems.append(f"birth {birth} does not carry its request_key {key}")
            break
    keys = Counter(str(key) for key in Birth.objects.values_list("request_key", flat=True))
    if keys and keys.most_common(1)[0][1] > 1:
        problems.append("a request_key is stored twice")
    if Birth.objects.count() != len(births):
        problems.append(f"{Birth.objects.count()} births stored for {len(births)} successes")
    newborns = list(Newborn.objects.values_list("birth_id", "temp_id", "personal_number"))
    per_birth = Counter(birth for birth, _, _ in newborns)
    if any(per_birth[birth] != 2 for birth in births):
        problems.append("a registration of twins does not have two newborns")
    for label, values in (
        ("temporary ID", [t for _, t, _ in newborns]),
        ("personal number", [p for *_, p in newborns]),
    ):
        if None in values or len(set(values)) != len(values):
            problems.append(f"a {label} is missing or repeated")
    ok = not problems
    print(
        f"database: {len(births)} births, {len(newborns)} newborns, "
        f"{len({t for _, t, _ in newborns})} temporary IDs, "
        f"{len({p for *_, p in newborns})} personal numbers: "
        f"{'ok' if ok else 'MISSED: ' + '; '.join(problems)}",
        flush=True,
    )
    return ok


def quiet_start() -> None:
    """Write out what the server still holds of earlier work (this fill, a bench before this one: make
    bench runs the national import just before), so that its checkpoint does not land in the timed part.
    CHECKPOINT needs a superuser or pg_checkpoint; without either the bench goes on as it is."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"  (no CHECKPOINT before measuring: {error})")
    time.sleep(2)


def measure(url: str) -> bool:
    print(f"gunicorn {' '.join(GUNICORN_ARGS)}, {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_registration_") as data_dir:
        django_setup(url, data_dir)
        from django.db import connections

        usernames, community = database_fill()
        form = twins_form(community)
        quiet_start()
        connections.close_all()
        process = gunicorn_start(url, data_dir, free_port())
        try:
            port = int(process.args[process.args.index("--bind") + 1].rsplit(":", 1)[1])
            sequential_ok, sequential_births = sequential(port, usernames[0], form)
            concurrent_ok, successes = concurrent(port, usernames, form)
        finally:
            gunicorn_stop(process)
            errors = [
                line
                for line in (Path(data_dir) / "gunicorn.log").read_text().splitlines()
                if "AXES" not in line
            ]
            if errors:
                print("gunicorn's log (without django-axes' lines):\n  " + "\n  ".join(errors[-20:]))
        database_ok = database_check(sequential_births, successes)
        connections.close_all()
        return sequential_ok and concurrent_ok and database_ok


def main() -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from fresh_database import fresh_database_run

    return fresh_database_run(PG_URL, PG_DATABASE, measure)


if __name__ == "__main__":
    sys.exit(main())
