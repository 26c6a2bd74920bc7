"""A whole province over five years (issue 15): every page and export timed at 2 million records.

Run: .venv/bin/python bench/province.py [--newborns 2000000]     (`make bench-province`; not `make bench`)

Builds in PostgreSQL (database --database at BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
the province of bench/province_data.py: about 250 hospitals, --newborns records over five years with their
births, payments, scans' rows and about ten audit entries each, one big hospital of about 2 % of them.
Then, in this process through Django's test client (DEBUG off, one request at a time), it times every page
and export for a clerk and a supervisor of the big hospital and for an administrator: RUNS runs each after a
warm-up, the median, the p95 and the number of queries. Targets (issue 15, item 2):

- every page hospital staff open: p95 <= 150 ms; the same for an administrator and the Django admin's
  changelists with their searches: p95 <= 300 ms; the reports over three years of the province: <= 1 s;
- every XLSX export: at most 50 MB above the resident size before the request for 100,000 rows, streamed,
  at >= 20,000 rows a second;
- every part of the 医保中心's quality page (/quality/, docs/quality.md) over the longest period, the page,
  its export and a pair opened: <= 1 s; and its likely duplicates find every pair the builder seeded and no
  twins (bench/province_data.py, duplicates_seed);
- void_expired <= 5 s (run last: it voids the records whose last day was yesterday).

Exits 1 when a target is missed. The database is dropped at the end unless --keep; --reuse measures a
database an earlier --keep left (its size is read from it).
"""

import argparse
import gc
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
RUNS = 7
STAFF_TARGET = 0.150
ADMIN_TARGET = 0.300
PROVINCE_REPORT_TARGET = 1.0
EXPORT_MEMORY_TARGET = 50 * 1024 * 1024
EXPORT_RATE_TARGET = 20_000
EXPORT_ROWS = 100_000
VOID_TARGET = 5.0
BUILD_TARGET = 600.0
SLOW = 5.0


def django_setup(database_url: str, data_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newborn_enroll.settings"
    os.environ["DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


def build(newborns: int) -> float:
    from django.core.management import call_command
    from province_data import province_build

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command(
        "import_divisions",
        str(ROOT / "registration/data/divisions/guangxi"),
        no_progress=True,
        stdout=io.StringIO(),
    )
    print(f"  migrated, divisions imported ({time.monotonic() - started:.0f} s)", flush=True)
    province_build(newborns=newborns, say=lambda line: print(line, flush=True))
    return time.monotonic() - started


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """The process's peak resident size while the block runs, sampled every 5 ms."""

    def __enter__(self):
        self.start = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


def fetch(client, url: str) -> tuple[int, int]:
    """GET url, read the whole body (a streamed one too); (status, bytes)."""
    response = client.get(url)
    if response.streaming:
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        size = len(response.content)
    return response.status_code, size


def timed(client, url: str, runs: int = RUNS) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        status, _ = fetch(client, url)  # warm-up
        first = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"{url} answered {status}")
    if first > SLOW:  # far past any target: one run says enough, seven would take minutes
        return {"median": first, "p95": first, "queries": len(queries)}
    seconds = []
    for _ in range(runs):
        # Each request starts from a collected heap: this process holds every page measured before, and a
        # full collection of them (118 ms once, seen with gc.callbacks) would land in whichever request
        # crosses the collector's threshold. A worker serving pages holds far less (docs/performance.md).
        gc.collect()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fetch(client, url)
            seconds.append(time.perf_counter() - started)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return {"median": statistics.median(seconds), "p95": p95, "queries": len(queries)}


def facts() -> dict:
    """What the pages are asked for: the big hospital's users, a parent's ID, a name fragment, …"""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from province_data import BIG_HOSPITAL_CODE

    from registration.models import Birth, Hospital, Newborn

    User = get_user_model()
    hospital = Hospital.objects.get(code=BIG_HOSPITAL_CODE)
    births = Birth.objects.filter(hospital=hospital)
    old_birth = births.order_by("registered_at")[100]
    newborn = Newborn.objects.filter(birth=old_birth).first()
    province_newborn = Newborn.objects.exclude(birth__hospital=hospital).order_by("pk")[len("x") * 5000]
    formalized = Newborn.objects.filter(birth__hospital=hospital, state="formalized").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registration_newborn")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM registration_auditentry")
        audit = cursor.fetchone()[0]
    return {
        "hospital": hospital,
        "clerk": User.objects.get(username="clerk000"),
        "supervisor": User.objects.get(username="supervisor000"),
        "admin": User.objects.get(username="admin"),
        "newborn": newborn,
        "mother_id": old_birth.mother_id_number,
        "father_id": Birth.objects.filter(hospital=hospital)
        .exclude(father_id_number="")
        .first()
        .father_id_number,
        "province_mother_id": province_newborn.birth.mother_id_number,
        "temp_id": Newborn.objects.filter(birth__hospital=hospital, temp_id__isnull=False).first().temp_id,
        "personal_number": newborn.personal_number,
        "real_id": formalized.real_id_number,
        "name": newborn.name[1:3] if len(newborn.name) >= 3 else newborn.name,
        "surname": newborn.name[:1],
        "total": total,
        "audit": audit,
    }


