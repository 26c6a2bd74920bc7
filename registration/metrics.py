"""Prometheus metrics, exposed at /metrics (newborn_enroll/health.py) to METRICS_ALLOWED_IPS only.

Counted in the process that does the work: requests (by view name, method and status) and their
latency, births and newborns registered, cards printed, job runs (void_expired, clean_staging, by outcome).

Several processes: gunicorn's workers (and the timers' `manage.py` runs) each count in their own memory,
and a scrape reaches one worker only. So with more than one process the counts must go through
prometheus_client's multiprocess mode: PROMETHEUS_MULTIPROC_DIR names a directory (emptied when gunicorn
starts, deploy/gunicorn.conf.py) in which every process keeps its counters as files, and /metrics adds up
every file, those of exited workers and job runs included. Counting from the database instead would give
totals of the whole cluster on every node (counted once per node by Prometheus) and has no request latency.
Without the variable (runserver, the tests, one worker) the process's own registry is exposed.
"""

import os
import time

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # A job's run may come before the first gunicorn start made the directory.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import (  # noqa: E402  (reads PROMETHEUS_MULTIPROC_DIR when imported)
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

REQUESTS = Counter(
    "newborn_http_requests_total",
    "HTTP requests answered, by view name, method and status",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "newborn_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REGISTRATIONS = Counter("newborn_registrations_total", "Births registered (one per submitted form)")
NEWBORNS_REGISTERED = Counter("newborn_newborns_registered_total", "Newborns registered (a twin birth: two)")
CARDS_PRINTED = Counter(
    "newborn_cards_printed_total", "Registration cards printed (in single and batch PDFs)"
)
JOB_RUNS = Counter(
    "newborn_job_runs_total",
    "Runs of the scheduled jobs; outcome is ok, failed, or elsewhere (another node held the job's lock)",
    ["job", "outcome"],
)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> tuple[bytes, str]:
    if multiprocess():
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def registration_counted(newborns: int) -> None:
    REGISTRATIONS.inc()
    NEWBORNS_REGISTERED.inc(newborns)


def cards_counted(cards: int) -> None:
    CARDS_PRINTED.inc(cards)


def job_counted(job: str, outcome: str) -> None:
    JOB_RUNS.labels(job=job, outcome=outcome).inc()


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"  # a 404 for an unknown path: the path itself would be an unbounded label
    return match.view_name or "unnamed"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        method = request.method if request.method in {"GET", "POST", "HEAD"} else "other"
        REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
        LATENCY.labels(view=view).observe(time.perf_counter() - started)
        return response
