"""The family notice: what to pay and when (the 2026 guide, 四 and 五), for this baby, on the day printed."""

import re
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cards.content import benefit_cases, notice_context, pay_when, payment_years
from cards.services import render_cards
from registration.models import Newborn
from registration.rules import format_date_zh, pre_enrollment_last_day
from tests.cards.helpers import (
    GUILIN_COMMUNITY,
    font_sizes,
    needs_pdftotext,
    pdf_pages_text,
    unsaved_birth,
    unsaved_newborn,
)

GUIDE_EXAMPLE_1 = date(2025, 1, 2)  # last day 2025-04-01
GUIDE_EXAMPLE_2 = date(2025, 12, 5)  # last day 2026-03-04


def notice_text(newborn: Newborn, today: date, page_size: str = "A4") -> str:
    """The notice's pages of the PDF as one text, whitespace removed."""
    return "".join(pdf_pages_text(render_cards([newborn], page_size=page_size, today=today))[1:])


def test_a_window_within_the_birth_year_pays_that_year_and_starts_at_birth():
    # The 2026 guide's example 1: born 2025-01-02, paid before 2025-04-02: from 2025-01-02.
    born, today = GUIDE_EXAMPLE_1, date(2025, 1, 3)
    notice = notice_context(unsaved_newborn(born=born), today=today)
    assert notice["years"] == "缴费年度请选择2025年。"
    assert notice["benefit_cases"] == [
        "在2025年4月1日（含）前缴费：从出生之日（2025年1月2日）起享受医保待遇。",
        "2025年4月1日以后才缴费：从缴费到账之日起计算3个月待遇等待期，等待期内的医疗费用不能报销"
        "（例如2025年4月2日缴费到账的，从2025年7月2日起才能享受待遇）。",
    ]


def test_a_window_into_the_next_year_asks_for_both_years_with_the_guides_example_dates():
    # The 2026 guide's example 2: born 2025-12-05; both years paid by 2026-03-04: from 2025-12-05;
    # 2026 only: from 2026-01-01; paid 2026-03-05: a waiting period, from 2026-06-05.
    born, today = GUIDE_EXAMPLE_2, date(2025, 12, 8)
    notice = notice_context(unsaved_newborn(born=born), today=today)
    assert notice["years"].startswith("缴费年度请同时选择2025年和2026年")
    assert notice["benefit_cases"] == [
        "在2025年12月31日（含）前缴费（出生当年）：从出生之日（2025年12月5日）起享受医保待遇。",
        "在2026年1月1日至2026年3月4日之间缴费（出生次年）：同时缴纳2025年和2026年两个年度保费的，"
        "从出生之日（2025年12月5日）起享受待遇；只缴纳2026年保费的，只能从2026年1月1日起享受待遇。",
        "2026年3月4日以后才缴费：从缴费到账之日起计算3个月待遇等待期，等待期内的医疗费用不能报销"
        "（例如2026年3月5日缴费到账的，从2026年6月5日起才能享受待遇）。",
    ]


def test_once_the_birth_year_is_over_the_notice_asks_to_pay_it_back_and_drops_paying_in_it():
    notice = notice_context(unsaved_newborn(born=GUIDE_EXAMPLE_2), today=date(2026, 1, 3))
    assert "须补缴出生当年（2025年度）的保费" in notice["years"]
    first, late = notice["benefit_cases"]
    assert first.startswith("在2026年3月4日（含）前缴费（出生次年）：同时缴纳2025年和2026年两个年度保费的")
    assert late.startswith("2026年3月4日以后才缴费：从缴费到账之日起计算3个月待遇等待期")


def test_a_one_day_range_says_on_that_day():
    # Born 2026-10-02: the last day is 2027-01-01, the only day of the year after the birth.
    cases = benefit_cases(date(2026, 10, 2), date(2027, 1, 1), date(2026, 10, 5))
    assert cases[1].startswith("在2027年1月1日当天缴费（出生次年）")
    assert not any("至2027年1月1日之间" in case for case in cases)
    assert benefit_cases(date(2025, 12, 5), date(2026, 3, 4), date(2025, 12, 31))[0].startswith(
        "在2025年12月31日当天缴费（出生当年）"
    )
    assert pay_when(date(2025, 1, 3), date(2025, 4, 1), date(2025, 4, 1)) == "在2025年4月1日当天"


@given(born=st.dates(date(2024, 1, 1), date(2027, 12, 31)), offset=st.integers(0, 95))
def test_the_notice_never_names_a_past_or_empty_period_to_pay_in(born, offset):
    last_day = pre_enrollment_last_day(born)
    today = min(born + timedelta(days=offset), last_day)
    cases = benefit_cases(born, last_day, today)
    text = "".join(cases) + payment_years(born, last_day, today)
    for start, end in re.findall(r"在(\d+年\d+月\d+日)至(\d+年\d+月\d+日)之间", text):
        assert start != end
    for day in re.findall(r"在(\d+年\d+月\d+日)(?:（含）前|当天|至)", text):
        assert _parse_zh(day) >= today, text
    assert ("出生当年）" in text) == (last_day.year > born.year and today.year == born.year)
    assert ("同时选择" in text) == (last_day.year > born.year)
    assert cases[-1].startswith(f"{format_date_zh(last_day)}以后才缴费")


