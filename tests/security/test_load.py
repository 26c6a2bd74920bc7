"""Nothing lost under load: 8 clerks register at once through the real pages of a live server (PostgreSQL).

Each clerk is a separate HTTP client with its own session and CSRF token, posting the registration form as
a browser does. Mothers are shared between clerks, so their letters are contended; every clerk also
submits one form twice (a double click). Every response must be a success or a clear refusal, every
success must be in the database exactly once, and no number may be issued twice.
"""

import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from django.conf import settings
from django.utils import timezone

from registration.models import Birth, Division, IssuedTemporaryId, Newborn, Sex
from registration.services import next_suffix
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLERKS = 8
REGISTRATIONS_PER_CLERK = 12
MOTHERS = [factories.id_number(region="450103", born=f"199{n}0307", order=f"{n}42") for n in range(6)]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DONE = re.compile(r"/register/done/(\d+)/$")
ERROR_MESSAGE = re.compile(
    r'class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>\s*([^<]*[\u4e00-\u9fff][^<]*)'
)


@pytest.fixture(scope="session")
def _media_url_while_the_server_starts():
    # Django's live server reads MEDIA_URL once at its start and breaks on None (tests/e2e/conftest.py).
    original = settings.MEDIA_URL
    settings.MEDIA_URL = "http://media.invalid/"
    return original


@pytest.fixture(scope="session")
def live_server(_media_url_while_the_server_starts, live_server):
    settings.MEDIA_URL = _media_url_while_the_server_starts  # read already
    return live_server


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test reads each Location itself


class Browser:
    """One clerk's HTTP client: cookies, the CSRF token of the last page, no automatic redirects."""

    def __init__(self, base: str):
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(Request(self.base + path, data=body), timeout=60) as response:
                return response.status, dict(response.headers), response.read().decode()
        except HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def form_token(self, path: str) -> str:
        status, _, html = self.request(path)
        assert status == 200, (path, status)
        return CSRF.search(html).group(1)

    def login(self, username: str) -> None:
        token = self.form_token("/login/")
        status, headers, _ = self.request(
            "/login/", {"csrfmiddlewaretoken": token, "username": username, "password": factories.PASSWORD}
        )
        assert status == 302, f"login of {username}: {status}"


def _form(*, community: int, mother: str, babies: int, request_key: str) -> dict:
    born = timezone.localdate() - timedelta(days=5)
    return factories.register_post_data(
        community=community,
        babies=[(Sex.FEMALE, born)] * babies,
        request_key=request_key,
        mother_name="覃小梅",
        mother_id_number=mother,
        father_name="",
        father_id_number="",
        # No uploads (deferred), and the clerks confirm the warning that a mother's baby born that day is
        # registered already: the test wants her letters contended, as they are for twins registered one
        # at a time.
        confirmed_warnings="possible_duplicate",
    )


def _clerk_run(base: str, username: str, community: int, number: int, start: threading.Barrier) -> list[dict]:
    browser = Browser(base)
    browser.login(username)
    start.wait(timeout=60)
    outcomes = []
    for index in range(REGISTRATIONS_PER_CLERK):
        babies = 2 if index % 4 == 0 else 1
        request_key = str(uuid.uuid4())
        data = _form(
            community=community,
            mother=MOTHERS[(number + index) % len(MOTHERS)],
            babies=babies,
            request_key=request_key,
        )
        posts = 2 if index == 5 else 1  # a double click: the same form twice
        for _ in range(posts):
            data["csrfmiddlewaretoken"] = browser.form_token("/register/")
            status, headers, html = browser.request("/register/", data)
            done = DONE.search(headers.get("Location", "")) if status == 302 else None
            outcomes.append(
                {
                    "clerk": username,
                    "request_key": request_key,
                    "babies": babies,
                    "status": status,
                    "birth": int(done.group(1)) if done else None,
                    "message": (
                        ERROR_MESSAGE.search(html).group(1).strip()
                        if status == 200 and ERROR_MESSAGE.search(html)
                        else ""
                    ),
                }
            )
    return outcomes


def test_it_loses_nothing_with_eight_clerks_registering_at_once(live_server):
    factories.division_chain()
    factories.agency_make()
    hospital = factories.hospital_make()
    usernames = []
    for number in range(CLERKS):
        username = f"load_clerk_{number}"
        factories.operator_make(
            username=username, hospital=hospital, id_number=factories.id_number(born=f"1985010{number + 1}")
        )
        usernames.append(username)
    community = Division.objects.get(code="450103001001").pk
    start = threading.Barrier(CLERKS)
    began = time.monotonic()

    with ThreadPoolExecutor(CLERKS) as pool:
        futures = [
            pool.submit(_clerk_run, live_server.url, username, community, number, start)
            for number, username in enumerate(usernames)
        ]
        outcomes = [outcome for future in futures for outcome in future.result()]
    elapsed = time.monotonic() - began

    # Every response is a success (the done page) or a clear refusal (the form again, with a message).
    unexpected = [o for o in outcomes if not (o["birth"] or (o["status"] == 200 and o["message"]))]
    assert not unexpected, unexpected[:5]
    successes = [o for o in outcomes if o["birth"]]
    assert len(successes) >= CLERKS * REGISTRATIONS_PER_CLERK  # no refusal expected with these mothers

    # Every success is in the database exactly once; a double click gives the same birth twice.
    by_key: dict[str, set[int]] = {}
    for outcome in successes:
        by_key.setdefault(outcome["request_key"], set()).add(outcome["birth"])
    assert all(len(births) == 1 for births in by_key.values()), by_key
    births = Birth.objects.filter(clerk__username__in=usernames)
    assert births.count() == len(by_key) == CLERKS * REGISTRATIONS_PER_CLERK
    assert set(births.values_list("pk", flat=True)) == {next(iter(b)) for b in by_key.values()}
    assert Counter(births.values_list("request_key", flat=True)).most_common(1)[0][1] == 1
    expected_babies = sum(o["babies"] for o in {o["request_key"]: o for o in successes}.values())
    newborns = Newborn.objects.filter(birth__in=births)
    assert newborns.count() == expected_babies

    # No number twice: temporary IDs, personal numbers, the register of issued numbers.
    temp_ids = list(newborns.values_list("temp_id", flat=True))
    personal_numbers = list(newborns.values_list("personal_number", flat=True))
    assert len(set(temp_ids)) == len(temp_ids) == expected_babies
    assert len(set(personal_numbers)) == len(personal_numbers)
    assert IssuedTemporaryId.objects.count() == expected_babies
    for mother in MOTHERS:
        letters = {t[-1] for t in temp_ids if t.startswith(mother)}
        expected: set[str] = set()
        for _ in letters:
            expected.add(next_suffix(Sex.FEMALE, expected))
        assert letters == expected  # each mother's girls got X, x, A, B … with none skipped
    assert elapsed < 60, f"{elapsed:.1f} s"
