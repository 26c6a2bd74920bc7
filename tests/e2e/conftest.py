"""A real browser against a live server: Playwright for Python driving Debian's Chromium.

Playwright's own browser download does not work here, so the tests use /usr/bin/chromium, which
`make test` installs (scripts/system-packages.sh --browser). A missing browser fails the run: skipped
browser tests would look like passing ones.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests import factories

# Playwright's sync API runs an event loop in the test's thread; Django then refuses ORM calls from that
# thread (SynchronousOnlyOperation) although nothing in them is asynchronous. The documented way out.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous for a slow CI machine, short enough that a broken page fails in seconds, not minutes.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; its absence is an error of the set-up, never a reason to skip."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with `scripts/system-packages.sh --browser` (as root, or with sudo); "
            "`make test` does this for you. Do not run `playwright install`: "
            "its download does not work here.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def _media_url_while_the_server_starts():
    """Django's live server reads MEDIA_URL once, at its start, and breaks on this project's None."""
    original = settings.MEDIA_URL
    # With a host in it the test server never serves a path as media: uploads stay behind the
    # authorising views, as in production.
    settings.MEDIA_URL = "http://media.invalid/"
    return original


@pytest.fixture(scope="session")
def live_server(_media_url_while_the_server_starts, live_server):
    settings.MEDIA_URL = _media_url_while_the_server_starts  # read already; no other test may see it
    return live_server


@pytest.fixture
def page(browser, live_server):
    # A 1366×768 screen: the hospital desktops the page is made for (issue 3).
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 768}, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    violations = csp_violations_watch(page)
    yield page
    context.close()
    if violations:
        pytest.fail("the page broke its Content-Security-Policy:\n" + "\n".join(violations), pytrace=False)


def csp_violations_watch(page) -> list[str]:
    """Chromium reports every CSP refusal on the console: collected here, a test that caused one fails."""
    violations: list[str] = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.csp_violations = violations  # a test that expects a refusal takes it out of the list
    return violations


@pytest.fixture
def clerk(transactional_db):
    """A clerk of a Nanning hospital with module access, the community 新竹社区 and Nanning's agency."""
    factories.division_chain()
    factories.agency_make()
    return factories.operator_make().user


@pytest.fixture
def logged_in_page(page, clerk):
    """The clerk, logged in through the real login form, on the home page."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page
