"""Issue 5, items 5-8 in a real browser: the 出生一件事 advisor, the follow-up list and its export, and
a supervisor's request for a new clerk that an administrator grants."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from registration.models import Newborn, Operator, Sex
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.e2e.pages import fill_registration, login
from tests.factories import FATHER_ID

pytestmark = pytest.mark.e2e


def test_the_registration_page_tells_the_clerk_when_the_family_may_use_the_joint_handling(logged_in_page):
    page = logged_in_page
    fill_registration(page, address="广西南宁市青秀区新竹路1号")
    advisor = page.locator("[data-advisor]")

    expect(advisor).to_be_hidden()  # the father's ID is not typed yet: both parents are needed
    page.locator("#id_father_id_number").fill(FATHER_ID)
    expect(advisor).to_be_visible()
    expect(advisor).to_contain_text("新生儿出生一件事")
    expect(advisor.locator("[data-advisor-confirm] li").first).to_be_visible()

    page.locator("#id_household_type").select_option("40")  # 集体户口: not a family household
    expect(advisor).to_be_hidden()


def test_a_supervisor_sees_whom_to_call_today_and_exports_the_list(page, clerk, tmp_path):
    today = timezone.localdate()
    for index, days_left in enumerate((0, 5, 30), start=1):
        birth = factories.register(
            clerk,
            mother=ParentInput(
                factories.person_name("母亲", index),
                factories.id_number(order=f"{index:02d}2"),
                "13877112345",
            ),
            babies=[BabyInput(Sex.FEMALE, today - timedelta(days=3))],
            today=today,
        )
        Newborn.objects.filter(birth=birth).update(last_day=today + timedelta(days=days_left))
    factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born="19800101", order="035"),
    )
    login(page, "super")

    page.get_by_role("link", name="待跟进").click()

    expect(page.get_by_role("heading", name="今天需要电话提醒谁？")).to_be_visible()
    expect(page.locator('[data-count="due_today"]')).to_have_text("1")
    expect(page.locator('[data-count="urgent"]')).to_have_text("2")
    expect(page.locator("tr[data-urgent]")).to_have_count(2)
    expect(page.locator("tbody tr").first).to_contain_text("今天截止")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / "followup.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path)["待跟进"]
    assert [sheet.cell(row=row, column=2).value for row in range(4, 7)] == [
        "母亲一之女",
        "母亲二之女",
        "母亲三之女",
    ]


def test_a_supervisor_requests_a_clerk_and_an_administrator_grants_it(browser, live_server, clerk):
    factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born="19800101", order="035"),
    )
    factories.user_make("admin", is_staff=True)

    def new_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
        context.set_default_timeout(15_000)
        return context.new_page()

    supervisor = new_page()
    login(supervisor, "super")
    supervisor.get_by_role("link", name="经办人员").click()
    supervisor.get_by_role("link", name="为新经办人申请开通").click()
    supervisor.get_by_label("经办人姓名").fill("王小芳")
    supervisor.get_by_label("身份证号码").fill(factories.id_number(born="19950612", order="046"))
    supervisor.get_by_label("联系电话").fill("13877100001")
    supervisor.get_by_label("登录用户名").fill("wangxf")
    supervisor.get_by_role("button", name="提交申请").click()
    password = supervisor.locator("[data-password]").inner_text().strip()
    assert re.fullmatch(r"\S{4}-\S{4}-\S{4}-\S{4}", password)

    newcomer = new_page()
    login(newcomer, "wangxf", password)
    newcomer.goto("/followup/")  # the one-time password is replaced first
    expect(newcomer.get_by_role("heading", name="修改密码")).to_be_visible()
    newcomer.locator("#id_old_password").fill(password)
    newcomer.locator("#id_new_password1").fill("Qingxiu-Ward-2026")
    newcomer.locator("#id_new_password2").fill("Qingxiu-Ward-2026")
    newcomer.get_by_role("button", name="修改密码").click()
    expect(newcomer.get_by_text("密码已修改")).to_be_visible()
    newcomer.goto("/followup/")
    expect(newcomer.get_by_text("尚未开通")).to_be_visible()

    administrator = new_page()
    login(administrator, "admin", factories.PASSWORD)
    administrator.goto("/operators/?access=requested")
    row = administrator.locator("tr", has_text="王小芳")
    row.get_by_role("button", name="开通", exact=True).click()
    expect(administrator.get_by_text("已开通王小芳")).to_be_visible()

    newcomer.goto("/followup/")
    expect(newcomer.get_by_role("heading", name="今天需要电话提醒谁？")).to_be_visible()
