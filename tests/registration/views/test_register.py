"""The new-registration page, its live preview, its result page and the staging of uploads."""

import io
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from registration.models import AuditEntry, Birth, Division, KeptUpload, Material, Newborn, Operator, Sex
from registration.services.kept_uploads import (
    kept_scan_get,
    kept_scan_store,
    kept_upload_discard,
    kept_upload_read,
    kept_uploads_clean,
)
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID, register

pytestmark = pytest.mark.django_db

URL = "/register/"
GUILIN_MOTHER = factories.id_number(region="450302", order="002")


@pytest.fixture
def logged_in(client, clerk):
    client.force_login(clerk)
    return client


def png_bytes(color="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def form_data(*, babies=(("2", 4),), **overrides) -> dict:
    """A valid POST of the page (factories.register_post_data): by default one girl born four days ago."""
    born = [(sex, timezone.localdate() - timedelta(days=age)) for sex, age in babies]
    return factories.register_post_data(babies=born, **overrides)


def staged_tokens(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="staged_(\w+)" value="([0-9a-f]{32})"', html))


# --- access -------------------------------------------------------------------------------------


def test_it_shows_the_empty_form_to_a_granted_clerk(logged_in):
    response = logged_in.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    for label in ("参保社区", "证件类型", "证件所属", "身份证号码", "出生日期", "民族", "国籍", "户口详址"):
        assert label in html
    assert "父母身份证号+字母（其他类型）" in html and "出生医学证明编号" in html
    assert "新生儿尚未办理户籍登记" in html and "证件所属父（母）亲为广西户籍（以户口簿为准）" in html
    assert "添加婴儿" in html and "以保存时为准" in html
    assert re.search(r'name="request_key" value="[0-9a-f-]{36}"', html)
    # Each of the 5 materials: a file box (scans, PDFs) and a camera box for phones and tablets; and one
    # box for all the scans at once.
    assert html.count('accept="image/jpeg,image/png,application/pdf"') == 6
    assert html.count('multiple accept="image/jpeg,image/png,application/pdf"') == 1
    assert html.count('accept="image/*" capture="environment"') == 5
    assert 'value="南宁市第一人民医院"' in html  # the birth hospital defaults to the clerk's
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_it_lists_guangxis_common_ethnicities_first(logged_in):
    html = logged_in.get(URL).content.decode()

    assert html.index(">汉族<") < html.index(">壮族<") < html.index(">瑶族<") < html.index(">蒙古族<")
    assert html.index(">中国<") < html.index(">阿富汗<")


def test_it_tells_a_clerk_without_module_access_why(client, clerk):
    clerk.operator.access = Operator.Access.REQUESTED
    clerk.operator.save(update_fields=["access"])
    client.force_login(clerk)

    response = client.get(URL)
    html = response.content.decode()

    assert response.status_code == 403
    assert "尚未开通" in html and "已申请" in html and "附件1" in html
    assert 'id="register-form"' not in html


def test_it_refuses_a_post_without_module_access(client, clerk):
    clerk.operator.access = Operator.Access.WITHDRAWN
    clerk.operator.save(update_fields=["access"])
    client.force_login(clerk)

    response = client.post(URL, form_data())

    assert response.status_code == 403
    assert not Birth.objects.exists()


def test_it_refuses_a_staff_user_who_is_no_operator(client, clerk):
    client.force_login(factories.user_make("admin", is_staff=True))

    response = client.get(URL)

    assert response.status_code == 403
    assert "经办人" in response.content.decode()


def test_it_redirects_anonymous_visitors_to_login(client):
    for method, url in (("get", URL), ("post", "/register/preview"), ("get", "/register/done/1/")):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/?next=")


# --- registering --------------------------------------------------------------------------------


def test_it_registers_twin_girls_X_and_x_and_shows_both_numbers(logged_in):
    response = logged_in.post(URL, form_data(babies=(("2", 4), ("2", 4))))

    birth = Birth.objects.get()
    assert response.status_code == 302
    assert response.url == f"/register/done/{birth.pk}/"
    newborns = list(birth.newborns.order_by("birth_order"))
    assert [n.temp_id for n in newborns] == [MOTHER_ID + "X", MOTHER_ID + "x"]
    assert [n.name for n in newborns] == ["张三之女", "张三之女"]

    done = logged_in.get(response.url).content.decode()
    assert done.count("保存成功！该人员个人编号为：") == 2
    for newborn in newborns:
        assert newborn.personal_number in done
        assert newborn.temp_id in done
        assert f"/cards/{newborn.pk}/card.pdf" in done
    assert f"/cards/batch.pdf?ids={newborns[0].pk},{newborns[1].pk}" in done
    assert 'href="/register/"' in done
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID).count() == 2


def test_the_done_page_tells_the_family_the_payment_channels_of_the_cards_notice(logged_in):
    from cards.channels import channels_by_city

    done = logged_in.get(logged_in.post(URL, form_data()).url).content.decode()

    # One source with the notice (docs/rules.md, Payment channels): the list of the community's city.
    nanning = channels_by_city()["4501"]
    channels = re.search(r"<ul data-payment-channels>(.*?)</ul>", done, re.S).group(1)
    assert "线上：" + "；".join(nanning.online) + "。" in channels
    assert nanning.online[0] == "“南宁医保”微信公众号"
    assert "线下：" + "；".join(nanning.offline) + "。" in channels
    assert "通过“南宁医保”“广西税务”微信公众号的【个账代缴城乡医保】功能" in channels
    assert "12366" not in done and "广西税务APP" not in done  # the channels the page listed before


def test_the_done_page_numbers_triplets_in_birth_order_with_their_letters(logged_in):
    # Issue 24, item 12: three cards with the same name and date told apart only by X, x and A.
    done = logged_in.get(logged_in.post(URL, form_data(babies=(("2", 3),) * 3)).url).content.decode()

    headings = re.findall(r"<h2[^>]*data-baby-order>(.*?)</h2>", done)
    assert headings == [f"第{n}名 · 出生顺序：三胞胎第{n}个" for n in (1, 2, 3)]
    letters = re.findall(r"<span[^>]*data-code-letter>(.*?)</span>", done)
    assert letters == ["（末位为大写字母X）", "（末位为小写字母x）", "（末位为大写字母A）"]
    order = [done.index(MOTHER_ID + letter) for letter in "XxA"]
    assert order == sorted(order)


def test_the_done_page_of_a_single_baby_has_no_numbering(logged_in):
    done = logged_in.get(logged_in.post(URL, form_data()).url).content.decode()

    assert "data-baby-order" not in done and "data-code-letter" not in done and "出生顺序" not in done


def test_the_done_page_words_the_deadline_as_the_card_does_and_the_2026_guides_documents(logged_in):
    done = logged_in.get(logged_in.post(URL, form_data()).url).content.decode()

    assert "请在缴费截止日（含）前缴纳" in done and "缴费截止日前" not in done
    assert "预参保登记时关联的父（母）亲一方的身份证、户口簿和宝宝的户口簿" in done
    assert "特殊人群" in done


def test_the_registration_page_says_the_babys_agency_comes_from_the_community(logged_in):
    page = logged_in.get(URL).content.decode()

    assert "参保所属机构按其身份证号码确定" not in page
    assert "新生儿的参保所属机构由所选参保社区确定" in page and "仅用于比对" in page


def test_the_done_page_answers_get_and_head_only(logged_in):
    done = logged_in.post(URL, form_data()).url

    assert logged_in.head(done).status_code == 200
    assert logged_in.post(done, {}).status_code == 405
    assert logged_in.put(done).status_code == 405


def test_it_records_the_page_fields_as_the_service_expects(logged_in):
    logged_in.post(
        URL,
        form_data(
            mother_id_number=MOTHER_ID.lower()[:-1] + MOTHER_ID[-1],
            mother_phone="138 7711 2345",
            phone="０７７１-５７８２４９６",  # full-width digits of a Chinese input method
        ),
    )

    newborn = Newborn.objects.get()
    assert newborn.ethnicity == "08" and newborn.household_type == "30"
    assert newborn.phone == "07715782496"
    assert newborn.birth.mother_phone == "13877112345"
    assert newborn.birth.father_id_number == FATHER_ID


def test_it_refuses_a_baby_born_more_than_three_months_ago_next_to_the_field(logged_in):
    response = logged_in.post(URL, form_data(babies=(("2", 4), ("2", 120))))
    html = response.content.decode()

    assert response.status_code == 200
    assert not Birth.objects.exists()
    error = re.search(r'id="id_babies-1-birth_date_error">([^<]*)</div>', html)
    assert error and "出生已满3个月" in error.group(1)
    assert "id_babies-0-birth_date_error" not in html  # the first baby is fine
    assert "未保存：请修改以下" in html and 'href="#id_babies-1-birth_date"' in html


def test_it_lists_every_problem_at_once(logged_in):
    # Without the declarations (「确认并保存」 sends them): both are reported, with the baby's age.
    data = form_data(babies=(("2", 120),), declared=None)

    html = logged_in.post(URL, data).content.decode()

    assert "出生已满3个月" in html
    assert "须确认新生儿尚未办理户籍登记" in html
    assert "须为广西户籍" in html
    assert "未保存：请修改以下 3 处" in html
    assert not Birth.objects.exists()


def test_it_reports_parse_errors_of_several_fields_together(logged_in):
    data = form_data(mother_id_number=MOTHER_ID[:-1] + "1", phone="12", household_type="", ethnicity="99")
    data["babies-0-birth_date"] = "2026-02-30"

    html = logged_in.post(URL, data).content.decode()

    for message in ("校验位不正确", "联系电话", "请选择户口性质", "请从列表中选择民族", "出生日期格式不正确"):
        assert message in html
    assert not Birth.objects.exists()


def test_it_reports_eligibility_together_with_parse_errors(logged_in):
    data = form_data(babies=(("2", 4), ("2", 120)), phone="12", declared=None)

    html = logged_in.post(URL, data).content.decode()

    error = re.search(r'id="id_babies-1-birth_date_error">([^<]*)</div>', html)
    assert error and "出生已满3个月" in error.group(1)
    assert "id_babies-0-birth_date_error" not in html
    assert "须为广西户籍" in html
    assert "未保存：请修改以下 4 处" in html  # the phone, the second baby's age, the two declarations
    assert not Birth.objects.exists()


def test_it_warns_of_an_agency_mismatch_and_registers_once_confirmed(logged_in):
    factories.division_chain("450302001001", ("广西壮族自治区", "桂林市", "秀峰区", "秀峰街道", "秀峰社区"))
    factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))
    data = form_data(mother_id_number=GUILIN_MOTHER)

    response = logged_in.post(URL, data)
    html = response.content.decode()

    assert response.status_code == 200
    assert "桂林市医疗保障事业管理中心" in html and "确认无误，继续登记" in html
    assert 'name="confirmed_warnings" value="agency_mismatch"' in html
    assert f'value="{GUILIN_MOTHER}"' in html and 'value="广西南宁市青秀区新竹路1号"' in html
    assert f'value="{data["request_key"]}"' in html
    assert not Birth.objects.exists()

    response = logged_in.post(URL, {**data, "confirmed_warnings": "agency_mismatch"})

    birth = Birth.objects.get()
    assert response.status_code == 302
    assert birth.agency_warning_confirmed and birth.parent_agency.code == "450300"


