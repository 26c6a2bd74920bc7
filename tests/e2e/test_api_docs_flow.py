"""The API's docs pages draw under their Content-Security-Policy (issue 23, item 7).

Swagger UI and ReDoc load only the app's own files (drf-spectacular-sidecar); the page fixture fails the
test on any CSP violation Chromium reports.
"""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_draws_the_operations(page):
    page.goto("/api/v1/docs")

    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.get_by_text("/api/v1/coverage").first).to_be_visible()


def test_redoc_draws_the_operations_and_its_logo_from_the_internet_is_refused(page):
    page.goto("/api/v1/redoc")

    expect(page.get_by_text("核验登记卡（POST").first).to_be_attached()
    expect(page.locator("#redoc-container h1").first).to_be_visible()
    # ReDoc's sidebar always asks Redocly's CDN for its logo: the policy refuses it, by design (an intranet
    # page loads nothing from the internet). That refusal, and no other, is expected here.
    external = [text for text in page.csp_violations if "https://cdn.redoc.ly/" in text]
    assert external
    page.csp_violations[:] = [text for text in page.csp_violations if text not in external]