def _parse_zh(text: str) -> date:
    year, month, day = map(int, re.findall(r"\d+", text))
    return date(year, month, day)


@needs_pdftotext
def test_the_pdf_notice_says_which_years_to_pay_and_when_benefits_start():
    notice = notice_text(unsaved_newborn(born=GUIDE_EXAMPLE_2), date(2025, 12, 8))
    assert "一、请在2026年3月4日（含）前缴费" in notice
    assert "缴费年度请同时选择2025年和2026年" in notice
    assert "在2026年1月1日至2026年3月4日之间缴费（出生次年）：同时缴纳2025年和2026年两个年度保费的" in notice
    assert "2026年3月5日缴费到账的，从2026年6月5日起才能享受待遇" in notice
    assert "到2026年3月4日仍未缴费的，这次预参保登记信息作废" in notice


@needs_pdftotext
def test_a_paid_babys_notice_states_the_premium_was_received_and_keeps_the_other_sections():
    newborn = unsaved_newborn(
        state=Newborn.State.PAID,
        benefit_start=GUIDE_EXAMPLE_1,
        benefit_rule="在出生当年参保缴费，从出生之日起享受待遇。",
        paid_until=date(2025, 12, 31),
        special_group="low_income",
    )
    notice = notice_text(newborn, date(2025, 2, 1))
    assert "一、保费已缴纳" in notice
    assert "待遇享受起始日：2025年1月2日（在出生当年参保缴费，从出生之日起享受待遇）" in notice
    for asks_to_pay in ("请在2025年4月1日（含）前缴纳", "缴费年度请", "线上：", "仍未缴费", "以后才缴费"):
        assert asks_to_pay not in notice
    assert "可凭登记卡结算至2025年4月1日（登记卡最后有效日）。2026年度及以后的保费" in notice
    assert "二、登记卡怎么用" in notice and "有效期至2025年4月1日" in notice and "已足额缴费" in notice
    assert "三、办理户籍登记和正式参保登记" in notice
    assert "携带登记卡，以及预参保登记时关联的父（母）亲一方的身份证、户口簿和宝宝的户口簿" in notice
    assert "四、特殊人群" in notice and "宝宝已登记为特殊人群（低保对象）" in notice


@needs_pdftotext
def test_a_baby_paid_for_the_next_year_only_is_told_the_birth_year_can_still_be_paid():
    newborn = unsaved_newborn(
        born=GUIDE_EXAMPLE_2,
        state=Newborn.State.PAID,
        benefit_start=date(2026, 1, 1),
        benefit_rule="在出生次年参保缴费但未补缴出生当年保费，只享受缴费当年待遇，自2026年1月1日起。",
        paid_until=date(2026, 12, 31),
    )
    notice = notice_text(newborn, date(2026, 2, 1))
    assert "待遇享受起始日：2026年1月1日" in notice
    assert "如在2026年3月4日（含）前补缴2025年度的保费，可改为从出生之日（2025年12月5日）起享受待遇" in notice


@needs_pdftotext
def test_the_channels_of_the_enrollment_places_city_are_printed_and_nanning_ships_the_guides():
    nanning = notice_text(unsaved_newborn(), date(2025, 1, 3))
    assert (
        "线上：“南宁医保”微信公众号；“广西税务”微信公众号；微信城市服务；支付宝市民中心；银联“云闪付”"
        in nanning
    )
    assert "通过“南宁医保”“广西税务”微信公众号的【个账代缴城乡医保】功能" in nanning
    for channel in ("银行柜面（工商银行、农业银行", "农村金融服务点", "移动智能终端（POS机）", "办税服务厅"):
        assert channel in nanning


@needs_pdftotext
def test_a_city_without_a_payment_list_sends_the_family_to_its_agency_not_to_nanning_channels():
    birth = unsaved_birth(community=GUILIN_COMMUNITY)
    birth.agency.name = "桂林市医疗保障事业管理中心"
    guilin = notice_text(unsaved_newborn(birth=birth), date(2025, 1, 3))
    assert "缴费渠道以参保地规定为准，请向参保地医保经办机构（桂林市医疗保障事业管理中心）咨询。" in guilin
    for nanning_only in ("南宁医保", "线上：", "线下：", "银行柜面", "个账代缴"):
        assert nanning_only not in guilin


GUILIN_CHANNELS = """
[4503]
city = "桂林市"
source = "桂林市的缴费指南"
online = ["“广西税务”微信公众号"]
offline = ["办税服务厅"]
account = ""
"""


