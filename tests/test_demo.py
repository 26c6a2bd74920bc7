"""`make demo` as a new user meets it: the server its Makefile starts, with the demo data, over HTTP.

The demo shows the app's own Chinese error pages (DEBUG off), not Django's English debug pages, and serves
its static files itself (the fonts and styles that draw the Chinese).
"""

import http.cookiejar
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

from tests import processes


def demo_command(port: int) -> tuple[dict[str, str], list[str]]:
    """The environment and the command of `make demo PORT=port`'s server, as make prints it."""
    done = subprocess.run(
        ["make", "-n", "demo", f"PORT={port}"],
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (line,) = [line for line in done.stdout.splitlines() if " runserver " in line]
    words = shlex.split(line)
    environment = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        environment[name] = value
    return environment, words


class Browser:
    """Cookies and the CSRF token, as a browser keeps them; an error answer is returned, not raised."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(errors="replace"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def login(self, username: str, password: str) -> None:
        _, page, _ = self.open("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, page, _ = self.open(
            "/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        assert status == 200 and "退出" in page, page[:2000]


def test_make_demo_shows_the_apps_own_chinese_error_pages(tmp_path):
    from registration.demo import STAFF_PASSWORD

    port = processes.free_port()
    environment, command = demo_command(port)
    assert command[-2:] == ["runserver", f"127.0.0.1:{port}"]
    database = tmp_path / "demo.sqlite3"
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("DEBUG", "DATABASE_URL")},
        **environment,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
    }
    manage = [sys.executable, "manage.py"]
    for step in (["migrate", "--noinput", "-v0"], ["seed_demo", "--registrations", "4"]):
        subprocess.run(
            [*manage, *step], cwd=processes.ROOT, env=env, check=True, capture_output=True, timeout=300
        )
    with sqlite3.connect(database) as db:
        (nanning_record,) = db.execute(
            "SELECT n.id FROM registration_newborn n JOIN registration_hospital h ON h.id = n.hospital_id"
            " WHERE h.name LIKE '南宁%' ORDER BY n.id LIMIT 1"
        ).fetchone()

    server = processes.start(
        [*manage, *command[command.index("runserver") :]], log=tmp_path / "demo.log", env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        processes.wait_for(
            lambda: processes.http_get(base + "/healthz")[0] == 200,
            timeout=60,
            what="make demo's server",
            process=server,
            log=tmp_path / "demo.log",
        )
        browser = Browser(base)
        # The styles and the font that draw the Chinese are served without DEBUG.
        status, css, _ = browser.open("/static/css/fonts.css")
        assert status == 200 and "@font-face" in css
        browser.login("clerk_gl", STAFF_PASSWORD)  # a clerk of the Guilin hospital

        # Another hospital's record: the app's Chinese 404, not Django's English debug page.
        status, page, _ = browser.open(f"/newborns/{nanning_record}/")
        assert status == 404
        assert "找不到该页面或记录" in page and 'lang="zh' in page
        assert "Page not found" not in page and "DEBUG = True" not in page
        status, page, _ = browser.open("/no-such-page/")
        assert status == 404 and "找不到该页面或记录" in page

        # A supervisor's page for a clerk: the Chinese 403.
        status, page, _ = browser.open("/operators/")
        assert status == 403 and "Forbidden" not in page
        assert re.search(r"[\u4e00-\u9fff]{4,}", page)
    finally:
        processes.stop(server)
