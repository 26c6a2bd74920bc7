"""Garbage posted to every form of the app answers with a 4xx or a page with a Chinese message, never a 500.

The URLs come from the resolver and the field names from each page's own HTML, so a form added later is
covered without anyone remembering to add it here. Nothing garbage is ever saved.
"""

import re
from urllib.parse import quote_from_bytes

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from registration.models import AuditEntry, Birth, Newborn, Operator, Payment
from tests.security.conftest import World
from tests.security.test_scope import NOT_HOSPITAL_SCOPED, Route, kwargs_builder

FIELD_NAME = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname=["']([^"']+)["']""")
FILE_FIELD = re.compile(r"""<input\b[^>]*\btype=["']file["'][^>]*\bname=["']([^"']+)["']""")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Names every form of this app might use, for pages that only take a POST (no form to read them from).
COMMON_FIELDS = (
    "reason", "paid_on", "years", "receipt_number", "amount", "real_name", "real_id_number", "special_group",
    "category", "file", "digest", "confirm", "access", "real_name", "id_number", "phone", "remark", "action",
    "username", "password", "page", "date", "ids", "q", "query", "hospital",
)  # fmt: skip
BAD_UTF8 = quote_from_bytes(b"\xed\xa0\x80\xff")  # an encoded lone surrogate, then a stray byte
CHANGES = ["register", "update", "payment", "formalize", "void", "import", "access"]
HUGE = "我" * 200_000
VALUES = {
    "huge": HUGE,
    "control": "\x00\x01\x08\x1b[31m\x7f\r\n\t",
    "nul": "45010319900307002\x00X",
    "bad_date": "2026-02-30",
    "far_date": "99999-12-31",
    "negative": "-99999999999999999999999999",
    "float": "1e309",
    "nan": "NaN",
    "unicode": "\u202e\u200b\ufeff𠮷👶\U0010ffff\u0301",
    "markup": "'; DROP TABLE registration_newborn; --<script>alert(1)</script>{{ 7*7 }}",
    "empty": "",
    "spaces": "   \u3000  ",
}
REFUSED_EVERYWHERE = ("huge", "nul")
GARBAGE_FILES = {
    "empty": b"",
    "html_as_png": b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>",
    "truncated_pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog",
    "zip_bomb_like": b"PK\x03\x04" + b"\0" * 4096,
    "xlsx_garbage": b"PK\x05\x06" + b"\0" * 18,
    "binary": bytes(range(256)) * 64,
}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield Route(
                namespace + pattern.name, prefix + str(pattern.pattern), tuple(pattern.pattern.converters)
            )


def _routes():
    """Every named URL outside the Django admin (Django's own forms) whose arguments we can fill."""
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if route.name.startswith("admin:") or route.name in NOT_HOSPITAL_SCOPED and route.arguments:
            continue
        routes.append(route)
    return routes


ROUTES = _routes()


def _url(world: World, route: Route) -> str | None:
    if not route.arguments:
        return reverse(route.name)
    build = kwargs_builder(route)
    if build is None:
        return None  # test_scope fails for it: an object URL nobody mapped
    return reverse(route.name, kwargs=build(world.own))


def _fields(client, url: str) -> tuple[set[str], set[str]]:
    response = client.get(url)
    html = (
        response.content.decode(errors="replace")
        if response.get("Content-Type", "").startswith("text/html")
        else ""
    )
    names = set(FIELD_NAME.findall(html)) - {"csrfmiddlewaretoken"}
    return names | set(COMMON_FIELDS), set(FILE_FIELD.findall(html)) | {"file"}


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        assert CJK.search(response.content.decode(errors="replace")), f"{what}: a page without a Chinese word"


def _counts() -> tuple[int, ...]:
    return (Birth.objects.count(), Newborn.objects.count(), Payment.objects.count(), Operator.objects.count())


@pytest.mark.parametrize("role", ["supervisor", "administrator"])
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_it_answers_garbage_without_a_server_error(client, world: World, route, role):
    user = world.administrator if role == "administrator" else world.own.supervisor
    client.force_login(user)
    url = _url(world, route)
    if url is None:
        pytest.skip("no fixture mapping (tests/security/test_scope.py fails for it)")
    client.raise_request_exception = True  # a 500 fails here with its traceback
    fields, file_fields = _fields(client, url)
    before = _counts()
    last_entry = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # Values no field of any form may accept: nothing may be saved or audited as a change.
    for label in REFUSED_EVERYWHERE:
        _check(client.post(url, {field: VALUES[label] for field in fields}), f"POST {url} {label}")
    assert _counts() == before, f"{url}: garbage was saved"
    changes = AuditEntry.objects.filter(pk__gt=last_entry, action__in=CHANGES)
    assert not changes.exists(), f"{url}: garbage was audited as a change"

    # The rest may be valid free text somewhere (a void's reason may well read "'; DROP TABLE"): only
    # never a server error.
    for label, value in VALUES.items():
        _check(client.post(url, {field: value for field in fields}), f"POST {url} {label}")
        _check(client.get(url, {field: value[:2000] for field in fields}), f"GET {url} {label}")
    # Each field twice, with different values: a form expecting one value gets a list.
    _check(client.post(url, {field: ["1", "甲"] for field in fields}), f"POST {url} lists")
    # Invalid UTF-8 where a lone surrogate would be (Python strings cannot carry one over HTTP).
    body = "&".join(f"{field}={BAD_UTF8}" for field in fields)
    _check(
        client.generic("POST", url, body, content_type="application/x-www-form-urlencoded"),
        f"POST {url} utf-8",
    )
    for label, content in GARBAGE_FILES.items():
        data = {field: "1" for field in fields - file_fields}
        for field in file_fields:
            data[field] = SimpleUploadedFile(f"\x00../../{label}\u202e.png", content, "image/png")
        _check(client.post(url, data), f"POST {url} file {label}")
