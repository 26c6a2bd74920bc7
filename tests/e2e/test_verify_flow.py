"""The settlement desk in a real browser: a card's code typed (as a QR scanner types it), its birth date."""

from datetime import date

import pytest

from registration.services.lifecycle import payment_record
from registration.services.newborns import ParentInput
from tests import factories

pytestmark = pytest.mark.e2e


def test_a_desk_checks_a_paid_card_and_sees_it_covered(logged_in_page, clerk, pinned_today):
    birth = factories.register(clerk, mother=ParentInput("覃小梅", factories.MOTHER_ID, ""))
    newborn = birth.newborns.get()
    payment_record(newborn=newborn, user=clerk, paid_on=date(2026, 3, 2), years=[2026], today=factories.TODAY)
    page = logged_in_page

    page.get_by_role("link", name="核验登记卡").click()
    page.get_by_label("新生儿编码").fill(newborn.temp_id)
    page.get_by_label("出生日期").fill("2026-02-26")
    page.get_by_role("button", name="核验").click()

    result = page.get_by_test_id("verify-result")
    assert "今天可以凭此卡享受医保待遇" in result.inner_text()
    assert "覃*之女" in result.inner_text()
    assert "2026年5月25日" in result.inner_text()

    page.get_by_label("新生儿编码").fill(newborn.temp_id[:-1] + "x")
    page.get_by_label("出生日期").fill("2026-02-26")
    page.get_by_role("button", name="核验").click()
    assert "没有找到" in page.get_by_test_id("verify-result").inner_text()
