"""Payment lists (缴费名单): reading CSV and XLSX, matching rows, the preview, applying it once, the pages."""

import codecs
import io
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from registration.models import AuditEntry, Operator, Payment, Sex
from registration.services.kept_uploads import kept_payment_list_get
from registration.services.newborns import BabyInput, ParentInput
from registration.services.payment_files import TEMPLATE_HEADERS, payment_rows_read
from registration.services.payments import Outcome
from tests import factories
from tests.registration.services.conftest import BORN, CERTIFICATE, csv_bytes, row, stored, xlsx_bytes

pytestmark = pytest.mark.django_db


# --- the pages ----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def upload_file(client, content, name="缴费名单.csv"):
    return client.post("/payments/import/", {"file": SimpleUploadedFile(name, content)})


def preview_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_it_uploads_previews_and_applies_a_list(admin_client, admin, twins):
    content = csv_bytes(
        [row(twins[0], receipt="R1"), row(temp_id=twins[1].temp_id[:-1] + "B")], encoding="gbk"
    )

    url = preview_url(upload_file(admin_client, content))
    preview = admin_client.get(url)
    html = preview.content.decode()

    assert preview.status_code == 200
    assert "将录入 1" in html and "有错误，不导入 1" in html and "没有找到该号码的登记记录" in html
    assert "确认导入 1 笔缴费" in html and twins[0].temp_id not in html
    assert 'name="digest"' in html and "R1" in html

    done = admin_client.post(url, {"digest": preview.context["plan"].digest}, REMOTE_ADDR="10.2.3.4")

    assert done.status_code == 302 and done["Location"] == "/payments/import/"
    assert any("新录入 1 笔缴费" in str(m) for m in get_messages(done.wsgi_request))
    assert Payment.objects.get().receipt_number == "R1"
    assert AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).ip == "10.2.3.4"
    assert admin_client.get(url).status_code == 302  # the kept file is gone once applied


def test_uploading_the_same_list_again_offers_nothing_to_record(admin_client, twins):
    content = xlsx_bytes([row(twins[0]), row(twins[1])])
    first = preview_url(upload_file(admin_client, content, "名单.xlsx"))
    admin_client.post(first, {"digest": admin_client.get(first).context["plan"].digest})

    second = preview_url(upload_file(admin_client, content, "名单.xlsx"))
    page = admin_client.get(second)
    forced = admin_client.post(second, {"digest": page.context["plan"].digest})

    assert "已录入，跳过 2" in page.content.decode() and "没有需要录入的缴费" in page.content.decode()
    assert forced.status_code == 302
    assert Payment.objects.count() == 2


def test_it_does_not_trust_the_confirming_form(admin_client, twins):
    url = preview_url(upload_file(admin_client, csv_bytes([row(twins[0])])))

    forged = admin_client.post(url, {"digest": "0" * 64, "paid_on": "2026-01-01", "newborn": twins[1].pk})

    assert forged.status_code == 409
    assert "发生了变化" in forged.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "上传的文件是空的"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "scan.png", "不是表格文件"),
        (xlsx_bytes([["x"] * 6])[:300], "cut.xlsx", "XLSX 文件已损坏或不完整"),
        (csv_bytes([], header=["新生儿编码", "缴费年度"]), "list.csv", "表头缺少「到账日期」列"),
    ],
)
def test_it_refuses_a_bad_upload_on_the_upload_page(admin_client, content, name, message):
    response = upload_file(admin_client, content, name)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_it_asks_for_a_file(admin_client):
    response = admin_client.post("/payments/import/", {})

    assert response.status_code == 400 and "请选择要导入的缴费名单文件" in response.content.decode()