@needs_pdftotext
def test_a_configured_city_gets_its_own_list(settings, tmp_path):
    path = tmp_path / "channels.toml"
    path.write_text(GUILIN_CHANNELS, encoding="utf-8")
    settings.PAYMENT_CHANNELS_FILE = path
    guilin = notice_text(unsaved_newborn(birth=unsaved_birth(community=GUILIN_COMMUNITY)), date(2025, 1, 3))
    nanning = notice_text(unsaved_newborn(), date(2025, 1, 3))
    assert "线上：“广西税务”微信公众号。" in guilin and "线下：办税服务厅。" in guilin
    assert "南宁医保" not in guilin and "个账代缴" not in guilin
    assert "缴费渠道以参保地规定为准，请向参保地医保经办机构（南宁市医疗保障事业管理中心）咨询" in nanning


def test_the_a6_notice_is_set_at_9_pt_over_two_pages():
    pdf = render_cards([unsaved_newborn(born=GUIDE_EXAMPLE_2)], page_size="A6", today=date(2025, 12, 8))
    for page in (1, 2):
        sizes = font_sizes(pdf, page)
        body = max(sizes, key=lambda size: len(sizes[size]))
        assert body == 9.0, sizes
        small = {size: text for size, text in sizes.items() if size < 8.5}
        assert all("（续）" in text for text in small.values()), small  # only page 2's running head


def test_the_a4_notice_is_set_at_12_pt():
    pdf = render_cards([unsaved_newborn()], today=date(2025, 1, 3))
    sizes = font_sizes(pdf, 1)
    assert max(sizes, key=lambda size: len(sizes[size])) == 12.0
    assert min(sizes) >= 10.5


def test_a_waiting_period_ending_in_the_next_year_names_that_years_premium_too():
    # Born 2026-08-10: last day 2026-11-09; paid 2026-11-10, the waiting period ends 2027-02-10.
    notice = notice_context(unsaved_newborn(born=date(2026, 8, 10)), today=date(2026, 8, 12))
    assert notice["benefit_cases"][-1].endswith(
        "（例如2026年11月10日缴费到账的，从2027年2月10日起才能享受待遇，且须缴纳2027年度保费）。"
    )


# --- which days the card covers (docs/rules.md, Which days are covered) ----------------------------------

STRADDLING = date(2026, 11, 28)  # last day 2027-02-27


def paid_for(paid_until: date, **overrides) -> Newborn:
    fields = {
        "state": Newborn.State.PAID,
        "benefit_start": STRADDLING,
        "paid_until": paid_until,
        "benefit_rule": "在出生当年参保缴费，从出生之日起享受待遇。",
        **overrides,
    }
    return unsaved_newborn(born=STRADDLING, **fields)


@needs_pdftotext
def test_a_family_paid_for_the_birth_year_only_is_told_until_when_and_to_pay_the_next_year():
    notice = notice_text(paid_for(date(2026, 12, 31)), date(2026, 12, 10))
    assert (
        "可凭登记卡结算至2026年12月31日；2027年度保费尚未缴纳，请在2027年2月27日（含）前缴纳，"
        "2027年1月1日起的医疗费用才能凭登记卡结算。"
    ) in notice
    assert "已缴费的年度内（至2026年12月31日），可持登记卡在定点医疗机构办理医保结算" in notice
    assert "2027年的医疗费用，须缴纳2027年度保费后才能凭登记卡结算" in notice
    assert "已足额缴费" not in notice


@needs_pdftotext
def test_a_family_paid_for_both_years_may_settle_to_the_last_day_and_is_told_the_year_after():
    notice = notice_text(paid_for(date(2027, 12, 31)), date(2026, 12, 10))
    assert "可凭登记卡结算至2027年2月27日（登记卡最后有效日）。2028年度及以后的保费" in notice
    assert "已足额缴费，可持登记卡" in notice and "尚未缴纳" not in notice


# --- special groups (docs/rules.md, Special groups: the notice, 二(三)) ------------------------------------

SPECIAL_GROUPS = (
    "享受政府代缴个人缴费补助的特殊人群的新生儿，先按照普通新生儿参保缴费，享受普通新生儿基本医疗保险待遇；"
    "取得户籍信息并认定为特殊人群身份后，由特殊人群主管部门给予参保缴费补助，待遇差额部分进行二次报销。"
)


@needs_pdftotext
def test_every_family_is_told_of_the_special_groups_flagged_or_not():
    for page_size in ("A4", "A6"):
        unflagged = notice_text(unsaved_newborn(born=STRADDLING), date(2026, 12, 1), page_size)
        flagged = notice_text(
            unsaved_newborn(born=STRADDLING, special_group="orphan"), date(2026, 12, 1), page_size
        )
        paid = notice_text(paid_for(date(2027, 12, 31)), date(2026, 12, 10), page_size)
        assert "六、特殊人群" + SPECIAL_GROUPS in unflagged
        assert "六、特殊人群宝宝已登记为特殊人群（孤儿）。" + SPECIAL_GROUPS in flagged
        assert "四、特殊人群" + SPECIAL_GROUPS in paid
