"""gunicorn's settings for one node (deploy/systemd/newborn-enroll.service; make test-cluster uses it too).

Values come from the environment so that one file serves every node: NEWBORN_BIND (address:port),
GUNICORN_WORKERS. With PROMETHEUS_MULTIPROC_DIR set (it must be with more than one worker:
docs/deployment.md), the directory is emptied when gunicorn starts and an exited worker's live gauges
are dropped; its counters stay counted.
"""

import os
from pathlib import Path

bind = os.environ.get("NEWBORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# A batch of 100 cards takes a few seconds; an upload of every scan at the size limit a few more.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Workers are recycled now and then: WeasyPrint's caches grow with every distinct font and text.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# nginx forwards the client's address; the app trusts exactly one proxy (TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        if workers > 1:
            server.log.warning("PROMETHEUS_MULTIPROC_DIR is not set: /metrics shows one worker's counts only")
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
