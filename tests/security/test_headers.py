"""Every answer carries a Content-Security-Policy and `Cache-Control: no-store` (issue 23, item 7).

Every URL of the resolver × every role (the rows of test_access_matrix), and every page of the Django admin
an administrator reaches: the two headers, and in each HTML page no inline script or style without the
page's nonce and no style attribute (which no nonce can allow). The browser tests (tests/e2e) fail on any
violation Chromium reports, which covers what a page's scripts do.
"""

import contextlib
import re

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.security import test_access_matrix
from tests.security.test_access_matrix import ROLES, ROUTES, ROWS, Route, Users, _url

users = test_access_matrix.users  # the matrix's fixture: the same people and records

pytestmark = pytest.mark.usefixtures("pinned_today")

NONCE = re.compile(r"'nonce-([^']+)'")
# The API's docs pages draw their own styles (registration/api/urls.py): their style-src allows inline.
INLINE_STYLES_ALLOWED = {"api_docs", "api_redoc"}


def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def check_headers(response, where: str, *, inline_styles: bool = False) -> None:
    assert "no-store" in response.get("Cache-Control", ""), where
    policy = _policy(response)
    assert policy.get("default-src") == ["'self'"], where
    assert "'unsafe-inline'" not in policy.get("script-src", []), where
    assert "'unsafe-eval'" not in policy.get("script-src", []), where
    assert policy.get("frame-ancestors") == ["'none'"], where
    if not response.get("Content-Type", "").startswith("text/html") or not response.content:
        return
    html = response.content.decode()
    nonce = next(iter(NONCE.findall(" ".join(policy.get("script-src", [])))), None)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or (nonce and f'nonce="{nonce}"' in tag), f"{where}: inline script {tag}"
    assert not re.search(r"\son[a-z]+=", html), f"{where}: an inline event handler"
    assert "javascript:" not in html, where
    if inline_styles:
        return
    assert "'unsafe-inline'" not in policy.get("style-src", []), where
    assert not re.search(r"<[^>]+\sstyle=", html), f"{where}: a style attribute"
    style_nonce = next(iter(NONCE.findall(" ".join(policy.get("style-src", [])))), None)
    for tag in re.findall(r"<style\b[^>]*>", html):
        assert style_nonce and f'nonce="{style_nonce}"' in tag, f"{where}: inline style {tag}"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.key in ROWS], ids=lambda route: route.key)
def test_every_url_answers_every_role_with_both_headers(client, users: Users, route: Route):
    row = ROWS[route.key]
    for role in ROLES:
        client.logout()
        if (user := users.get(role)) is not None:
            client.force_login(user)
        response = getattr(client, row.method.lower())(_url(route, row, users.world.own), row.data)

        check_headers(response, f"{route.key} as {role}", inline_styles=route.key in INLINE_STYLES_ALLOWED)


def _admin_pages() -> list[str]:
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        for view in ("changelist", "add"):
            with contextlib.suppress(NoReverseMatch):
                pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"))
    return pages


def test_every_admin_page_has_both_headers_and_no_inline_code(client, users: Users):
    client.force_login(users.world.administrator)
    newborn = users.world.own.newborn
    pages = [*_admin_pages(), reverse("admin:registration_newborn_change", args=[newborn.pk])]

    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 403), page  # 403: a page the admin keeps read-only (add)
        check_headers(response, page)


def test_the_error_pages_keep_their_look_under_the_policy(client, settings):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    check_headers(response, "404")
    # The 500 page is rendered without a request, so without a nonce: its one <style> is allowed by hash.
    from django.template import loader

    html = loader.get_template("500.html").render()
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in _policy(response)["style-src"]