def test_the_birth_hospital_is_asked_for_from_the_list_with_home_births_offered(logged_in, clerk):
    factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")

    html = logged_in.get(URL).content.decode()

    datalist = re.search(r'<datalist id="birth-hospitals">(.*?)</datalist>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)">', datalist) == [
        "南宁市第一人民医院",
        "南宁市第二人民医院",
        "院外分娩（家中或途中）",
    ]
    assert re.search(r'<input[^>]*name="birth_hospital_name"[^>]*list="birth-hospitals"', html)
    # Confirmed with the declarations by the one button that saves.
    assert re.search(r'<button type="submit" name="declared" value="on"[^>]*>确认并保存</button>', html)
    assert "新生儿的出生医院为「<span data-declared-hospital>南宁市第一人民医院</span>」" in html

    emptied = logged_in.post(URL, form_data(birth_hospital_name="")).content.decode()
    assert "请填写出生医院" in emptied and not Birth.objects.exists()


def test_a_birth_at_home_is_warned_of_and_registered_once_confirmed(logged_in):
    data = form_data(birth_hospital_name="院外分娩（家中或途中）")

    html = logged_in.post(URL, data).content.decode()

    assert "新生儿在医疗机构外（家中或途中）出生" in html
    assert 'name="confirmed_warnings" value="birth_place"' in html
    assert '<input type="hidden" name="declared" value="on">' in html  # confirmed already by the save
    assert not Birth.objects.exists()

    response = logged_in.post(URL, {**data, "confirmed_warnings": "birth_place"})

    assert response.status_code == 302
    birth = Birth.objects.get()
    assert birth.birth_hospital_name == "院外分娩（家中或途中）" and birth.birth_hospital is None


