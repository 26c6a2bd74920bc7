"""Every page of the app under axe-core's WCAG 2 A and AA rules, in Chromium: no violation (issue 18, item 2).

Chinese public-service web content follows GB/T 37668-2019, close to WCAG 2.0 AA. axe-core is vendored in
tests/e2e/assets/axe-core/ (README.md there: version, checksum, licence) and injected into each page as
it is shown, after its scripts have run; every rule tagged wcag2a, wcag2aa, wcag21a or wcag21aa runs,
none is turned off. Pages are visited in the states a clerk sees them: empty, with form errors, with the
community picker's list open, with records of every state.
"""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from registration.models import Newborn, Operator, Sex
from registration.services.lifecycle import (
    newborn_formalize,
    newborn_special_group_set,
    newborn_void,
    payment_record,
)
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.e2e.pages import fill_registration

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now, each with its rule, impact and the nodes' targets."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # through the DevTools protocol: no CSP applies
    results = page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run(document, options);
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )
    return results


class Survey:
    """The violations of each page visited, reported together so one run shows every page's problems."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[dict]] = {}
        self.pages: list[str] = []

    def check(self, label: str, heading: str | None = None) -> None:
        """Run axe-core on the page as shown; `heading`, when given, is text its <h1> must contain, so a
        redirect or an error page cannot pass for the page meant."""
        self.page.wait_for_load_state("load")
        if heading is not None:
            expect(self.page.locator("h1").first).to_contain_text(heading)
        self.pages.append(label)
        violations = axe_violations(self.page)
        if violations:
            self.found[f"{label} ({self.page.url})"] = violations

    def visit(self, url: str, label: str, heading: str | None = None) -> None:
        response = self.page.goto(url)
        assert response is not None and "text/html" in response.headers["content-type"], url
        self.check(label, heading)

    def assert_clean(self) -> None:
        assert self.pages
        lines = []
        for label, violations in self.found.items():
            lines.append(f"{label}:")
            for violation in violations:
                lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
                for node in violation["nodes"][:8]:
                    summary = " ".join(node["summary"].split())
                    lines.append(f"    {node['target']}: {summary}")
        assert not self.found, "axe-core violations:\n" + "\n".join(lines)


def login(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def newborns_of_every_state(clerk) -> dict[str, Newborn]:
    """Records registered, paid, formally enrolled (and flagged a special group), voided, and one whose
    last day is today (the follow-up list's urgent row); each state shows its own badges and buttons."""
    today = timezone.localdate()
    made = {}
    for index, state in enumerate(("registered", "paid", "formalized", "void", "expiring"), start=1):
        born = today - timedelta(days=3 + index)
        birth = factories.register(
            clerk,
            mother=ParentInput(
                f"母亲{'一二三四五'[index - 1]}", factories.id_number(order=f"{index:02d}2"), "13877112345"
            ),
            babies=[BabyInput(Sex.FEMALE, born)],
            today=born + timedelta(days=1),
        )
        made[state] = birth.newborns.get()
    for state in ("paid", "formalized"):
        payment_record(newborn=made[state], user=clerk, paid_on=today, years=[today.year], today=today)
    formalized = made["formalized"]
    real_id = factories.id_number(born=formalized.birth_date.strftime("%Y%m%d"), order="004")
    newborn_formalize(newborn=formalized, user=clerk, real_name="张小花", real_id_number=real_id, today=today)
    newborn_special_group_set(newborn=formalized, user=clerk, special_group="low_income")
    newborn_void(newborn=made["void"], user=clerk, reason="重复登记")
    Newborn.objects.filter(pk=made["expiring"].pk).update(last_day=today)
    return {state: Newborn.objects.get(pk=newborn.pk) for state, newborn in made.items()}


def test_the_login_and_error_pages_have_no_accessibility_violations(page, clerk):
    survey = Survey(page)
    survey.visit("/login/", "login", "登录")
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".alert")).to_be_visible()
    survey.check("login, wrong password", "登录")
    survey.visit("/no-such-page/", "404", "找不到该页面或记录")
    page.goto("/login/")
    page.context.clear_cookies()  # the CSRF cookie gone: the form is refused
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    survey.check("login refused (CSRF)", "页面已过期")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/login/")
        page.get_by_label("用户名").fill(clerk.username)
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
    survey.check("locked out", "登录已暂时锁定")
    # The server-error page is plain HTML with its own styles (no request, no static files).
    page.set_content((settings.BASE_DIR / "templates" / "500.html").read_text(encoding="utf-8"))
    survey.check("500", "系统出错")
    survey.assert_clean()


