"""The pure rules: docs/rules.md's examples word for word, and properties over every input."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registration.models import Material
from registration.rules import (
    ALL_SUFFIXES,
    HOUSEHOLD_PAGES,
    MATERIAL_BIRTH_CERTIFICATE,
    MATERIAL_BIRTH_RECORD,
    SUFFIXES,
    CardCover,
    benefit_start_combined,
    benefit_start_rule,
    card_cover,
    card_cover_text,
    cover_text,
    day_cover,
    days_left,
    eligibility_problems,
    materials_missing,
    suffixes_for_birth,
    three_month_date,
)
from registration.services import (
    Sex,
    SuffixesExhausted,
    benefit_start,
    newborn_name,
    next_suffix,
    pre_enrollment_last_day,
)

letters = st.sampled_from(sorted(ALL_SUFFIXES))
sexes = st.sampled_from([Sex.FEMALE, Sex.MALE])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


# The letter (docs/rules.md, the temporary identity)


def test_next_suffix_gives_a_single_girl_X():
    assert next_suffix(Sex.FEMALE, set()) == "X"


def test_next_suffix_gives_a_single_boy_Y():
    assert next_suffix(Sex.MALE, set()) == "Y"


def test_next_suffix_gives_twin_girls_X_then_x():
    assert suffixes_for_birth([Sex.FEMALE, Sex.FEMALE], set()) == ["X", "x"]


def test_next_suffix_gives_twin_boys_Y_then_y():
    assert suffixes_for_birth([Sex.MALE, Sex.MALE], set()) == ["Y", "y"]


def test_next_suffix_gives_a_boy_and_a_girl_Y_and_X():
    assert suffixes_for_birth([Sex.MALE, Sex.FEMALE], set()) == ["Y", "X"]


def test_next_suffix_gives_triplet_girls_X_x_A():
    assert suffixes_for_birth([Sex.FEMALE] * 3, set()) == ["X", "x", "A"]


def test_next_suffix_gives_a_mothers_next_daughter_x_after_an_earlier_X():
    assert next_suffix(Sex.FEMALE, {"X"}) == "x"


def test_next_suffix_shares_A_to_Z_between_the_sexes_in_order():
    assert suffixes_for_birth([Sex.MALE] * 3 + [Sex.FEMALE] * 3, set()) == ["Y", "y", "A", "X", "x", "B"]


def test_next_suffix_skips_W_to_Z_without_X_and_Y():
    taken = set(SUFFIXES[Sex.FEMALE][:-1])
    assert next_suffix(Sex.FEMALE, taken) == "Z"


def test_next_suffix_is_case_sensitive():
    assert next_suffix(Sex.FEMALE, {"x"}) == "X"
    assert next_suffix(Sex.FEMALE, {"X", "Y", "y"}) == "x"


def test_next_suffix_raises_a_value_error_when_all_letters_are_used():
    with pytest.raises(SuffixesExhausted) as excinfo:
        next_suffix(Sex.FEMALE, set(ALL_SUFFIXES))
    assert isinstance(excinfo.value, ValueError)
    assert "已全部签发" in str(excinfo.value)


def test_a_boy_can_still_get_a_letter_when_only_the_girls_letters_are_used():
    assert next_suffix(Sex.MALE, set(SUFFIXES[Sex.FEMALE])) == "Y"
    with pytest.raises(SuffixesExhausted):
        next_suffix(Sex.MALE, set(SUFFIXES[Sex.FEMALE]) | {"Y", "y"})


def test_there_are_28_letters_in_all():
    assert len(ALL_SUFFIXES) == 28
    assert len(SUFFIXES[Sex.FEMALE]) == len(SUFFIXES[Sex.MALE]) == 26


@given(sexes, st.sets(letters))
def test_next_suffix_is_the_first_untaken_letter_of_the_sexs_list(sex, taken):
    remaining = [letter for letter in SUFFIXES[sex] if letter not in taken]
    if remaining:
        assert next_suffix(sex, taken) == remaining[0]
    else:
        with pytest.raises(SuffixesExhausted):
            next_suffix(sex, taken)


@given(st.lists(sexes, min_size=1, max_size=8), st.sets(letters, max_size=10))
def test_the_babies_of_one_birth_get_distinct_letters_never_taken_before(sexes_in_order, taken):
    issued = suffixes_for_birth(sexes_in_order, taken)
    assert len(set(issued)) == len(issued)
    assert not set(issued) & taken
    for sex, letter in zip(sexes_in_order, issued, strict=True):
        assert letter in SUFFIXES[sex]


# The name


def test_newborn_name_of_a_girl_is_the_parents_name_and_zhi_nu():
    assert newborn_name("张三", Sex.FEMALE) == "张三之女"


def test_newborn_name_of_a_boy_is_the_parents_name_and_zhi_zi():
    assert newborn_name(" 禤小梅 ", Sex.MALE) == "禤小梅之子"


def test_newborn_name_refuses_an_empty_parent_name():
    with pytest.raises(ValueError):
        newborn_name("  ", Sex.MALE)


# The three-month window (docs/rules.md, Age)


@pytest.mark.parametrize(
    ("born", "last_day"),
    [
        (date(2025, 1, 2), date(2025, 4, 1)),
        (date(2025, 12, 5), date(2026, 3, 4)),
        (date(2025, 11, 30), date(2026, 2, 27)),
        (date(2023, 11, 30), date(2024, 2, 28)),
    ],
)
def test_pre_enrollment_last_day_matches_the_specs_examples(born, last_day):
    assert pre_enrollment_last_day(born) == last_day


def test_three_month_date_clamps_to_the_months_last_day():
    assert three_month_date(date(2025, 11, 30)) == date(2026, 2, 28)
    assert three_month_date(date(2023, 11, 30)) == date(2024, 2, 29)
    assert three_month_date(date(2025, 1, 2)) == date(2025, 4, 2)


@given(days)
def test_the_window_ends_the_day_before_the_three_month_date(born):
    last = pre_enrollment_last_day(born)
    assert last == three_month_date(born) - timedelta(days=1)
    assert 88 <= (last - born).days <= 91
    assert days_left(born, last) == 0
    assert days_left(born, born) == (last - born).days


# Benefit start (docs/rules.md, Benefit start: the 2026 guide, 四)


def test_benefit_start_paid_in_the_birth_year_is_the_birth_date():
    assert benefit_start(date(2025, 1, 2), date(2025, 3, 20), {2025}) == date(2025, 1, 2)


def test_benefit_start_paid_next_year_for_both_years_is_the_birth_date():
    assert benefit_start(date(2025, 12, 5), date(2026, 2, 10), {2025, 2026}) == date(2025, 12, 5)


def test_benefit_start_paid_next_year_for_that_year_only_is_new_years_day():
    assert benefit_start(date(2025, 12, 5), date(2026, 2, 10), {2026}) == date(2026, 1, 1)


def test_benefit_start_paid_after_the_window_waits_three_months():
    assert benefit_start(date(2025, 12, 5), date(2026, 3, 5), {2026}) == date(2026, 6, 5)
    assert benefit_start(date(2025, 12, 5), date(2026, 3, 10), {2026}) == date(2026, 6, 10)


def test_benefit_start_on_the_last_day_still_counts_as_within_the_window():
    assert benefit_start(date(2025, 12, 5), date(2026, 3, 4), {2025, 2026}) == date(2025, 12, 5)


def test_benefit_start_rule_explains_itself():
    assert "等待期" in benefit_start_rule(date(2025, 12, 5), date(2026, 3, 5), {2026}).rule
    assert "出生当年" in benefit_start_rule(date(2025, 1, 2), date(2025, 3, 20), {2025}).rule


@pytest.mark.parametrize(
    ("paid_on", "years"),
    [
        (date(2025, 12, 4), {2025}),
        (date(2025, 12, 20), set()),
        (date(2025, 12, 20), {2024, 2025}),
        (date(2025, 12, 20), {2027}),
    ],
)
def test_benefit_start_refuses_impossible_payments(paid_on, years):
    with pytest.raises(ValueError):
        benefit_start(date(2025, 12, 5), paid_on, years)


def test_benefit_start_paid_in_the_window_for_the_next_year_only_is_that_years_new_years_day():
    # Born 2026-11-20, paid 2026-11-26 for 2027 only: the 2026 premium was not paid.
    start = benefit_start_rule(date(2026, 11, 20), date(2026, 11, 26), {2027})
    assert start.start == date(2027, 1, 1)
    assert "未缴纳出生当年（2026年）保费" in start.rule and "2027年1月1日" in start.rule


def test_benefit_start_paid_next_year_for_the_birth_year_only_is_the_birth_date_and_says_what_is_unpaid():
    start = benefit_start_rule(date(2025, 12, 5), date(2026, 2, 10), {2025})
    assert start.start == date(2025, 12, 5)
    assert "从出生之日起" in start.rule and "2026年度保费尚未缴纳" in start.rule
    assert "未补缴" not in start.rule


def test_benefit_start_paid_next_year_for_a_later_year_only_is_that_years_new_years_day():
    start = benefit_start_rule(date(2025, 12, 5), date(2026, 2, 10), {2027})
    assert start.start == date(2027, 1, 1)
    assert "2026年度保费尚未缴纳" in start.rule


def test_benefit_start_paid_late_is_not_before_the_first_paid_year():
    start = benefit_start_rule(date(2025, 12, 5), date(2026, 3, 10), {2027})
    assert start.start == date(2027, 1, 1)
    assert "等待期" in start.rule and "2026年度保费未缴纳" in start.rule


def test_benefit_start_paid_late_for_a_year_that_ends_in_the_waiting_period_names_the_year_to_pay():
    # Born 2025-01-02, paid 2025-11-01 for 2025 only: the waiting period ends in 2026, which is unpaid.
    start = benefit_start_rule(date(2025, 1, 2), date(2025, 11, 1), {2025})
    assert (start.start, start.covered) == (date(2026, 2, 1), False)
    assert "须缴纳2026年度保费" in start.rule


def test_benefit_start_paid_late_for_the_waiting_periods_year_too_is_covered():
    start = benefit_start_rule(date(2025, 1, 2), date(2025, 11, 1), {2025, 2026})
    assert (start.start, start.covered) == (date(2026, 2, 1), True)


def test_benefit_start_combined_takes_the_earliest_start_any_payment_gives():
    payments = [(date(2026, 2, 10), {2026}), (date(2026, 2, 20), {2025})]
    assert benefit_start_combined(date(2025, 12, 5), payments).start == date(2025, 12, 5)


def test_benefit_start_combined_words_a_birth_year_paid_late_as_late_not_unpaid():
    payments = [(date(2026, 2, 10), {2026}), (date(2026, 4, 1), {2025})]
    start = benefit_start_combined(date(2025, 12, 5), payments)
    assert start.start == date(2026, 1, 1)
    assert "后才到账" in start.rule and "未缴纳出生当年" not in start.rule


def test_benefit_start_combined_drops_an_unpaid_year_note_once_a_later_payment_pays_it():
    payments = [(date(2026, 2, 10), {2025}), (date(2026, 3, 1), {2026})]
    start = benefit_start_combined(date(2025, 12, 5), payments)
    assert start.start == date(2025, 12, 5)
    assert "尚未缴纳" not in start.rule


def test_benefit_start_combined_prefers_a_covered_start_to_an_earlier_uncovered_one():
    payments = [(date(2025, 11, 1), {2025}), (date(2025, 12, 1), {2026})]
    start = benefit_start_combined(date(2025, 1, 2), payments)
    assert (start.start, start.covered) == (date(2026, 3, 1), True)


def test_benefit_start_combined_needs_a_payment():
    with pytest.raises(ValueError):
        benefit_start_combined(date(2025, 12, 5), [])


# Properties over every valid payment: a birth date, a delay, the years paid (birth year .. payment year + 1).


@st.composite
def payments_of(draw, born, count=1):
    paid = sorted(draw(st.lists(st.integers(min_value=0, max_value=800), min_size=count, max_size=count)))
    result = []
    for delay in paid:
        paid_on = born + timedelta(days=delay)
        choices = list(range(born.year, paid_on.year + 2))
        result.append((paid_on, draw(st.sets(st.sampled_from(choices), min_size=1))))
    return result


@st.composite
def a_birth_and_payments(draw, max_payments=3):
    born = draw(days)
    count = draw(st.integers(min_value=1, max_value=max_payments))
    return born, draw(payments_of(born, count))


def _years_paid(payments):
    return set().union(*(years for _, years in payments))


@given(a_birth_and_payments(max_payments=1))
def test_benefits_never_start_before_birth(case):
    born, [(paid_on, years)] = case
    assert benefit_start(born, paid_on, years) >= born


@given(a_birth_and_payments())
def test_a_covered_start_is_always_inside_a_paid_year(case):
    born, payments = case
    start = benefit_start_combined(born, payments)
    if start.covered:
        assert start.start.year in _years_paid(payments)
    else:
        # Only a late payment whose paid years all end before its waiting period does: the rule says so.
        assert all(year < start.start.year for year in _years_paid(payments))
        assert f"须缴纳{start.start.year}年度保费" in start.rule


@given(a_birth_and_payments(max_payments=1))
def test_paid_by_the_last_day_starts_at_birth_exactly_when_the_birth_year_is_paid(case):
    born, [(paid_on, years)] = case
    start = benefit_start(born, paid_on, years)
    if paid_on <= pre_enrollment_last_day(born):
        if born.year in years:
            assert start == born
        else:
            assert start == date(min(years), 1, 1)


@given(a_birth_and_payments(max_payments=1))
def test_paid_after_the_last_day_waits_three_months_and_starts_in_the_first_paid_year_after(case):
    born, [(paid_on, years)] = case
    if paid_on > pre_enrollment_last_day(born):
        start = benefit_start_rule(born, paid_on, years)
        assert start.start >= three_month_date(paid_on)
        assert start.start >= date(min(years), 1, 1)
        assert "等待期" in start.rule
        if start.start != three_month_date(paid_on):
            assert start.start == date(start.start.year, 1, 1)


@given(a_birth_and_payments(max_payments=1), st.integers(min_value=0, max_value=3))
def test_paying_one_more_year_never_delays_benefits(case, extra):
    born, [(paid_on, years)] = case
    more = years | {min(born.year + extra, paid_on.year + 1)}
    fewer, extended = benefit_start_rule(born, paid_on, years), benefit_start_rule(born, paid_on, more)
    if fewer.covered:  # an uncovered start is only the earliest day benefits could begin
        assert extended.covered and extended.start <= fewer.start


@given(a_birth_and_payments())
def test_another_payment_never_delays_benefits(case):
    born, payments = case
    first = benefit_start_combined(born, payments[:1])
    every = benefit_start_combined(born, payments)
    if first.covered:
        assert every.covered and every.start <= first.start


@given(a_birth_and_payments())
def test_the_rule_never_says_a_paid_year_is_unpaid_and_fits_its_column(case):
    born, payments = case
    start = benefit_start_combined(born, payments)
    paid = _years_paid(payments)
    for year in range(born.year, born.year + 5):
        if year in paid:
            assert (
                f"{year}年度保费尚未缴纳" not in start.rule and f"、{year}年度保费尚未缴纳" not in start.rule
            )
            assert f"未缴纳出生当年（{year}年）" not in start.rule
            assert f"{year}年度保费未缴纳" not in start.rule
    assert len(start.rule) <= 200  # Newborn.benefit_rule


# Which days are covered (docs/rules.md, Which days are covered: the 2026 guide, 四)

STRADDLING = date(2026, 11, 28)  # last day 2027-02-27
PAID_DECEMBER_FOR_2026 = [(date(2026, 12, 10), {2026})]


def test_a_baby_paid_in_december_for_the_birth_year_only_is_covered_in_december_and_not_in_january():
    assert day_cover(STRADDLING, PAID_DECEMBER_FOR_2026, date(2026, 12, 20)).covered
    january = day_cover(STRADDLING, PAID_DECEMBER_FOR_2026, date(2027, 1, 5))
    assert (january.covered, january.why, january.missing_year) == (False, "year_unpaid", 2027)


def test_a_baby_paid_for_both_years_is_covered_on_either_side_of_new_year():
    for paid in (
        [(date(2026, 12, 10), {2026, 2027})],
        [*PAID_DECEMBER_FOR_2026, (date(2027, 1, 20), {2027})],
    ):
        assert day_cover(STRADDLING, paid, date(2026, 12, 20)).covered
        assert day_cover(STRADDLING, paid, date(2027, 1, 5)).covered
        assert day_cover(STRADDLING, paid, date(2027, 2, 27)).covered
        assert day_cover(STRADDLING, paid, date(2027, 2, 28)).why == "expired"


def test_only_money_that_arrived_by_the_last_day_counts_for_the_card():
    late_2027 = [*PAID_DECEMBER_FOR_2026, (date(2027, 3, 1), {2027})]
    assert day_cover(STRADDLING, late_2027, date(2027, 1, 5)).missing_year == 2027
    assert day_cover(STRADDLING, [(date(2027, 3, 1), {2027})], date(2027, 1, 5)).why == "unpaid"
    assert card_cover(STRADDLING, late_2027) == CardCover(STRADDLING, STRADDLING, date(2026, 12, 31))


def test_the_card_cover_says_until_when_and_the_next_year_to_pay():
    cover = card_cover(STRADDLING, PAID_DECEMBER_FOR_2026)
    assert (cover.start, cover.card_until, cover.next_year, cover.due_by_last_day) == (
        STRADDLING,
        date(2026, 12, 31),
        2027,
        True,
    )
    both = card_cover(STRADDLING, [(date(2026, 12, 10), {2026, 2027})])
    assert (both.card_until, both.next_year, both.due_by_last_day) == (date(2027, 2, 27), 2028, False)


def test_the_cover_in_words_for_the_family():
    assert card_cover_text(STRADDLING, PAID_DECEMBER_FOR_2026, date(2026, 12, 10)) == (
        "待遇自2026年11月28日起享受，可凭登记卡结算至2026年12月31日；2027年度保费尚未缴纳，"
        "请在2027年2月27日（含）前缴纳，2027年1月1日起的医疗费用才能凭登记卡结算。"
    )
    assert card_cover_text(STRADDLING, [(date(2026, 12, 10), {2026, 2027})], date(2026, 12, 10)) == (
        "待遇自2026年11月28日起享受，可凭登记卡结算至2027年2月27日（登记卡最后有效日）。"
        "2028年度及以后的保费，请在正式参保后按参保地规定逐年缴纳。"
    )
    # The guide's example 2, paid for 2026 only: the birth year can still be paid back by the last day.
    assert card_cover_text(date(2025, 12, 5), [(date(2026, 2, 10), {2026})], date(2026, 2, 10)) == (
        "待遇自2026年1月1日起享受，可凭登记卡结算至2026年3月4日（登记卡最后有效日）。"
        "2027年度及以后的保费，请在正式参保后按参保地规定逐年缴纳。"
        "如在2026年3月4日（含）前补缴2025年度的保费，可改为从出生之日（2025年12月5日）起享受待遇。"
    )


def test_the_cover_in_words_once_the_card_has_expired_asks_for_nothing_by_its_last_day():
    text = card_cover_text(STRADDLING, PAID_DECEMBER_FOR_2026, date(2027, 3, 1))
    assert text.endswith("2027年度保费尚未缴纳，2027年的医疗费用不能凭登记卡结算。")


def test_a_premium_for_a_year_after_the_card_only_covers_none_of_its_days():
    paid = [(date(2025, 8, 1), {2026})]  # born 2025-06-05, last day 2025-09-04: paid for 2026 only
    cover = card_cover(date(2025, 6, 5), paid)
    assert cover == CardCover(date(2025, 6, 5), date(2026, 1, 1), date(2026, 12, 31))
    assert cover.card_until is None
    assert day_cover(date(2025, 6, 5), paid, date(2025, 8, 1)).missing_year == 2025
    assert cover_text(cover, today=date(2025, 8, 1)) == (
        "所缴保费的待遇自2026年1月1日起，晚于登记卡有效期（至2025年9月4日），不能凭登记卡结算。"
        "如在2025年9月4日（含）前缴纳2025年度保费，登记卡有效期内的医疗费用才能凭卡结算。"
    )


def test_money_that_arrived_only_after_the_last_day_sends_the_family_to_the_agency():
    # The guide's example: paid 2026-03-05, after the last day 2026-03-04: waiting period to 2026-06-05.
    assert card_cover_text(date(2025, 12, 5), [(date(2026, 3, 5), {2026})], date(2026, 3, 6)) == (
        "缴费于2026年3月5日到账，晚于缴费截止日（2026年3月4日），预参保登记已作废，不能凭登记卡结算。"
        "请家属持相关材料到户籍所在地的医保经办机构办理正式参保登记；从缴费到账之日起计算3个月待遇等待期，"
        "预计自2026年6月5日起享受待遇（以医保经办机构核定为准）。"
    )
    with pytest.raises(ValueError):
        card_cover_text(date(2025, 12, 5), [], date(2026, 3, 6))


payments_in_window = st.lists(
    st.tuples(st.integers(0, 120), st.sets(st.integers(0, 1), min_size=1)), min_size=1, max_size=3
)


@given(
    born=st.dates(date(2024, 1, 1), date(2028, 12, 31)), made=payments_in_window, offset=st.integers(-5, 100)
)
def test_a_day_is_covered_exactly_when_the_card_is_valid_benefits_started_and_its_year_is_paid(
    born, made, offset
):
    payments = [(born + timedelta(days=after), {born.year + year for year in years}) for after, years in made]
    payments = [(paid_on, years) for paid_on, years in payments if max(years) <= paid_on.year + 1]
    if not payments:
        return
    day, last_day = born + timedelta(days=offset), pre_enrollment_last_day(born)
    in_time = [(paid_on, years) for paid_on, years in payments if paid_on <= last_day]
    years = set().union(*(years for _, years in in_time)) if in_time else set()
    start = benefit_start_combined(born, in_time).start if in_time else None
    expected = start is not None and start <= day <= last_day and day.year in years
    assert day_cover(born, payments, day).covered == expected
    cover = card_cover(born, payments)
    # The covered days are one run, from the start to card_until.
    assert expected == (cover.card_until is not None and cover.start <= day <= cover.card_until)


# Eligibility (docs/rules.md, Who may be pre-enrolled)

ELIGIBLE = {
    "has_household_registration": False,
    "parent_has_guangxi_household": True,
    "hospital_in_guangxi": True,
    "hospital_has_maternity_ward": True,
}


def test_eligibility_accepts_a_baby_on_the_last_day_of_the_window():
    assert eligibility_problems(birth_date=date(2025, 12, 5), today=date(2026, 3, 4), **ELIGIBLE) == []


def test_eligibility_accepts_a_baby_born_today():
    assert eligibility_problems(birth_date=date(2026, 3, 4), today=date(2026, 3, 4), **ELIGIBLE) == []


def test_eligibility_refuses_a_baby_on_its_three_month_date_and_says_what_to_do():
    [problem] = eligibility_problems(birth_date=date(2025, 12, 5), today=date(2026, 3, 5), **ELIGIBLE)
    assert problem.field == "birth_date"
    assert "2026年3月4日" in problem.message
    assert "真实姓名及身份证号码" in problem.message


def test_eligibility_refuses_a_birth_date_in_the_future():
    [problem] = eligibility_problems(birth_date=date(2026, 3, 5), today=date(2026, 3, 4), **ELIGIBLE)
    assert problem.code == "born_in_future"


def test_eligibility_reports_every_failed_condition_at_once():
    problems = eligibility_problems(
        birth_date=date(2025, 1, 1),
        today=date(2026, 3, 4),
        has_household_registration=True,
        parent_has_guangxi_household=False,
        hospital_in_guangxi=False,
        hospital_has_maternity_ward=False,
    )
    assert [p.code for p in problems] == [
        "too_old",
        "has_household",
        "parent_not_guangxi",
        "hospital_outside",
        "no_maternity_ward",
    ]
    assert all(p.message for p in problems)


@given(days, days, st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_eligibility_holds_exactly_when_every_condition_holds(born, today, household, guangxi, inside, ward):
    problems = eligibility_problems(
        birth_date=born,
        today=today,
        has_household_registration=household,
        parent_has_guangxi_household=guangxi,
        hospital_in_guangxi=inside,
        hospital_has_maternity_ward=ward,
    )
    in_window = born <= today <= pre_enrollment_last_day(born)
    assert (problems == []) == (in_window and not household and guangxi and inside and ward)


def test_the_rules_material_kinds_are_the_models():
    kinds = set(Material.Kind.values)
    assert HOUSEHOLD_PAGES | {"id_card", MATERIAL_BIRTH_RECORD, MATERIAL_BIRTH_CERTIFICATE} == kinds


@pytest.mark.parametrize(
    ("route", "kinds"),
    [
        ("parent_id", {"household_head", "household_parent", "birth_record"}),
        ("parent_id", {"id_card", "birth_record"}),
        ("parent_id", {"id_card", "birth_certificate"}),
        ("birth_certificate", {"household_head", "household_parent", "birth_certificate"}),
        ("birth_certificate", {"id_card", "birth_certificate", "birth_record"}),
    ],
)
def test_materials_missing_accepts_the_register_or_id_card_with_the_birth_document(route, kinds):
    assert materials_missing(route, kinds) == []


def test_materials_missing_names_everything_missing():
    assert materials_missing("parent_id", []) == [
        "请上传证件所属父（母）亲的户口簿（户主页及本人信息页）或身份证。",
        "请上传出生记录（产时记录、产科登记表）或出生医学证明。",
    ]


def test_materials_missing_wants_both_pages_of_the_household_register():
    [message] = materials_missing("parent_id", {"household_head", "birth_record"})
    assert "户主页和证件所属父（母）亲信息页两页" in message


def test_materials_missing_wants_the_certificate_itself_on_the_certificate_route():
    assert materials_missing("birth_certificate", {"id_card", "birth_record"}) == [
        "使用出生医学证明登记的，请上传出生医学证明。"
    ]