def test_the_page_suggests_the_communities_its_hospital_registered_lately(logged_in, clerk):
    today = timezone.localdate()
    baby = BabyInput(Sex.FEMALE, today - timedelta(days=2))
    xingning = factories.division_chain(
        "450102001003", ("广西壮族自治区", "南宁市", "兴宁区", "民生街道", "兴宁社区居委会")
    )
    Division.objects.filter(pk=xingning.pk).update(full_name="南宁市 兴宁区 民生街道 兴宁社区居委会")
    factories.register(clerk, community=xingning, babies=[baby], today=today)
    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    )
    mother = ParentInput("李五", factories.id_number(order="042"))
    factories.register(other.user, mother=mother, babies=[baby], today=today)  # 新竹社区, not this hospital's

    html = logged_in.get(URL).content.decode()

    buttons = re.findall(
        r"<button[^>]*data-community-suggestion=\"([^\"]*)\"[^>]*data-regions=\"([^\"]*)\"", html
    )
    assert len(buttons) == 1
    row, regions = json.loads(unescape(buttons[0][0])), buttons[0][1]
    assert (row["id"], row["name"], regions) == (xingning.pk, "兴宁社区居委会", "450102")
    assert row["full_name"] == "南宁市 兴宁区 民生街道 兴宁社区居委会"
    assert row["address_start"] == "广西壮族自治区南宁市兴宁区民生街道兴宁社区"
    assert "本院近期登记的社区" in html