def pages(f: dict, today) -> list[tuple[str, str, str, float]]:
    """(who, label, url, target) of every page measured."""
    from datetime import timedelta
    from urllib.parse import urlencode

    def q(path, **params):
        return f"{path}?{urlencode(params)}" if params else path

    year_ago = today - timedelta(days=365)
    three_years_ago = today - timedelta(days=3 * 366 - 1)
    month_ago = today - timedelta(days=29)
    lists = [
        ("home", "/"),
        ("records list", "/newborns/"),
        ("records, page 200", q("/newborns/", page=200)),
        ("records, last page", q("/newborns/", page="last")),
        ("records, name fragment", q("/newborns/", name=f["name"])),
        ("records, state registered", q("/newborns/", state="registered")),
        ("records, state void", q("/newborns/", state="void")),
        ("records, materials incomplete", q("/newborns/", materials="incomplete")),
        ("records, one-character surname", q("/newborns/", name=f["surname"])),
        ("records, born in a month", q("/newborns/", born_from=month_ago, born_to=today)),
        ("records, mother's ID", q("/newborns/", identity_number=f["mother_id"])),
        ("records, father's ID", q("/newborns/", identity_number=f["father_id"])),
        ("records, baby's own ID", q("/newborns/", identity_number=f["real_id"])),
        ("records, temporary ID", q("/newborns/", identity_number=f["temp_id"])),
        ("records, personal number", q("/newborns/", personal_number=f["personal_number"])),
        ("a record", f"/newborns/{f['newborn'].pk}/"),
        ("follow-up", "/followup/"),
    ]
    supervisor = [
        ("reports, 366 days by day", q("/reports/", date_from=year_ago, date_to=today, granularity="day")),
        (
            "reports, 1,098 days by week",
            q("/reports/", date_from=three_years_ago, date_to=today, granularity="week"),
        ),
        ("audit log", "/audit/"),
        ("audit, last page", q("/audit/", page="last")),
        ("audit, action print", q("/audit/", action="print")),
        ("audit, action formalize", q("/audit/", action="formalize")),
        ("audit, a user", q("/audit/", username="clerk000")),
        ("audit, a month", q("/audit/", date_from=month_ago, date_to=today)),
        ("audit, a record", q("/audit/", newborn=f["newborn"].pk)),
    ]
    admin_pages = [
        ("records, province mother's ID", q("/newborns/", identity_number=f["province_mother_id"])),
        ("records, a hospital's audit", q("/audit/", hospital=f["hospital"].pk)),
        ("admin newborns", "/admin/registration/newborn/"),
        ("admin newborns, name", q("/admin/registration/newborn/", q=f["name"])),
        (
            "admin newborns, state at page 50",
            q("/admin/registration/newborn/", state__exact="formalized", p=50),
        ),
        ("admin newborns, temporary ID", q("/admin/registration/newborn/", q=f["temp_id"])),
        ("admin newborns, parent's ID", q("/admin/registration/newborn/", q=f["mother_id"])),
        ("admin births", "/admin/registration/birth/"),
        ("admin births, parent's ID", q("/admin/registration/birth/", q=f["mother_id"])),
        ("admin births, name", q("/admin/registration/birth/", q=f["name"])),
        ("admin payments", "/admin/registration/payment/"),
        ("admin payments, personal number", q("/admin/registration/payment/", q=f["personal_number"])),
        ("admin audit entries", "/admin/registration/auditentry/"),
        ("admin audit, a user", q("/admin/registration/auditentry/", q="clerk000")),
    ]
    rows = [("clerk", label, url, STAFF_TARGET) for label, url in lists]
    rows += [("supervisor", label, url, STAFF_TARGET) for label, url in lists + supervisor]
    # An administrator's three-year report is the whole province's: it is measured once, below, against
    # the target the issue gives the province's reports over three years (1 s), not also against 300 ms.
    rows += [
        ("admin", label, url, ADMIN_TARGET)
        for label, url in lists + supervisor + admin_pages
        if label != "reports, 1,098 days by week"
    ]
    rows.append(
        (
            "admin",
            "reports, province, 1,098 days by week",
            q("/reports/", date_from=three_years_ago, date_to=today, granularity="week"),
            PROVINCE_REPORT_TARGET,
        )
    )
    return rows


