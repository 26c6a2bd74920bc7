"""/healthz, /readyz and /metrics: answered before sessions, authentication or host checks run.

/healthz says the process answers (nothing else is checked). /readyz says this node can serve: the database
answers, the file storage (the filesystem or the object store) writes, reads back and deletes a probe object,
the card font is there and HarfBuzz subsets it. Both need no login, open no session, read no family's data
and set no cookie: a load balancer or monitor calls them every few seconds. /metrics is the Prometheus
exposition (registration/metrics.py) for the addresses in METRICS_ALLOWED_IPS; every other address gets
the same 404 as a page that does not exist.
"""

import io
import logging
import threading
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound

logger = logging.getLogger(__name__)

HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")
PROBE_FOLDER = "health"
SUBSET_PROBE_TEXT = "新生儿预参保登记"

_subset_ok = False
_subset_lock = threading.Lock()


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 did not return 1")


def check_storage() -> None:
    """The storage probe, answered within READYZ_STORAGE_TIMEOUT whatever the store does.

    A hung object store holds a call for the client's timeouts and retries (settings, NEWBORN_S3_*); the
    probe runs in a thread of its own, and /readyz says "storage fail" once its bound has passed. The
    thread ends by itself when the client's timeouts do.
    """
    outcome: list[BaseException | None] = []

    def probe():
        try:
            _storage_probe()
        except BaseException as exc:  # handed to the request's thread
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=probe, name="readyz-storage", daemon=True)
    worker.start()
    worker.join(settings.READYZ_STORAGE_TIMEOUT)
    if not outcome:
        raise TimeoutError(f"no answer from the file storage within {settings.READYZ_STORAGE_TIMEOUT} s")
    if outcome[0] is not None:
        raise outcome[0]


def _storage_probe() -> None:
    """Write a probe object, read it back, delete it (a name of its own: nodes probe at the same time)."""
    payload = uuid.uuid4().bytes
    name = default_storage.save(f"{PROBE_FOLDER}/probe-{uuid.uuid4().hex}", ContentFile(payload))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise RuntimeError("the probe object read back differs from what was written")
    finally:
        default_storage.delete(name)
    if default_storage.exists(name):
        raise RuntimeError("the probe object is still there after its deletion")


def check_font() -> None:
    from cards.services import shipped_font_files

    for path in shipped_font_files().values():
        with path.open("rb") as handle:
            if len(handle.read(4)) != 4:
                raise RuntimeError(f"the card font {path.name} is empty")


def check_subsetting() -> None:
    """A PDF with the card font must embed a HarfBuzz subset of it; proven once per process."""
    global _subset_ok
    if _subset_ok:
        return
    from weasyprint.text import ffi

    if ffi.harfbuzz_subset is None:
        raise RuntimeError("WeasyPrint finds no libharfbuzz-subset")
    with _subset_lock:
        if _subset_ok:
            return
        from pypdf import PdfReader

        from cards.services import FONT_FAMILY, card_style, html_to_pdf, shipped_font_files

        html = (
            f'<!doctype html><html lang="zh-CN"><body><p style="font-family: \'{FONT_FAMILY}\'">'
            f"{SUBSET_PROBE_TEXT}</p></body></html>"
        )
        pdf = html_to_pdf(html, card_style())
        fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
        full_size = min(path.stat().st_size for path in shipped_font_files().values())
        for font in (ref.get_object() for ref in fonts):
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            embedded = descriptor["/FontFile2"].get_object().get_data()
            if FONT_FAMILY.replace(" ", "-") in font["/BaseFont"] and len(embedded) < full_size // 10:
                _subset_ok = True
                return
        raise RuntimeError("the PDF does not embed a subset of the card font")


READINESS_CHECKS = {
    "database": check_database,
    "storage": check_storage,
    "font": check_font,
    "subsetting": check_subsetting,
}


def readiness() -> tuple[bool, list[str]]:
    ok = True
    lines = []
    for name, check in READINESS_CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure makes the node unready; the log has the details
            ok = False
            logger.warning("readiness check %s failed: %s", name, exc, exc_info=True)
            lines.append(f"{name} fail {type(exc).__name__}")
        else:
            lines.append(f"{name} ok {time.monotonic() - started:.3f}s")
    return ok, lines


def _plain(text: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def healthz(request) -> HttpResponse:
    return _plain("ok\n")


def readyz(request) -> HttpResponse:
    ok, lines = readiness()
    return _plain("\n".join([("ready" if ok else "not ready"), *lines]) + "\n", status=200 if ok else 503)


def metrics_view(request) -> HttpResponse:
    from registration import metrics
    from registration.http import client_ip

    if client_ip(request) not in settings.METRICS_ALLOWED_IPS:
        return HttpResponseNotFound("<h1>Not Found</h1>")
    body, content_type = metrics.exposition()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


VIEWS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class HealthMiddleware:
    """Answers the three paths for GET and HEAD before any other middleware (no session, no cookie)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = VIEWS.get(request.path_info)
        if view is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        return view(request)
