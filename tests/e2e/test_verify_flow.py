"""The settlement desk in a real browser: a card's code typed (as a QR scanner types it), its birth date."""

from datetime import date

import pytest

from registration.models import Sex
from registration.services.lifecycle import payment_record
from registration.services.newborns import BabyInput, ParentInput
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


def test_a_desk_is_told_which_year_is_unpaid_on_either_side_of_new_year(logged_in_page, clerk, today_is):
    # docs/rules.md, Which days are covered: born 2026-11-28, paid in December for 2026 only.
    born = date(2026, 11, 28)
    newborn = factories.register(
        clerk,
        mother=ParentInput("覃小梅", factories.MOTHER_ID, ""),
        babies=[BabyInput(Sex.FEMALE, born)],
        today=born,
    ).newborns.get()
    payment_record(
        newborn=newborn, user=clerk, paid_on=date(2026, 12, 10), years=[2026], today=date(2026, 12, 10)
    )
    page = logged_in_page

    for day, answer in (
        (date(2026, 12, 20), "今天可以凭此卡享受医保待遇"),
        (date(2027, 1, 5), "2027年度未缴费"),
    ):
        today_is(day)
        page.goto("/verify/")
        page.get_by_label("新生儿编码").fill(newborn.temp_id)
        page.get_by_label("出生日期").fill("2026-11-28")
        page.get_by_role("button", name="核验").click()
        assert answer in page.get_by_test_id("verify-result").inner_text()


def test_a_code_not_found_stays_typed_and_every_answer_names_the_code_checked(
    logged_in_page, clerk, pinned_today
):
    newborn = factories.register(clerk, mother=ParentInput("覃小梅", factories.MOTHER_ID, "")).newborns.get()
    page = logged_in_page
    page.goto("/verify/")
    mistyped = newborn.temp_id[:-1] + "x"  # a twin's letter in the wrong case

    page.get_by_label("新生儿编码").fill(mistyped)
    page.get_by_label("出生日期").fill("2026-02-26")
    page.get_by_role("button", name="核验").click()

    assert "没有找到" in page.get_by_test_id("verify-result").inner_text()
    # The desk fixes one character instead of retyping nineteen.
    assert page.get_by_label("新生儿编码").input_value() == mistyped
    assert page.get_by_label("出生日期").input_value() == "2026-02-26"
    echo = page.get_by_test_id("verify-checked-code").inner_text()
    assert mistyped[:6] + "*****" + mistyped[-5:] in echo
    assert mistyped not in echo

    page.get_by_label("新生儿编码").fill(newborn.temp_id)
    page.get_by_role("button", name="核验").click()

    assert "今天" in page.get_by_test_id("verify-result").inner_text()
    echo = page.get_by_test_id("verify-checked-code").inner_text()
    assert newborn.temp_id[:6] + "*****" + newborn.temp_id[-5:] in echo
    assert newborn.temp_id not in page.content()
    # After an answer the form is ready for the next card.
    assert page.get_by_label("新生儿编码").input_value() == ""