def test_a_clerks_pages_have_no_accessibility_violations(logged_in_page, clerk):
    page = logged_in_page
    made = newborns_of_every_state(clerk)
    survey = Survey(page)
    survey.visit("/", "home", "您好")

    survey.visit("/register/", "registration, empty", "新生儿预参保登记")
    page.locator("[data-submit]", has_text="保存").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    survey.check("registration, errors")
    page.goto("/register/")
    page.locator("#id_community_text").fill("新竹")
    expect(page.get_by_role("option").first).to_be_visible()
    survey.check("registration, the community picker's list open")
    fill_registration(page, address="广西南宁市青秀区新竹路1号")
    page.locator("#id_father_id_number").fill(factories.FATHER_ID)
    expect(page.locator("[data-advisor]")).to_be_visible()
    survey.check("registration, filled in, with the advisor")
    page.locator("#id_father_id_number").fill("")  # the advisor's joint handling asks for more
    page.locator("[data-submit]", has_text="保存").click()
    page.wait_for_url("**/register/done/**")
    survey.check("register done", "登记完成")

    survey.visit("/newborns/", "records list", "登记查询")
    survey.visit("/newborns/?q=母亲一", "records list, searched", "登记查询")
    for state, newborn in made.items():
        survey.visit(f"/newborns/{newborn.pk}/", f"record detail, {state}", newborn.name)
    registered, paid = made["registered"], made["paid"]
    survey.visit(f"/newborns/{registered.pk}/payment", "payment", "录入缴费")
    survey.visit(f"/newborns/{registered.pk}/void", "void", "作废")
    page.get_by_role("button", name="确认作废").click()
    expect(page.get_by_text("请勾选确认后再作废")).to_be_visible()
    survey.check("void, errors", "作废")
    survey.visit(f"/newborns/{paid.pk}/formalize", "formal enrollment", "正式参保")
    page.get_by_role("button", name="办理正式参保").click()
    survey.check("formal enrollment, errors", "正式参保")
    survey.visit(f"/newborns/{registered.pk}/special-group", "special group", "特殊人群")
    survey.visit(f"/newborns/{made['void'].pk}/payment", "payment, refused for a void record")
    survey.visit("/followup/", "follow-up", "待跟进")
    survey.visit("/password/", "password change", "修改密码")
    survey.visit("/cards/batch.pdf?date=bad", "card print error", "无法打印登记卡")
    survey.visit(
        f"/cards/batch.pdf?ids={made['void'].pk},{registered.pk}",
        "card batch, records left out",
        "不能打印登记卡",
    )
    survey.visit("/reports/", "reports, denied to a clerk", "无法使用此功能")
    survey.assert_clean()


def test_a_supervisors_pages_have_no_accessibility_violations(page, clerk):
    newborns_of_every_state(clerk)
    factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born="19800101", order="035"),
    )
    login(page, "super")
    survey = Survey(page)
    survey.visit("/", "home, supervisor", "您好")
    survey.visit("/reports/", "reports", "统计报表")
    survey.visit("/operators/", "operators", "经办人员")
    survey.visit("/operators/request/", "operator request", "申请开通")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    survey.check("operator request, errors", "申请开通")
    page.get_by_label("经办人姓名").fill("王小芳")
    page.get_by_label("身份证号码").fill(factories.id_number(born="19950612", order="046"))
    page.get_by_label("联系电话").fill("13877100001")
    page.get_by_label("登录用户名").fill("wangxf")
    page.get_by_role("button", name="提交申请").click()
    survey.check("operator requested, its one-time password", "已为王小芳提交开通申请")
    survey.visit("/operators/", "operators, one requested", "经办人员")
    survey.visit("/audit/", "audit", "审计日志")
    survey.visit("/followup/", "follow-up, supervisor", "待跟进")
    survey.assert_clean()


def test_an_administrators_pages_have_no_accessibility_violations(page, clerk, tmp_path):
    made = newborns_of_every_state(clerk)
    factories.user_make("admin", is_staff=True)
    login(page, "admin")
    survey = Survey(page)
    survey.visit("/", "home, administrator")
    survey.visit("/payments/import/", "payment import", "缴费名单导入")
    listing = tmp_path / "缴费名单.csv"
    today = timezone.localdate()
    listing.write_bytes(
        (
            "新生儿编码,到账日期,缴费年度\r\n"
            f"{made['registered'].temp_id},{today},{today.year}\r\n"
            f"{made['void'].temp_id},{today},{today.year}\r\n"
            f"XX-NOT-A-CODE,{today},{today.year}\r\n"
        ).encode("gbk")
    )
    page.get_by_label("缴费名单文件").set_input_files(str(listing))
    page.get_by_role("button", name="上传并预览").click()
    survey.check("payment import preview", "导入预览")
    survey.visit("/operators/", "operators, administrator", "经办人员")
    survey.visit("/audit/", "audit, administrator", "审计日志")
    survey.visit("/newborns/", "records list, administrator", "登记查询")
    survey.visit("/followup/", "follow-up, administrator", "待跟进")
    survey.visit("/reports/", "reports, administrator", "统计报表")
    survey.assert_clean()


def test_the_axe_check_finds_a_contrast_violation_when_there_is_one(page, live_server):
    # The check itself can fail: light grey text on white is reported.
    page.goto("/login/")
    page.evaluate("document.querySelector('h1, h2, h3, label').style.color = '#bbbbbb'")
    violations = axe_violations(page)

    assert [v["id"] for v in violations] == ["color-contrast"]
    assert json.dumps(violations)  # plain data, printable in the report
