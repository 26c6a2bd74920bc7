"""Two gunicorn nodes behind nginx, in a real browser (issue 17, item 2), with the nodes' health (item 3).

Each scenario pins its requests to one node, then the other (the X-Newborn-Node header, see conftest.py):
what one node kept must be there for the other, through the database and the object store only.
"""

import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests import factories, processes
from tests.cluster.conftest import https_get, login, on_node, served_by
from tests.e2e.pages import fill_registration

pytestmark = pytest.mark.cluster

DONE_URL = re.compile(r"/register/done/(\d+)/$")


def png_file(directory: Path, name: str, color: str) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, "PNG")
    path = directory / name
    path.write_bytes(buffer.getvalue())
    return path


def test_nginx_balances_round_robin_over_both_ready_nodes(cluster):
    seen = []
    for _ in range(6):
        status, body, headers = https_get(cluster.url + "/healthz")
        assert status == 200 and body == b"ok\n"
        seen.append(headers["X-Upstream"])
    assert {address.rsplit(":", 1)[1] for address in seen} == {
        str(node.port) for node in cluster.nodes.values()
    }
    # Each node is ready on its own, and neither sets a cookie on a health check.
    for node in cluster.nodes.values():
        status, body, headers = processes.http_get(node.url + "/readyz")
        assert status == 200, body
        assert body.decode().splitlines()[0] == "ready"
        assert "Set-Cookie" not in headers


def test_plain_http_is_sent_to_https(cluster):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", int(cluster.http_url.rsplit(":", 1)[1]), timeout=10)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == cluster.url + "/login/"


def test_metrics_are_the_nodes_not_the_public_sites(cluster, people):
    from prometheus_client.parser import text_string_to_metric_families

    assert https_get(cluster.url + "/metrics")[0] == 404

    def logins_counted() -> float:
        status, body, headers = processes.http_get(cluster.nodes["a"].url + "/metrics")
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain")
        return sum(
            sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
            if sample.name == "newborn_http_requests_total" and sample.labels["view"] == "login"
        )

    before = logins_counted()
    for _ in range(4):
        assert https_get(cluster.url + "/login/", headers={"X-Newborn-Node": "a"})[0] == 200
    # Whichever of the node's two workers answered, one exposition counts them all (multiprocess mode).
    assert logins_counted() == before + 4


def save(page):
    page.locator("[data-submit]", has_text="保存").click()