def test_the_agency_warning_is_confirmed_by_its_code_only(logged_in):
    factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))
    data = form_data(mother_id_number=GUILIN_MOTHER, agency_warning_confirmed="on")

    response = logged_in.post(URL, data)

    assert response.status_code == 200
    assert 'name="confirmed_warnings" value="agency_mismatch"' in response.content.decode()
    assert not Birth.objects.exists()


def test_it_keeps_the_uploads_of_a_failed_submit_and_saves_them_next_time(logged_in, clerk):
    head, parent_page = png_bytes("white"), png_bytes("black")
    data = form_data(household_address="")
    data["material_household_head"] = SimpleUploadedFile("户主页.png", head, "image/png")
    data["material_household_parent"] = SimpleUploadedFile("母亲页.png", parent_page, "image/png")

    html = logged_in.post(URL, data).content.decode()

    assert "请填写户口详址" in html
    assert "已上传：" in html and "户主页.png" in html and "母亲页.png" in html
    tokens = staged_tokens(html)
    assert set(tokens) == {"household_head", "household_parent"}
    assert not Material.objects.exists()

    again = form_data(request_key=data["request_key"])
    again.update({f"staged_{kind}": token for kind, token in tokens.items()})
    response = logged_in.post(URL, again)

    assert response.status_code == 302
    materials = {m.kind: m for m in Material.objects.all()}
    assert materials["household_head"].file.read() == head
    assert materials["household_parent"].file.read() == parent_page
    assert materials["household_head"].original_name == "户主页.png"
    assert all(kept_scan_get(user=clerk, token=token) is None for token in tokens.values())