def measure_pages(f: dict, runs: int = RUNS) -> list[str]:
    from django.test import Client
    from django.utils import timezone

    missed = []
    clients = {}
    for who in ("clerk", "supervisor", "admin"):
        clients[who] = Client()
        clients[who].force_login(f[who])
    print(f"{'user':<11}{'page':<42}{'median':>9}{'p95':>9}{'queries':>9}  target")
    for who, label, url, target in pages(f, timezone.localdate()):
        result = timed(clients[who], url, runs)
        ok = result["p95"] <= target
        if not ok:
            missed.append(f"{who} {label}: p95 {result['p95'] * 1000:.0f} ms > {target * 1000:.0f} ms")
        print(
            f"{who:<11}{label:<42}{result['median'] * 1000:>7.0f}ms{result['p95'] * 1000:>7.0f}ms"
            f"{result['queries']:>9}  {'ok' if ok else 'MISSED'} (p95 <= {target * 1000:.0f} ms)",
            flush=True,
        )
    return missed


QUALITY_TARGET = 1.0


def measure_quality(f: dict, runs: int = RUNS) -> list[str]:
    """Every part of the 医保中心's quality page (docs/quality.md) timed against 1 s, and its likely
    duplicates checked against the builder's seeded pairs (bench_seeded_pair): each one found, no twin."""
    from datetime import timedelta
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from registration.forms.quality import MAX_PERIOD_DAYS
    from registration.models import Newborn
    from registration.selectors.quality import duplicate_pairs, quality_report

    today = timezone.localdate()
    longest = today - timedelta(days=MAX_PERIOD_DAYS - 1)
    client = Client()
    client.force_login(f["admin"])
    missed = []

    def report(label: str, seconds: float, queries: int | str = "") -> None:
        ok = seconds <= QUALITY_TARGET
        if not ok:
            missed.append(f"admin {label}: {seconds * 1000:.0f} ms > {QUALITY_TARGET * 1000:.0f} ms")
        print(
            f"{'admin':<11}{label:<42}{'':>9}{seconds * 1000:>7.0f}ms{queries!s:>9}  "
            f"{'ok' if ok else 'MISSED'} (<= {QUALITY_TARGET * 1000:.0f} ms)",
            flush=True,
        )

    def selector(label: str, call) -> object:
        call()  # warm-up
        seconds = []
        for _ in range(max(1, runs // 2)):
            started = time.perf_counter()
            value = call()
            seconds.append(time.perf_counter() - started)
        report(label, max(seconds))
        return value

    period = {"date_from": longest, "date_to": today}
    pairs = selector(f"quality: duplicates, {MAX_PERIOD_DAYS} days", lambda: duplicate_pairs(**period))
    selector(
        f"quality: stale and figures, {MAX_PERIOD_DAYS} days",
        lambda: quality_report(**period, days=30, today=today),
    )
    first_pair = pairs[0] if pairs else None
    urls = [
        ("quality page, default 90 days", "/quality/"),
        (f"quality page, {MAX_PERIOD_DAYS} days", "/quality/?" + urlencode(period)),
        (
            f"quality page, {MAX_PERIOD_DAYS} days, by void share",
            "/quality/?" + urlencode({**period, "sort": "void_unpaid_share", "order": "desc"}),
        ),
        (f"quality export, {MAX_PERIOD_DAYS} days", "/quality/export.xlsx?" + urlencode(period)),
    ]
    if first_pair is not None:
        urls.append(
            ("quality: a pair opened", f"/quality/duplicates/{first_pair.key[0]}/{first_pair.key[1]}/")
        )
    for label, url in urls:
        result = timed(client, url, runs)
        report(label, result["p95"], result["queries"])

    # The check: every seeded pair born in the period found, and no pair of twins or triplets.
    with connection.cursor() as cursor:
        # A pair with a void record is handled, not listed: void_expired (run last) may have voided one
        # in an earlier run of a database kept with --keep.
        cursor.execute(
            "SELECT LEAST(original, duplicate), GREATEST(original, duplicate) FROM bench_seeded_pair "
            "WHERE birth_date BETWEEN %s AND %s AND NOT EXISTS (SELECT 1 FROM registration_newborn "
            "WHERE id IN (original, duplicate) AND state = 'void')",
            [longest, today],
        )
        seeded = {tuple(row) for row in cursor.fetchall()}
    found = {pair.key for pair in pairs}
    in_twins = set(
        Newborn.objects.filter(pk__in={pk for key in found for pk in key}, birth__newborns__birth_order=2)
        .values_list("pk", flat=True)
        .distinct()
    )
    twins_in_period = Newborn.objects.filter(birth_date__gte=longest, birth_order=2).count()
    missing = seeded - found
    print(
        f"quality check: {len(seeded):,} seeded pairs born in the period, {len(found):,} pairs found, "
        f"{len(missing):,} seeded not found, {len(in_twins):,} twins among them "
        f"({twins_in_period:,} twins and triplets born in the period)",
        flush=True,
    )
    if missing:
        missed.append(f"quality: {len(missing)} seeded pairs not found, e.g. {sorted(missing)[:3]}")
    if in_twins:
        missed.append(
            f"quality: {len(in_twins)} twins listed as likely duplicates, e.g. {sorted(in_twins)[:3]}"
        )
    if not seeded:
        missed.append("quality: no seeded pair in the period (the build is too small to check anything)")
    return missed


def measure_exports(f: dict) -> list[str]:
    from datetime import timedelta
    from urllib.parse import urlencode

    from django.test import Client
    from django.utils import timezone

    from registration.models import Newborn

    missed = []
    today = timezone.localdate()
    # The administrator's report export over as many days as hold EXPORT_ROWS records of the province.
    days, rows = 30, 0
    while rows < EXPORT_ROWS and days < 3 * 366:
        days += 10
        days = min(days, 3 * 366)  # the reports' longest period by week (a small province reaches it)
        rows = Newborn.objects.filter(birth__registered_on__gte=today - timedelta(days=days - 1)).count()
    exports = []
    for who, label, url in [
        ("supervisor", "reports export, 30 days", "/reports/export.xlsx?"),
        ("admin", f"reports export, {days} days", "/reports/export.xlsx?"),
        ("supervisor", "follow-up export", "/followup/export.xlsx"),
        ("admin", "follow-up export, province", "/followup/export.xlsx"),
    ]:
        if url.startswith("/reports"):
            span = 30 if "30 days" in label else days
            url += urlencode(
                {"date_from": today - timedelta(days=span - 1), "date_to": today, "granularity": "week"}
            )
        exports.append((who, label, url))
    print(f"{'user':<11}{'export':<42}{'rows':>9}{'seconds':>9}{'rows/s':>9}{'+MB':>7}  target")
    for who, label, url in exports:
        client = Client()
        client.force_login(f[who])
        from registration.models import AuditEntry

        # No warm-up: the pages before read the same rows, and one 100,000-row export is long enough.
        with PeakRss() as memory:
            started = time.perf_counter()
            status, size = fetch(client, url)
            seconds = time.perf_counter() - started
        entry = AuditEntry.objects.filter(action="export").order_by("-pk").first()
        count = entry.detail.get("rows", 0)
        rate = count / seconds if seconds else 0
        grown = memory.peak - memory.start
        ok_memory = grown <= EXPORT_MEMORY_TARGET * max(1, count / EXPORT_ROWS)
        ok_rate = count < 1000 or rate >= EXPORT_RATE_TARGET
        if status != 200 or not (ok_memory and ok_rate):
            missed.append(f"{who} {label}: {status}, {rate:.0f} rows/s, +{grown / 2**20:.0f} MB")
        print(
            f"{who:<11}{label:<42}{count:>9}{seconds:>9.2f}{rate:>9.0f}{grown / 2**20:>7.1f}  "
            f"{'ok' if ok_memory and ok_rate else 'MISSED'} (+50 MB per 100,000 rows, >= 20,000 rows/s)",
            flush=True,
        )
    return missed


def measure_void() -> list[str]:
    from django.core.management import call_command

    started = time.perf_counter()
    out = io.StringIO()
    call_command("void_expired", stdout=out)
    seconds = time.perf_counter() - started
    voided = out.getvalue().strip().splitlines()[-1]
    ok = seconds <= VOID_TARGET
    print(f"void_expired: {voided} in {seconds:.2f} s  {'ok' if ok else 'MISSED'} (<= {VOID_TARGET:.0f} s)")
    return [] if ok else [f"void_expired {seconds:.1f} s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--newborns", type=int, default=2_000_000)
    parser.add_argument("--database", default="bench_province")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="measure the database an earlier --keep left")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each page (default {RUNS})")
    args = parser.parse_args()
    import psycopg

    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"PostgreSQL does not answer at {PG_URL} ({error}): this bench needs it")
        return 1
    missed = []
    database_url = PG_URL.rsplit("/", 1)[0] + "/" + args.database
    if not args.reuse:
        admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {args.database}")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            django_setup(database_url, data_dir)
            print(f"PostgreSQL, {os.cpu_count()} cores; database {args.database}", flush=True)
            if not args.reuse:
                print(f"building a province of {args.newborns:,} newborns", flush=True)
                seconds = build(args.newborns)
                ok = seconds <= BUILD_TARGET
                print(f"built in {seconds:.0f} s  {'ok' if ok else 'MISSED'} (<= {BUILD_TARGET:.0f} s)")
                if not ok:
                    missed.append(f"build {seconds:.0f} s")
            if args.build_only:
                return 1 if missed else 0
            f = facts()
            print(f"{f['total']:,} newborns, {f['audit']:,} audit entries", flush=True)
            missed += measure_pages(f, args.runs)
            missed += measure_quality(f, args.runs)
            missed += measure_exports(f)
            missed += measure_void()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        admin.close()
    if missed:
        print("missed targets:\n  " + "\n  ".join(missed))
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