def test_another_administrators_upload_is_not_found(client, admin, twins):
    upload = stored(admin, csv_bytes([row(twins[0])]))
    other = factories.user_make("admin2", is_staff=True)
    client.force_login(other)

    for token in (upload.token, "0" * 32, "not-a-token"):
        response = client.post(f"/payments/import/{token}/", {"digest": "x"})
        assert response.status_code == 302 and response["Location"] == "/payments/import/"
        assert "上传的文件已失效或不存在" in str(list(get_messages(response.wsgi_request))[0])
    assert client.get("/payments/import/../../etc/passwd/").status_code == 404
    assert kept_payment_list_get(user=admin, token=upload.token) is not None
    assert not Payment.objects.exists()


@pytest.mark.parametrize("role", [Operator.Role.CLERK, Operator.Role.SUPERVISOR])
def test_it_refuses_hospital_staff_with_403_on_every_import_page(client, clerk, admin, twins, role):
    Operator.objects.filter(user=clerk).update(role=role)
    upload = stored(admin, csv_bytes([row(twins[0])]))
    client.force_login(clerk)

    for response in (
        client.get("/payments/import/"),
        upload_file(client, csv_bytes([row(twins[0])])),
        client.get(f"/payments/import/{upload.token}/"),
        client.post(f"/payments/import/{upload.token}/", {"digest": "x"}),
        client.get("/payments/import/template.xlsx"),
    ):
        assert response.status_code == 403
        assert "只有医保中心管理员" in response.content.decode()
    assert not Payment.objects.exists()


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    assert client.get("/payments/import/")["Location"].startswith("/login/")


def test_the_templates_download_with_the_expected_headers(admin_client, twins):
    xlsx = admin_client.get("/payments/import/template.xlsx")
    csv = admin_client.get("/payments/import/template.csv")
    missing = admin_client.get("/payments/import/template.pdf")

    workbook = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert [cell for cell in next(workbook.worksheets[0].iter_rows(values_only=True))] == TEMPLATE_HEADERS
    assert "区分大小写" in str(next(workbook.worksheets[1].iter_rows(values_only=True))[0])
    assert "attachment" in xlsx["Content-Disposition"]
    assert csv.content.startswith(codecs.BOM_UTF8)
    assert csv.content.decode("utf-8-sig").splitlines()[0].split(",") == TEMPLATE_HEADERS
    assert missing.status_code == 404
    # A filled template reads back.
    filled = csv.content + ",".join([twins[0].temp_id, "", "", "", "2026-02-10", "2026", "", ""]).encode()
    assert payment_rows_read(filled)[0].cells["temp_id"] == twins[0].temp_id


@pytest.mark.parametrize("count", [1, 30])
def test_the_preview_takes_a_bounded_number_of_queries(
    admin_client, clerk, count, django_assert_max_num_queries
):
    newborns = [
        factories.register(
            clerk,
            mother=ParentInput(factories.person_name("母亲", i), factories.id_number(order=f"{i:02d}2"), ""),
            babies=[BabyInput(Sex.FEMALE, BORN)],
            today=date(2026, 1, 12),
        ).newborns.get()
        for i in range(count)
    ]
    url = preview_url(upload_file(admin_client, csv_bytes([row(newborn) for newborn in newborns])))

    # Session read and save, user, operator check, the kept list's row, the records with birth and
    # hospital, their payments.
    with django_assert_max_num_queries(9):
        response = admin_client.get(url)

    assert response.context["counts"][Outcome.RECORD] == count


# --- rows refused by the same rules as a payment entered by hand ----------------------------------------


def test_the_preview_shows_a_personal_number_in_full_and_id_numbers_masked(admin_client, twins, certified):
    content = csv_bytes(
        [
            row(temp_id="", personal=twins[0].personal_number),
            row(twins[1]),
            row(temp_id="", certificate=CERTIFICATE),
        ]
    )

    html = admin_client.get(preview_url(upload_file(admin_client, content))).content.decode()

    assert twins[0].personal_number in html  # not sensitive: the records list shows it too
    assert twins[1].temp_id not in html and twins[1].temp_id[:6] + "*****" in html
    assert CERTIFICATE not in html