def test_it_refuses_a_file_that_is_not_a_scan_and_keeps_the_good_one(logged_in):
    data = form_data(household_address="")
    data["material_household_head"] = SimpleUploadedFile("户主页.png", png_bytes(), "image/png")
    data["material_birth_record"] = SimpleUploadedFile("记录.jpg", b"GIF89a not a jpeg", "image/jpeg")
    data["material_id_card"] = SimpleUploadedFile("身份证.png", png_bytes()[:40], "image/png")

    html = logged_in.post(URL, data).content.decode()

    assert "记录.jpg：只能上传 JPEG、PNG 图片或 PDF 文件。" in html
    assert "身份证.png：图片文件已损坏或不完整" in html
    assert set(staged_tokens(html)) == {"household_head"}


def test_it_ignores_another_users_staged_token(logged_in, clerk):
    other = factories.operator_make(username="other", hospital=clerk.operator.hospital).user
    staged = kept_scan_store(
        user=other, material_kind="household_head", original_name="a.png", content=png_bytes()
    )

    response = logged_in.post(URL, form_data(staged_household_head=staged.token))

    assert response.status_code == 302
    assert not Material.objects.exists()
    assert kept_scan_get(user=other, token=staged.token) is not None


def test_a_replayed_post_registers_the_birth_once(logged_in):
    data = form_data(babies=(("2", 4), ("2", 4)))

    first = logged_in.post(URL, data)
    second = logged_in.post(URL, data)

    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Birth.objects.count() == 1 and Newborn.objects.count() == 2


def test_it_accepts_a_community_code_typed_into_the_box(logged_in):
    response = logged_in.post(URL, form_data(community="", community_text="450103001001"))

    assert response.status_code == 302
    assert Birth.objects.get().community.code == "450103001001"


def test_a_typed_community_id_wins_over_the_picked_one(logged_in):
    village = Division.objects.get(code="450103001001")
    street = village.parent

    html = logged_in.post(
        URL, form_data(community=str(village.pk), community_text=str(street.pk))
    ).content.decode()

    assert "请选择到村（社区）一级的参保社区" in html
    assert not Birth.objects.exists()


def test_it_reports_an_unknown_community(logged_in):
    html = logged_in.post(URL, form_data(community="", community_text="没有这个社区")).content.decode()

    assert "没有找到该参保社区" in html
    assert not Birth.objects.exists()


def test_it_registers_by_birth_certificate_number(logged_in):
    data = form_data(route="birth_certificate", **{"babies-0-birth_certificate_number": "q450123456"})

    response = logged_in.post(URL, data)

    newborn = Newborn.objects.get()
    assert response.status_code == 302
    assert newborn.birth_certificate_number == "Q450123456" and newborn.temp_id is None