def test_a_failed_submit_on_node_a_retried_on_node_b_keeps_the_uploads_and_registers_once(
    cluster, people, context, orm, tmp_path
):
    from registration.models import Birth

    page = context.new_page()
    on_node(context, "a")
    login(page, people["clerk"].username, factories.PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    mother_page = png_file(tmp_path, "母亲页.png", "black")
    id_card = png_file(tmp_path, "身份证.png", "gray")

    fill_registration(page, address="", defer_scans=False)  # 户口详址 forgotten, and two scans
    page.locator('input[name="material_household_parent"]').set_input_files(mother_page)
    page.locator('input[name="material_id_card"]').set_input_files(id_card)
    with page.expect_response(lambda response: response.request.method == "POST") as failed:
        save(page)
    assert served_by(failed.value, cluster) == "a"
    expect(page.locator("#register-errors")).to_contain_text("请填写户口详址")
    expect(page.locator("[data-staged]")).to_have_count(2)
    assert not Birth.objects.exists()

    on_node(context, "b")
    page.locator("#id_household_address").fill("广西南宁市青秀区新竹路1号")
    page.locator('input[name="material_birth_record"]').set_input_files(
        png_file(tmp_path, "出生记录.png", "white")
    )
    with page.expect_response(lambda response: response.request.method == "POST") as retried:
        save(page)
    assert served_by(retried.value, cluster) == "b"
    page.wait_for_url(DONE_URL)
    expect(page.get_by_role("status")).to_contain_text("保存成功！该人员个人编号为：")

    assert Birth.objects.count() == 1
    birth = Birth.objects.get()
    materials = {material.kind: material for material in birth.materials.all()}
    assert sorted(materials) == ["birth_record", "household_parent", "id_card"]
    assert materials["household_parent"].original_name == "母亲页.png"
    stored = cluster.s3_keys("materials/")
    assert sorted(material.file.name for material in materials.values()) == stored
    body = (
        processes.s3_client(cluster.s3_endpoint)
        .get_object(Bucket=cluster.bucket, Key=materials["household_parent"].file.name)["Body"]
        .read()
    )
    assert body == mother_page.read_bytes()
    # The scan comes back through the authorising view on either node.
    newborn = birth.newborns.get()
    for name in ("a", "b"):
        on_node(context, name)
        response = page.request.get(f"/newborns/{newborn.pk}/materials/{materials['id_card'].pk}")
        assert response.status == 200 and served_by(response, cluster) == name
        assert response.body() == id_card.read_bytes()


def test_a_payment_list_previewed_on_one_node_is_confirmed_on_the_other(
    cluster, people, context, orm, tmp_path
):
    from registration.models import Payment, Sex
    from registration.services.newborns import BabyInput, ParentInput

    born = timezone.localdate() - timedelta(days=10)
    mother = ParentInput("韦丽华", factories.id_number(born="19920101", order="022"), "13800000001")
    newborn = factories.register(
        people["clerk"], mother=mother, father=ParentInput(), babies=[BabyInput(Sex.FEMALE, born)],
        today=born + timedelta(days=1),
    ).newborns.get()  # fmt: skip

    page = context.new_page()
    on_node(context, "b")
    login(page, "admin", factories.PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/payments/import/")
    listing = tmp_path / "缴费名单.csv"
    paid_on = timezone.localdate().isoformat()
    listing.write_bytes(
        f"新生儿编码,到账日期,缴费年度\r\n{newborn.temp_id},{paid_on},{timezone.localdate().year}\r\n".encode(
            "gbk"
        )
    )
    page.get_by_label("缴费名单文件").set_input_files(str(listing))
    with page.expect_response(lambda response: "/payments/import/" in response.url) as uploaded:
        page.get_by_role("button", name="上传并预览").click()
    assert served_by(uploaded.value, cluster) == "b"
    expect(page.get_by_text("将录入 1")).to_be_visible()

    on_node(context, "a")
    with page.expect_response(lambda response: response.request.method == "POST") as confirmed:
        page.get_by_role("button", name="确认导入 1 笔缴费").click()
    assert served_by(confirmed.value, cluster) == "a"
    expect(page.get_by_role("alert").filter(has_text="新录入 1 笔缴费")).to_be_visible()
    assert Payment.objects.filter(newborn=newborn, source=Payment.Source.IMPORT).count() == 1


def test_the_login_lock_out_counts_failures_on_both_nodes(cluster, people, context, orm):
    from django.conf import settings

    page = context.new_page()
    limit = settings.AXES_FAILURE_LIMIT
    nodes = []
    for attempt in range(limit):
        name = "ab"[attempt % 2]
        on_node(context, name)
        with page.expect_response(lambda response: response.request.method == "POST") as answered:
            login(page, "clerk-lockout", "wrong-password-1")
        nodes.append(served_by(answered.value, cluster))
    assert set(nodes) == {"a", "b"}
    # Five failures spread over two nodes: the right password is refused on either.
    for name in ("a", "b"):
        on_node(context, name)
        with page.expect_response(lambda response: response.request.method == "POST") as answered:
            login(page, "clerk-lockout", factories.PASSWORD)
        assert answered.value.status == 429
        expect(page.get_by_role("heading", name="登录已暂时锁定")).to_be_visible()


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()


def test_a_card_printed_on_either_node_is_the_same(cluster, people, context, orm):
    from registration.models import Sex
    from registration.services.newborns import BabyInput, ParentInput

    born = timezone.localdate() - timedelta(days=3)
    mother = ParentInput("黄秀英", factories.id_number(born="19930202", order="046"), "13800000002")
    newborn = factories.register(
        people["clerk"], mother=mother, father=ParentInput(), babies=[BabyInput(Sex.MALE, born)],
        today=timezone.localdate(),
    ).newborns.get()  # fmt: skip
    page = context.new_page()
    on_node(context, "a")
    login(page, people["clerk"].username, factories.PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    pdfs = {}
    for name in ("a", "b"):
        on_node(context, name)
        response = page.request.get(f"/cards/{newborn.pk}/card.pdf")
        assert response.status == 200 and served_by(response, cluster) == name
        pdfs[name] = response.body()
    texts = {name: pdf_text(pdf) for name, pdf in pdfs.items()}
    assert newborn.temp_id in texts["a"]
    assert texts["a"] == texts["b"]
    pages = {name: PdfReader(io.BytesIO(pdf)).pages for name, pdf in pdfs.items()}
    assert len(pages["a"]) == len(pages["b"]) == 2
    for page_a, page_b in zip(pages["a"], pages["b"], strict=True):
        assert page_a.mediabox == page_b.mediabox
        assert page_a.get_contents().get_data() == page_b.get_contents().get_data()


def test_zz_a_node_that_stops_is_left_out_by_nginx(cluster):
    """Last (it stops node B): nginx passes the requests to node A, none fails."""
    node = cluster.nodes["b"]
    processes.stop(node.process, timeout=30)
    for _ in range(6):
        status, _, headers = https_get(cluster.url + "/healthz")
        assert status == 200
        assert headers["X-Upstream"].endswith(f":{cluster.nodes['a'].port}")
