"""No ID number in a URL or a log, through the cluster as shipped (issue 23, items 4 and 5).

A clerk's web session in Chromium with a profile of its own (log in, search by a mother's ID number, open
the record, print the card, check a card on /verify/) and an API session over every endpoint (GET and POST
coverage with a temporary ID), through nginx's HTTPS to both gunicorn nodes. Then every log the cluster
wrote (each node's gunicorn access and error log with the app's own log, nginx's access and error logs) and
the browser's history (Chromium's `History` SQLite file) are searched for an 18-character ID: none.
"""

import io
import json
import re
import sqlite3
import ssl
import threading
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from PIL import Image

from tests import factories, processes
from tests.api.conftest import birth_body
from tests.cluster.conftest import login

pytestmark = pytest.mark.cluster

ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx]")
MOTHER = factories.id_number(born="19910411", order="082")
API_MOTHER = factories.id_number(born="19920512", order="084")


def _call(url: str, method: str = "GET", *, key: str, body=None, headers: dict | None = None):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    data, content_type = None, None
    if isinstance(body, dict):
        data, content_type = json.dumps(body).encode(), "application/json"
    elif isinstance(body, tuple):
        data, content_type = body
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _multipart(kind: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return parts, f"multipart/form-data; boundary={boundary}"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def records(cluster, people, orm):
    from django.utils import timezone

    from registration.models import Sex
    from registration.services.api_clients import api_client_create
    from registration.services.newborns import BabyInput, ParentInput

    clerk = people["clerk"]
    today = timezone.localdate()  # the nodes judge by the real date
    birth = factories.register(
        clerk,
        mother=ParentInput("覃小梅", MOTHER, "13877112345"),
        father=ParentInput(),
        babies=[BabyInput(Sex.FEMALE, today - timedelta(days=3))],
        today=today,
    )
    newborn = birth.newborns.order_by("birth_order").first()
    _, his = api_client_create(
        name="隐私测试HIS",
        hospital=clerk.operator.hospital,
        scopes=["births:write", "records:read", "coverage:read"],
    )
    _, centre = api_client_create(name="隐私测试医保中心", hospital=None, scopes=["payments:write"])
    return {"newborn": newborn, "his": his, "centre": centre}


def _browse(cluster, profile, newborn, errors: list) -> None:
    """The clerk's web session, in a thread of its own: Playwright's sync API runs one loop per thread."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                base_url=cluster.url,
                ignore_https_errors=True,
                locale="zh-CN",
            )
            context.set_default_timeout(TIMEOUT_MS * 2)
            page = context.new_page()
            login(page, "clerk", factories.PASSWORD)
            page.wait_for_url(lambda url: "/login/" not in url)
            page.goto("/newborns/")
            page.get_by_label("证件号码").fill(MOTHER)
            page.get_by_role("button", name="查询").click()
            page.wait_for_url(lambda url: "search=" in url)
            page.get_by_role("link", name=newborn.name).first.click()
            page.wait_for_url(lambda url: f"/newborns/{newborn.pk}/" in url)
            card = page.request.get(f"/cards/{newborn.pk}/card.pdf")
            assert card.ok and card.body().startswith(b"%PDF"), card.status
            page.goto("/verify/")
            page.get_by_label("新生儿编码").fill(newborn.temp_id)
            page.get_by_label("出生日期").fill(newborn.birth_date.isoformat())
            page.get_by_role("button", name="核验").click()
            page.wait_for_load_state()
            context.close()  # Chromium writes its History file out
    except Exception as error:  # noqa: BLE001  (re-raised by the test)
        errors.append(error)


def test_no_log_and_no_browser_history_holds_an_id_number(cluster, records, tmp_path, orm):
    from registration.models import AuditEntry

    newborn, his, centre = records["newborn"], records["his"], records["centre"]
    profile = tmp_path / "chromium-profile"
    errors: list = []
    browsing = threading.Thread(target=_browse, args=(cluster, profile, newborn, errors))
    browsing.start()
    browsing.join(300)
    assert not browsing.is_alive() and not errors, errors

    from django.utils import timezone

    api = cluster.url + "/api/v1"
    today = timezone.localdate()
    born = (today - timedelta(days=4)).isoformat()
    body = birth_body(mother={"name": "黄丽", "id_number": API_MOTHER, "phone": "13877112346"}, father=None)
    body.pop("father")
    body["babies"] = [{"sex": "female", "birth_date": born}]
    status, created = _call(api + "/births", "POST", key=his, body=body)
    assert status == 201, created
    temp_id = json.loads(created)["newborns"][0]["temp_id"]
    forged = {"X-Forwarded-For": "203.0.113.66"}  # item 5: nginx replaces it with the client's address
    answers = [
        _call(api + "/newborns", key=his),
        _call(api + f"/newborns/{temp_id}", key=his, headers=forged),
        _call(
            api + f"/newborns/{temp_id}/materials", "POST", key=his, body=_multipart("birth_record", _png())
        ),
        _call(api + f"/coverage?code={temp_id}&birth_date={born}", key=his),
        _call(api + "/coverage", "POST", key=his, body={"code": temp_id, "birth_date": born}),
        _call(
            api + "/payments",
            "POST",
            key=centre,
            body={"payments": [{"temp_id": temp_id, "paid_on": today.isoformat(), "years": [today.year]}]},
        ),
        _call(api + "/openapi.json", key=his),
        _call(api + "/docs", key=his),
        _call(api + "/redoc", key=his),
    ]
    assert [status for status, _ in answers] == [200, 200, 201, 200, 200, 201, 200, 200, 200], answers

    # Item 5 through the shipped site: the audit log has the address nginx saw, not the client's header.
    viewed = AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_ID, detail__endpoint="api_newborn"
    ).last()
    assert viewed is not None and viewed.ip == "127.0.0.1"

    logs = {path.name: path.read_text(errors="replace") for path in cluster.directory.glob("*.log")}
    assert {"node-a.log", "node-b.log", "nginx-site-access.log"} <= set(logs)
    assert "/api/v1/coverage" in logs["nginx-site-access.log"]  # the requests were logged
    for name, text in logs.items():
        assert not ID.findall(text), f"{name} holds an ID number: {sorted(set(ID.findall(text)))[:5]}"
        assert "birth_date=" not in text and "code=" not in text, f"{name} holds a query string"

    history = profile / "Default" / "History"
    with sqlite3.connect(history) as database:
        urls = [url for (url,) in database.execute("SELECT url FROM urls")]
    assert any("/newborns/" in url for url in urls), urls  # the history was written
    assert not [url for url in urls if ID.search(url)], urls
    assert not ID.findall(history.read_bytes().decode("latin-1"))


def _direct(node, path: str, headers: dict) -> tuple[int, dict]:
    """A request to a node from 127.0.0.2: a client that reached the node without nginx (127.0.0.1)."""
    import http.client

    connection = http.client.HTTPConnection(
        "127.0.0.1", node.port, timeout=30, source_address=("127.0.0.2", 0)
    )
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def test_a_client_reaching_a_node_directly_cannot_pass_for_the_proxy(cluster):
    # Item 5 against a node as shipped (TRUSTED_PROXIES=127.0.0.1, METRICS_ALLOWED_IPS=127.0.0.1).
    node = cluster.nodes["a"]
    from_nginx = processes.http_get(node.url + "/metrics")[0]

    claimed = _direct(node, "/metrics", {"X-Forwarded-For": "127.0.0.1"})
    plain_http = _direct(node, "/login/", {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})

    assert from_nginx == 200  # the proxy's own address may read the node's metrics
    assert claimed[0] == 404
    assert plain_http[0] == 301 and plain_http[1]["Location"].startswith("https://")
