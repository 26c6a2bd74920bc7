"""A bench's own PostgreSQL database, created afresh at BENCH_PG_URL's server and dropped at the end
(bench/registration.py, bench/sms.py). Not a bench itself: bench/run.py leaves it out."""

from collections.abc import Callable


def fresh_database_run(pg_url: str, database: str, measure: Callable[[str], bool]) -> int:
    """Drop and create `database` beside pg_url's, run measure(its URL), drop it; the exit code: 0 when
    measure met its targets, 1 when it missed one or PostgreSQL does not answer."""
    import psycopg

    try:
        admin = psycopg.connect(pg_url, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"PostgreSQL does not answer at {pg_url} ({error}): this bench needs it")
        return 1
    admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {database}")
    try:
        return 0 if measure(pg_url.rsplit("/", 1)[0] + "/" + database) else 1
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()
