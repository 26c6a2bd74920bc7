"""After registration in a real browser (issue 5): payment, formal enrollment, special group, void, import."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registration.models import AuditEntry, Newborn, Payment, Sex
from registration.services.newborns import BabyInput
from tests import factories

pytestmark = pytest.mark.e2e


@pytest.fixture
def newborn(clerk):
    # The live server judges by the real date: a girl born ten days ago, registered the next day.
    born = timezone.localdate() - timedelta(days=10)
    return factories.register(
        clerk, babies=[BabyInput(Sex.FEMALE, born)], today=born + timedelta(days=1)
    ).newborns.get()


def test_a_clerk_records_a_payment_then_formal_enrollment_and_a_special_group(logged_in_page, newborn):
    page = logged_in_page
    today = timezone.localdate()
    page.goto(f"/newborns/{newborn.pk}/")
    expect(page.get_by_text("缴费后确定")).to_be_visible()

    page.get_by_role("link", name="录入缴费").click()
    page.get_by_label("到账日期").fill(today.isoformat())
    page.get_by_label(f"{today.year}年度").check()
    page.get_by_label("缴费凭证号").fill("GX-2026-0001")
    page.get_by_role("button", name="录入缴费").click()

    expect(page.get_by_role("alert").filter(has_text="缴费已录入")).to_be_visible()
    expect(page.locator("#h-life").locator("..").locator("..")).to_contain_text("从出生之日起享受待遇")
    expect(page.get_by_role("cell", name="GX-2026-0001")).to_be_visible()

    page.get_by_role("link", name="正式参保").click()
    wrong_day = factories.id_number(
        born=(newborn.birth_date + timedelta(days=1)).strftime("%Y%m%d"), order="004"
    )
    page.get_by_label("真实姓名").fill("张小花")
    page.get_by_label("身份证号码").fill(wrong_day)
    page.get_by_role("button", name="办理正式参保").click()
    expect(page.get_by_text("与登记的出生日期")).to_be_visible()
    expect(page.get_by_label("身份证号码")).to_have_value(wrong_day)
    expect(page.get_by_label("真实姓名")).to_have_value("张小花")

    real_id = factories.id_number(born=newborn.birth_date.strftime("%Y%m%d"), order="004")
    page.get_by_label("身份证号码").fill(real_id)
    page.get_by_role("button", name="办理正式参保").click()
    expect(page.get_by_role("alert").filter(has_text="已办理正式参保")).to_be_visible()
    expect(page.get_by_text(real_id)).to_be_visible()
    expect(page.get_by_text(newborn.temp_id, exact=True).first).to_be_visible()  # kept as history

    page.get_by_role("link", name="特殊人群").click()
    page.get_by_label("特殊人群类别").select_option(label="低保对象")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="已标记为特殊人群：低保对象")).to_be_visible()

    newborn.refresh_from_db()
    assert (newborn.state, newborn.real_id_number, newborn.special_group) == (
        "formalized",
        real_id,
        "low_income",
    )


def test_a_clerk_voids_a_record_only_after_confirming_with_a_reason(logged_in_page, newborn):
    page = logged_in_page
    page.goto(f"/newborns/{newborn.pk}/")
    page.get_by_role("link", name="作废").click()

    page.get_by_label("作废原因").fill("重复登记")
    page.get_by_role("button", name="确认作废").click()
    expect(page.get_by_text("请勾选确认后再作废")).to_be_visible()
    expect(page.get_by_label("作废原因")).to_have_value("重复登记")
    assert Newborn.objects.get(pk=newborn.pk).state == Newborn.State.REGISTERED

    page.get_by_label("我已核实").check()
    page.get_by_role("button", name="确认作废").click()
    expect(page.get_by_role("alert").filter(has_text="记录已作废")).to_be_visible()
    expect(page.get_by_role("link", name="录入缴费")).to_have_count(0)
    assert AuditEntry.objects.get(action=AuditEntry.Action.VOID, newborn=newborn).reason == "重复登记"


def test_an_administrator_imports_a_payment_list_once(page, newborn, tmp_path: Path):
    factories.user_make("admin", is_staff=True)
    page.goto("/login/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="缴费导入").click()

    paid_on = timezone.localdate().isoformat()
    listing = tmp_path / "缴费名单.csv"
    listing.write_bytes(
        f"新生儿编码,到账日期,缴费年度\r\n{newborn.temp_id},{paid_on},{timezone.localdate().year}\r\n".encode(
            "gbk"
        )
    )
    for attempt in range(2):
        page.get_by_label("缴费名单文件").set_input_files(str(listing))
        page.get_by_role("button", name="上传并预览").click()
        if attempt == 0:
            expect(page.get_by_text("将录入 1")).to_be_visible()
            page.get_by_role("button", name="确认导入 1 笔缴费").click()
            expect(page.get_by_role("alert").filter(has_text="新录入 1 笔缴费")).to_be_visible()
        else:
            expect(page.get_by_text("已录入，跳过 1")).to_be_visible()
            expect(page.get_by_text("没有需要录入的缴费")).to_be_visible()
            page.get_by_role("link", name="重新上传").click()

    assert Payment.objects.filter(newborn=newborn, source=Payment.Source.IMPORT).count() == 1


def test_the_record_pages_late_scan_uses_the_chinese_file_button(logged_in_page, newborn, tmp_path):
    from tests.e2e.test_registration_flow import png_file

    page = logged_in_page
    page.goto(f"/newborns/{newborn.pk}/")
    form = page.locator("#material-add")
    native = form.locator('input[type="file"][name="file"]')

    # The browser's own box ("Choose File / No file chosen") is hidden behind the registration page's button.
    expect(form.locator("label", has_text="选择文件")).to_be_visible()
    expect(form.get_by_text("未选择文件")).to_be_visible()
    assert native.evaluate("input => input.classList.contains('visually-hidden')")
    assert native.bounding_box()["width"] <= 1

    with page.expect_file_chooser() as chooser:
        form.locator("label", has_text="选择文件").click()
    chooser.value.set_files(png_file(tmp_path, "出生记录.png", "gray"))
    expect(form).to_contain_text("出生记录.png")
    expect(form.locator("[data-file-thumb]")).to_be_visible()
    form.get_by_label("材料类型").select_option("birth_record")
    form.get_by_role("button", name="上传").click()

    expect(page.get_by_role("alert").filter(has_text="已补传")).to_be_visible()
    assert [material.original_name for material in newborn.birth.materials.all()] == ["出生记录.png"]
