"""coverage_answer: covered or not today, and why, for every state (no database)."""

from datetime import date, timedelta
from itertools import product

import pytest

from registration.models import Newborn
from registration.selectors.coverage import OWN_ID, coverage_answer

BORN = date(2026, 2, 26)  # last day 2026-05-25
LAST_DAY = date(2026, 5, 25)
TODAY = date(2026, 3, 2)
PAID_IN_TIME = [(date(2026, 2, 27), [2026])]


def newborn(state: str, **fields) -> Newborn:
    fields = {
        "birth_date": BORN,
        "last_day": LAST_DAY,
        "benefit_start": BORN if state in ("paid", "formalized") else None,
        "voided_automatically": False,
        **fields,
    }
    return Newborn(state=state, **fields)


def answer(record: Newborn, today: date, payments=None):
    if payments is None:
        payments = PAID_IN_TIME if record.state in ("paid", "formalized") else []
    return coverage_answer(record, today=today, payments=payments)


def test_a_paid_card_within_its_dates_is_covered_and_says_until_when():
    covered, reason, missing = answer(newborn("paid"), TODAY)

    assert (covered, missing) == (True, None)
    assert reason == (
        "已缴费，待遇自2026年2月26日起享受：今天可以凭此登记卡（新生儿编码）结算，登记卡有效期至2026年5月25日。"
    )


def test_a_paid_card_is_covered_on_its_last_day_and_not_the_day_after():
    paid = newborn("paid")

    assert answer(paid, LAST_DAY)[0] is True
    covered, reason, _ = answer(paid, LAST_DAY + timedelta(days=1))
    assert covered is False
    assert reason.startswith("登记卡有效期已于2026年5月25日结束") and "正式参保" in reason
    assert reason.endswith(OWN_ID)


def test_a_formally_enrolled_baby_is_insured_under_its_own_id():
    covered, reason, _ = answer(newborn("formalized"), TODAY)

    assert covered is False
    assert reason.startswith("新生儿已正式参保：已使用本人的身份证号码参保")
    assert reason.endswith("请凭新生儿本人的身份证号码或医保电子凭证结算。")


def test_an_unpaid_card_says_until_when_it_can_be_paid_then_that_it_lapsed():
    unpaid = newborn("registered")

    covered, reason, _ = answer(unpaid, TODAY)
    assert covered is False and reason.startswith("尚未缴费") and "缴费截止日为2026年5月25日" in reason
    covered, reason, _ = answer(unpaid, LAST_DAY + timedelta(days=1))
    assert covered is False and reason.startswith("逾期未缴费：缴费截止日（2026年5月25日）已过")


def test_a_void_card_says_who_voided_it_but_not_the_staffs_words():
    by_job = newborn("void", voided_automatically=True, void_reason="出生后3个月内未缴费")
    by_staff = newborn("void", void_reason="家属要求作废：电话13877112345")

    assert answer(by_job, TODAY) == (
        False,
        "登记已作废：缴费截止日（2026年5月25日）前未缴费，登记卡已失效，不能凭此登记卡享受医保待遇。",
        None,
    )
    covered, reason, _ = answer(by_staff, TODAY)
    assert covered is False and "医院作废" in reason and "13877112345" not in reason


# --- which days are covered (docs/rules.md, Which days are covered) -------------------------------------

STRADDLING = date(2026, 11, 28)  # last day 2027-02-27
PAID_2026 = [(date(2026, 12, 10), [2026])]


def straddling(**fields) -> Newborn:
    fields = {"birth_date": STRADDLING, "last_day": date(2027, 2, 27), "benefit_start": STRADDLING, **fields}
    return newborn("paid", **fields)


def test_a_card_paid_for_the_birth_year_only_covers_its_days_but_not_the_next_years():
    covered, reason, missing = answer(straddling(), date(2026, 12, 20), PAID_2026)
    assert (covered, missing) == (True, None)
    assert "注意：2027年度保费尚未缴纳，凭此登记卡只能结算至2026年12月31日" in reason

    covered, reason, missing = answer(straddling(), date(2027, 1, 5), PAID_2026)
    assert (covered, missing) == (False, 2027)
    assert reason == (
        "2027年度未缴费：登记卡只保障已缴费年度，今天（2027年）的医疗费用不能凭此登记卡享受医保待遇。"
        "请家属在2027年2月27日（含）前缴纳2027年度保费，到账后即可凭此登记卡结算2027年的医疗费用。"
    )


def test_a_card_paid_for_both_years_covers_the_new_year():
    paid = [*PAID_2026, (date(2027, 1, 10), [2027])]
    covered, reason, missing = answer(straddling(), date(2027, 1, 5), paid)
    assert (covered, missing) == (True, None) and "注意" not in reason


def test_a_card_paid_for_the_next_year_only_does_not_cover_the_birth_year():
    paid = [(date(2027, 1, 3), [2027])]
    record = straddling(benefit_start=date(2027, 1, 1))
    assert answer(record, date(2026, 12, 20), paid)[::2] == (False, 2026)
    assert answer(record, date(2027, 1, 5), paid)[::2] == (True, None)


# --- a payment after the void (docs/rules.md, A payment after the void) ---------------------------------


def test_a_void_card_with_money_that_came_too_late_sends_the_family_to_the_agency_with_the_waiting_period():
    late = newborn("void", voided_automatically=True, void_reason="出生后3个月内未缴费")
    covered, reason, missing = answer(late, date(2026, 6, 1), [(date(2026, 5, 30), [2026])])

    assert (covered, missing) == (False, None)
    assert reason.startswith("缴费于2026年5月30日到账，晚于缴费截止日（2026年5月25日），预参保登记已作废")
    assert "到户籍所在地的医保经办机构办理正式参保登记" in reason
    assert "预计自2026年8月30日起享受待遇" in reason


@pytest.mark.parametrize(
    ("state", "payments", "today"),
    list(
        product(
            Newborn.State.values,
            [[], PAID_IN_TIME, [(date(2026, 5, 30), [2026])], [(date(2026, 3, 1), [2027])]],
            [BORN - timedelta(days=1), TODAY, LAST_DAY, LAST_DAY + timedelta(days=1)],
        )
    ),
)
def test_only_a_paid_card_in_a_paid_year_is_covered_and_every_answer_has_a_reason(state, payments, today):
    record = newborn(state, voided_automatically=state == "void")
    covered, reason, missing = coverage_answer(record, today=today, payments=payments)

    in_time_years = {year for paid_on, years in payments if paid_on <= LAST_DAY for year in years}
    assert covered == (state == "paid" and BORN <= today <= LAST_DAY and today.year in in_time_years)
    assert reason and ("今天可以凭此登记卡" in reason) == covered
    assert (missing is not None) == reason.startswith(f"{today.year}年度未缴费")
