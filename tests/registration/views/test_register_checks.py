"""The registration page's newer checks: the community in the same round, required scans, the warnings to
confirm, the age in the live preview, and scans added on a record's page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registration.models import AuditEntry, Birth, Material, Newborn, Operator
from registration.services.lifecycle import newborn_void
from tests import factories
from tests.factories import MOTHER_ID
from tests.registration.views.test_register import URL, days_ago, form_data, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, clerk):
    client.force_login(clerk)
    return client


def upload(name: str, color="white") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(color), "image/png")


# --- the community, reported with everything else -----------------------------------------------------


def test_an_unknown_community_is_reported_with_the_other_mistakes(logged_in):
    data = form_data(community="", community_text="没有这个社区", phone="")

    html = logged_in.post(URL, data).content.decode()

    assert "没有找到该参保社区" in html and "逐级选择" in html
    assert "请填写联系电话" in html
    assert not Birth.objects.exists()


def test_a_name_borne_by_two_communities_asks_the_clerk_to_pick_one(logged_in):
    factories.division_chain("450103002001", ("广西壮族自治区", "南宁市", "青秀区", "中山街道", "新竹社区"))

    html = logged_in.post(URL, form_data(community="", community_text="新竹社区")).content.decode()

    assert "有多个同名的村（社区），请从输入框下方的列表中选择" in html
    assert not Birth.objects.exists()


# --- required scans ------------------------------------------------------------------------------------


def test_it_asks_for_the_scans_with_the_other_mistakes_and_keeps_what_was_uploaded(logged_in):
    data = form_data(materials_deferred=None, phone="")
    data["material_household_head"] = upload("户主页.png")

    html = logged_in.post(URL, data).content.decode()

    assert "户口簿须上传户主页和证件所属父（母）亲信息页两页" in html
    assert "请上传出生记录（产时记录、产科登记表）或出生医学证明" in html
    assert "请填写联系电话" in html
    token = re.search(r'name="staged_household_head" value="([0-9a-f]{32})"', html).group(1)
    assert not Birth.objects.exists()

    data = form_data(materials_deferred=None, staged_household_head=token)
    data["material_household_parent"] = upload("本人页.png", "black")
    data["material_birth_record"] = upload("出生记录.png", "gray")
    response = logged_in.post(URL, data)

    assert response.status_code == 302
    kinds = sorted(Birth.objects.get().materials.values_list("kind", flat=True))
    assert kinds == ["birth_record", "household_head", "household_parent"]


def test_deferred_scans_are_flagged_on_the_result_and_the_record(logged_in):
    response = logged_in.post(URL, form_data())
    birth = Birth.objects.get()
    newborn = birth.newborns.get()

    done = logged_in.get(response["Location"]).content.decode()
    assert "材料不全" in done and f"/newborns/{newborn.pk}/" in done

    page = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()
    assert "材料不全" in page and "补传材料" in page


# --- warnings --------------------------------------------------------------------------------------------


def test_a_possible_duplicate_is_shown_and_saved_once_confirmed(logged_in):
    assert logged_in.post(URL, form_data()).status_code == 302
    first = Newborn.objects.get()

    data = form_data()
    html = logged_in.post(URL, data).content.decode()

    assert "可能重复登记" in html and first.personal_number in html
    assert 'name="confirmed_warnings" value="possible_duplicate"' in html
    assert Newborn.objects.count() == 1

    response = logged_in.post(URL, {**data, "confirmed_warnings": "possible_duplicate"})
    assert response.status_code == 302
    assert Newborn.objects.count() == 2


def test_a_confirmation_of_one_warning_does_not_cover_another(logged_in):
    assert logged_in.post(URL, form_data()).status_code == 302
    data = form_data(mother_name="张叁", confirmed_warnings="possible_duplicate")

    html = logged_in.post(URL, data).content.decode()

    assert "与该身份证号码此前登记的姓名不一致" in html and "「张三」" not in html  # never the earlier name
    assert Newborn.objects.count() == 1


def test_unknown_warning_codes_confirm_nothing(logged_in):
    assert logged_in.post(URL, form_data()).status_code == 302

    html = logged_in.post(URL, form_data(confirmed_warnings="everything " * 10)).content.decode()

    assert "可能重复登记" in html and Newborn.objects.count() == 1


# --- the live preview's age check ----------------------------------------------------------------------


def test_the_preview_says_which_baby_is_too_old_or_not_born_yet(logged_in):
    data = {
        "parent_id": MOTHER_ID,
        "sexes": "2,2,1",
        "births": f"{days_ago(4)},{days_ago(120)},{days_ago(-1)}",
    }
    babies = logged_in.post("/register/preview", data).json()["babies"]

    assert [baby["letter"] for baby in babies] == ["X", "x", "Y"]
    assert babies[0]["problem"] is None
    assert "出生已满3个月" in babies[1]["problem"]
    assert "不能晚于今天" in babies[2]["problem"]


def test_the_preview_checks_the_age_without_a_parents_id(logged_in):
    data = {"sexes": "2", "births": f"{days_ago(120)},2026-13-40"}
    babies = logged_in.post("/register/preview", data).json()["babies"]

    assert babies[0]["temp_id"] is None and "出生已满3个月" in babies[0]["problem"]
    assert babies[1]["problem"] is None  # a date still being typed is no date


# --- scans added on the record's page ------------------------------------------------------------------


def test_a_clerk_adds_a_scan_on_the_records_page(logged_in, clerk):
    logged_in.post(URL, form_data())
    newborn = Newborn.objects.get()

    response = logged_in.post(
        f"/newborns/{newborn.pk}/materials/add", {"kind": "id_card", "file": upload("身份证.png")}
    )

    assert response.status_code == 302 and response["Location"].endswith(
        f"/newborns/{newborn.pk}/#h-materials"
    )
    material = Material.objects.get()
    assert (material.kind, material.original_name, material.uploaded_by) == ("id_card", "身份证.png", clerk)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, newborn=newborn).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "id_card"}, "请选择要上传的文件"),
        ({"kind": "passport", "file": "png"}, "请从列表中选择材料类型"),
        ({"kind": "id_card", "file": "html"}, "只能上传 JPEG、PNG 图片或 PDF 文件"),
    ],
)
def test_a_bad_scan_on_the_records_page_is_refused_in_chinese(logged_in, data, message):
    logged_in.post(URL, form_data())
    newborn = Newborn.objects.get()
    files = {"png": upload("a.png"), "html": SimpleUploadedFile("a.png", b"<html></html>", "image/png")}
    if "file" in data:
        data = {**data, "file": files[data["file"]]}

    response = logged_in.post(f"/newborns/{newborn.pk}/materials/add", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Material.objects.exists()


def test_a_void_records_page_takes_no_scan(logged_in, clerk):
    logged_in.post(URL, form_data())
    newborn = Newborn.objects.get()
    newborn_void(newborn=newborn, user=clerk, reason="登记错误")

    page = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()
    response = logged_in.post(
        f"/newborns/{newborn.pk}/materials/add", {"kind": "id_card", "file": upload("身份证.png")}
    )

    assert "补传材料" not in page
    assert response.status_code == 400 and "已作废" in response.content.decode()
    assert not Material.objects.exists()


def test_another_hospitals_record_takes_no_scan(client, clerk):
    newborn = factories.register(clerk).newborns.get()
    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45030200001", name="桂林市妇幼保健院")
    ).user
    client.force_login(other)

    response = client.post(
        f"/newborns/{newborn.pk}/materials/add", {"kind": "id_card", "file": upload("a.png")}
    )

    assert response.status_code == 404
    assert not Material.objects.exists()


# --- the menu ------------------------------------------------------------------------------------------


def test_a_clerk_without_module_access_is_not_offered_the_module_pages(client, clerk):
    clerk.operator.access = Operator.Access.REQUESTED
    clerk.operator.save(update_fields=["access"])
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert 'href="/register/"' not in html and 'href="/newborns/"' not in html


def test_a_granted_clerk_is_offered_the_module_pages(logged_in):
    html = logged_in.get("/").content.decode()

    assert 'href="/register/"' in html and 'href="/newborns/"' in html
