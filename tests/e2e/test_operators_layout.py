"""Issue 29, item 7 in a real browser at 1366×768: the administrator's operators list fits the screen
(开通/撤销 within it, a remark wrapping as a paragraph), the waiting requests are counted in the menu and come
first, and a withdrawal asks for its confirmation and reason."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from registration.models import Operator
from tests import factories
from tests.e2e.pages import login

pytestmark = pytest.mark.e2e

WIDTH = 1366
REMARK = "产科护士站夜班，负责周末及节假日的新生儿预参保登记"  # 24 characters
SCREENSHOTS = Path(os.environ.get("NEWBORN_SCREENSHOTS", "/tmp/newborn-screenshots"))


@pytest.fixture
def operators(clerk):
    """Two hospitals' operators, the longest names and remarks first: what widens a table."""
    long_named = factories.hospital_make(
        code="H45010300077", name="广西壮族自治区妇幼保健院（厢竹院区）产科", is_active=False
    )
    for index, access in enumerate(("requested", "granted", "requested", "withdrawn", "none")):
        factories.operator_make(
            username=f"operator_with_a_long_login_{index}",
            hospital=long_named if index % 2 else clerk.operator.hospital,
            real_name=f"欧阳晓燕{index}号"[:5],
            access=access,
            remark=REMARK,
            id_number=factories.id_number(born="19900101", order=f"{index + 1:02d}4"),
        )
    factories.user_make("admin", is_staff=True)


def test_the_operators_list_fits_a_1366_screen_and_reads_its_remarks(page, operators):
    login(page, "admin")

    menu = page.locator("[data-pending-requests]")
    expect(menu).to_contain_text("2")
    menu.click()
    page.wait_for_url("**/operators/?access=requested")
    page.goto("/operators/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operators-1366.png"), full_page=True)

    rows = page.locator("tbody tr")
    assert rows.count() == 6
    # The waiting requests first.
    assert [rows.nth(i).locator(".badge").first.inner_text() for i in range(2)] == ["已申请", "已申请"]
    # No sideways scrolling: the table fits its box, and every action button is on the screen.
    overflow = page.locator(".table-responsive").evaluate("box => box.scrollWidth - box.clientWidth")
    assert overflow <= 0, overflow
    for button in page.locator("td.app-operators-actions .btn").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    # A remark reads as a paragraph: a few lines, never one character a line.
    for cell in page.locator("td[data-remark]").all():
        lines = cell.evaluate(
            "cell => Math.round(cell.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(cell).lineHeight))"
        )
        assert lines <= 4, lines
        assert cell.bounding_box()["width"] >= 140
    # The disabled hospital is marked on its rows.
    expect(page.locator("[data-hospital-disabled]").first).to_be_visible()


def test_a_withdrawal_asks_for_confirmation_and_a_reason(page, operators):
    login(page, "admin")
    page.goto("/operators/?access=granted")
    row = page.locator("tr", has_text="李经办")

    row.get_by_role("link", name="撤销").click()
    expect(page.get_by_role("heading", name="撤销模块权限")).to_be_visible()
    page.get_by_role("button", name="确认撤销").click()  # no reason yet
    expect(page.get_by_text("请填写原因。")).to_be_visible()
    page.get_by_label("原因").fill("已调离产科")
    page.get_by_role("button", name="确认撤销").click()

    expect(page.get_by_text("原因已记录")).to_be_visible()
    page.wait_for_url("**/operators/?access=granted")
    clerk = Operator.objects.get(real_name="李经办")
    assert (clerk.access, clerk.access_reason) == (Operator.Access.WITHDRAWN, "已调离产科")