GARBAGE = [
    {"mother_name": "张" * 100_000},
    {"household_address": "路\x00号"},
    {"mother_name": "张\u202e三"},
    {"mother_id_number": "４５０１０３" + "9" * 5000},
    {"babies-0-birth_date": "99999-99-99"},
    {"babies-0-birth_date": "0000-01-01"},
    {"babies-0-birth_date": "1" * 10_000},
    {"babies-0-sex": "3"},
    {"babies-0-sex": "男"},
    {"babies-TOTAL_FORMS": "1000000"},
    {"babies-TOTAL_FORMS": "-1"},
    {"babies-TOTAL_FORMS": None, "babies-INITIAL_FORMS": None},
    {"babies-TOTAL_FORMS": "9"},
    {"route": "sql'; drop table", "parent_role": "grandmother"},
    {"community": "../../etc/passwd", "community_text": ""},
    {"community": "9" * 40, "community_text": "9" * 13},
    {"community_text": "123456789012345678901234567890"},
    {"request_key": "not-a-uuid"},
    {"staged_household_head": "../../../etc/passwd"},
    {"staged_id_card": "0" * 32},
    {"nationality": "XXX", "ethnicity": "<script>"},
    {"agency_warning_confirmed": "yes please"},
    {"phone": "+" * 500},
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_never_breaks_the_page(logged_in, garbage):
    response = logged_in.post(URL, form_data(**garbage))

    assert response.status_code in (200, 302, 400)
    if response.status_code == 200:
        assert "未保存" in response.content.decode() or "参保所属机构提示" in response.content.decode()


def test_a_raw_body_with_broken_encoding_never_breaks_the_page(logged_in):
    body = b"mother_name=%FF%FE%ED%A0%80&babies-0-birth_date=%C0%AF&route=%00"

    response = logged_in.post(URL, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code in (200, 400)


def test_a_file_above_the_size_limit_is_refused(logged_in, settings):
    settings.MATERIAL_MAX_BYTES = 1024
    data = form_data(household_address="")
    data["material_household_head"] = SimpleUploadedFile("大.png", b"\x89PNG\r\n\x1a\n" + b"0" * 2048)

    html = logged_in.post(URL, data).content.decode()

    assert "超过" in html and staged_tokens(html) == {}


# --- the preview --------------------------------------------------------------------------------


PREVIEW = "/register/preview"


def test_the_preview_gives_twin_girls_X_and_x(logged_in):
    response = logged_in.post(
        PREVIEW, {"parent_id": MOTHER_ID, "parent_name": "张三", "role": "mother", "sexes": "2,2"}
    )

    assert response.status_code == 200
    babies = response.json()["babies"]
    assert [b["letter"] for b in babies] == ["X", "x"]
    assert [b["temp_id"] for b in babies] == [MOTHER_ID + "X", MOTHER_ID + "x"]
    assert [b["name"] for b in babies] == ["张三之女", "张三之女"]


def test_the_preview_gives_x_after_an_earlier_X(logged_in, clerk):
    factories.register(clerk)  # an earlier daughter got X

    babies = logged_in.post(PREVIEW, {"parent_id": MOTHER_ID, "sexes": "2"}).json()["babies"]

    assert [b["letter"] for b in babies] == ["x"] and babies[0]["name"] is None


def test_the_preview_leaves_a_baby_without_sex_open(logged_in):
    babies = logged_in.post(PREVIEW, {"parent_id": MOTHER_ID, "sexes": "1,,2"}).json()["babies"]

    assert [b["letter"] for b in babies] == ["Y", None, "X"]


def test_the_preview_names_the_babies_as_the_server_does_before_the_id_is_complete(logged_in):
    babies = logged_in.post(PREVIEW, {"parent_id": "", "parent_name": "覃小梅", "sexes": "2,1"}).json()[
        "babies"
    ]

    assert [(b["name"], b["temp_id"]) for b in babies] == [("覃小梅之女", None), ("覃小梅之子", None)]


@pytest.mark.parametrize(
    "data",
    [
        {"parent_id": "123"},
        {"parent_id": MOTHER_ID, "sexes": "3"},
        {"parent_id": FATHER_ID, "role": "mother"},
        {"sexes": "2"},
        {"parent_id": MOTHER_ID, "sexes": "2" * 5000},
    ],
)
def test_the_preview_explains_a_bad_query(logged_in, data):
    response = logged_in.post(PREVIEW, data)

    assert response.status_code == 400
    assert response.json()["error"]


def test_the_preview_takes_no_id_number_in_its_url(logged_in):
    # Issue 14: a GET would put the parent's ID number into proxy logs and the browser's history.
    response = logged_in.get(f"{PREVIEW}?parent_id={MOTHER_ID}&parent_name=张三&role=mother&sexes=2")

    assert response.status_code == 405


def test_the_preview_needs_the_pages_csrf_token(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    page = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"parent_id": MOTHER_ID, "sexes": "2"}

    assert client.post(PREVIEW, data).status_code == 403
    assert client.post(PREVIEW, data, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_the_preview_is_refused_without_module_access(client, clerk):
    clerk.operator.access = Operator.Access.NONE
    clerk.operator.save(update_fields=["access"])
    client.force_login(clerk)

    assert client.post(PREVIEW, {"parent_id": MOTHER_ID, "sexes": "2"}).status_code == 403


# --- the result page ----------------------------------------------------------------------------


def test_the_result_of_another_hospital_is_not_found(logged_in):
    other_hospital = factories.hospital_make(code="H45010300002", name="另一家医院")
    other = factories.operator_make(username="other", hospital=other_hospital).user
    birth = factories.register(other)

    assert logged_in.get(f"/register/done/{birth.pk}/").status_code == 404
    assert logged_in.get("/register/done/999999/").status_code == 404


# --- staging --------------------------------------------------------------------------------------


def test_staging_keeps_a_file_for_its_user_only(clerk):
    other = factories.user_make("other")
    content = png_bytes()

    staged = kept_scan_store(
        user=clerk, material_kind="id_card", original_name="C:\\扫描\\身份证.png", content=content
    )

    assert staged.original_name == "身份证.png" and staged.content_type == "image/png"
    assert kept_upload_read(kept_scan_get(user=clerk, token=staged.token)) == content
    assert kept_scan_get(user=other, token=staged.token) is None
    kept_upload_discard(kept_scan_get(user=clerk, token=staged.token))
    assert kept_scan_get(user=clerk, token=staged.token) is None
    assert not default_storage.exists(staged.file.name)


def test_staging_ignores_tokens_that_are_not_uuids(clerk):
    for token in ("../../settings.py", "", None, "0" * 31, "é" * 32):
        assert kept_scan_get(user=clerk, token=token) is None


def test_staging_cleanup_removes_only_stale_files(clerk):
    old = kept_scan_store(user=clerk, material_kind="id_card", original_name="old.png", content=png_bytes())
    new = kept_scan_store(user=clerk, material_kind="id_card", original_name="new.png", content=png_bytes())
    KeptUpload.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=2))

    removed = kept_uploads_clean(scans_older_than=timedelta(days=1))

    assert removed.scans == 1
    assert kept_scan_get(user=clerk, token=old.token) is None
    assert not default_storage.exists(old.file.name)
    assert kept_scan_get(user=clerk, token=new.token) is not None
    assert kept_uploads_clean(scans_older_than=timedelta(days=1)).scans == 0


def _letters(client, **data) -> list[str]:
    response = client.post(PREVIEW, {"role": "mother", "sexes": "2", **data})
    assert response.status_code == 200, response.content
    return [baby["letter"] for baby in response.json()["babies"]]


def test_the_preview_shows_another_hospitals_letters_only_with_the_agreeing_name(client, clerk, other_clerk):
    register(clerk)  # the first hospital issued X
    client.force_login(other_clerk)

    assert _letters(client, parent_id=MOTHER_ID) == ["X"]  # no name: nothing of her history
    assert _letters(client, parent_id=MOTHER_ID, parent_name="王五") == ["X"]
    assert _letters(client, parent_id=MOTHER_ID, parent_name="张三") == ["x"]


def test_the_preview_shows_the_own_hospitals_letters_whatever_the_name(client, clerk):
    register(clerk)
    client.force_login(clerk)

    assert _letters(client, parent_id=MOTHER_ID) == ["x"]
