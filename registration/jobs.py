"""One run at a time of a scheduled job across every node: a PostgreSQL session-level advisory lock.

Every node's timer may start void_expired or clean_staging at the same minute. The first run takes the
job's advisory lock (pg_try_advisory_lock, without waiting); the others find it taken, say that the job runs
elsewhere and exit 0, so no timer is marked failed. The lock belongs to the database session: it is released
when the run ends, and by PostgreSQL itself when a run dies with its connection. SQLite has one machine and
serialises its writers, so there no lock is taken.
"""

import zlib
from contextlib import contextmanager

from django.db import DatabaseError, connection

from registration import metrics

# A fixed first key for this application's locks, so that they never meet another program's on the same
# database; the second is the job's name's CRC-32 (stable across processes and Python versions).
LOCK_NAMESPACE = 0x4E42  # "NB"


def lock_key(job: str) -> tuple[int, int]:
    return LOCK_NAMESPACE, zlib.crc32(job.encode()) - 2**31  # int4 range


@contextmanager
def single_run(job: str):
    """Yields True when this process runs `job` (holding its lock until the block ends), else False."""
    locked = connection.vendor == "postgresql"
    if locked:
        first, second = lock_key(job)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [first, second])
            (acquired,) = cursor.fetchone()
        if not acquired:
            metrics.job_counted(job, "elsewhere")
            yield False
            return
    try:
        yield True
    except BaseException:
        metrics.job_counted(job, "failed")
        raise
    else:
        metrics.job_counted(job, "ok")
    finally:
        if locked:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [first, second])
            except DatabaseError:
                pass  # the connection is gone, and the lock with it
