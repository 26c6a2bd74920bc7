"""coverage_answer: covered or not today, and why, for every state (no database)."""

from datetime import date, timedelta
from itertools import product

import pytest

from registration.models import Newborn
from registration.selectors.coverage import OWN_ID, coverage_answer

LAST_DAY = date(2026, 5, 25)
BENEFIT_START = date(2026, 2, 26)
TODAY = date(2026, 3, 2)


def newborn(state: str, **fields) -> Newborn:
    fields = {"last_day": LAST_DAY, "benefit_start": None, "voided_automatically": False, **fields}
    return Newborn(state=state, **fields)


def test_a_paid_card_within_its_dates_is_covered_and_says_until_when():
    covered, reason = coverage_answer(newborn("paid", benefit_start=BENEFIT_START), today=TODAY)

    assert covered is True
    assert reason == (
        "已缴费，待遇自2026年2月26日起享受：今天可以凭此登记卡（新生儿编码）结算，登记卡有效期至2026年5月25日。"
    )


def test_a_paid_card_is_covered_on_its_last_day_and_not_the_day_after():
    paid = newborn("paid", benefit_start=BENEFIT_START)

    assert coverage_answer(paid, today=LAST_DAY)[0] is True
    covered, reason = coverage_answer(paid, today=LAST_DAY + timedelta(days=1))
    assert covered is False
    assert reason.startswith("登记卡有效期已于2026年5月25日结束") and "正式参保" in reason
    assert reason.endswith(OWN_ID)


def test_a_paid_card_in_its_waiting_period_says_when_benefits_start():
    covered, reason = coverage_answer(newborn("paid", benefit_start=date(2026, 6, 10)), today=TODAY)

    assert covered is False
    assert reason == "已缴费，但待遇自2026年6月10日起才开始享受，今天不能凭此登记卡享受医保待遇。"


def test_a_formally_enrolled_baby_is_insured_under_its_own_id():
    covered, reason = coverage_answer(newborn("formalized", benefit_start=BENEFIT_START), today=TODAY)

    assert covered is False
    assert reason.startswith("新生儿已正式参保：已使用本人的身份证号码参保")
    assert reason.endswith("请凭新生儿本人的身份证号码或医保电子凭证结算。")


def test_an_unpaid_card_says_until_when_it_can_be_paid_then_that_it_lapsed():
    unpaid = newborn("registered")

    covered, reason = coverage_answer(unpaid, today=TODAY)
    assert covered is False and reason.startswith("尚未缴费") and "缴费截止日为2026年5月25日" in reason
    covered, reason = coverage_answer(unpaid, today=LAST_DAY + timedelta(days=1))
    assert covered is False and reason.startswith("逾期未缴费：缴费截止日（2026年5月25日）已过")


def test_a_void_card_says_who_voided_it_but_not_the_staffs_words():
    by_job = newborn("void", voided_automatically=True, void_reason="出生后3个月内未缴费")
    by_staff = newborn("void", void_reason="家属要求作废：电话13877112345")

    assert coverage_answer(by_job, today=TODAY) == (
        False,
        "登记已作废：缴费截止日（2026年5月25日）前未缴费，登记卡已失效，不能凭此登记卡享受医保待遇。",
    )
    covered, reason = coverage_answer(by_staff, today=TODAY)
    assert covered is False and "医院作废" in reason and "13877112345" not in reason


@pytest.mark.parametrize(
    ("state", "benefit_start", "today"),
    list(
        product(
            Newborn.State.values,
            [None, BENEFIT_START, TODAY, date(2026, 6, 10)],
            [BENEFIT_START - timedelta(days=1), TODAY, LAST_DAY, LAST_DAY + timedelta(days=1)],
        )
    ),
)
def test_covered_is_what_it_always_was_and_every_answer_has_a_reason(state, benefit_start, today):
    covered, reason = coverage_answer(newborn(state, benefit_start=benefit_start), today=today)

    assert covered == (state == "paid" and benefit_start is not None and benefit_start <= today <= LAST_DAY)
    assert reason and ("今天可以凭此登记卡" in reason) == covered
