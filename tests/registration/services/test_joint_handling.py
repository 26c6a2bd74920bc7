"""services/joint_handling.py: the advisor's rules for 联办 (joint handling of the birth certificate,
household registration and insurance) and what it names to confirm."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from registration.services.joint_handling import (
    JointHandlingFacts,
    joint_handling_advice,
    joint_handling_last_day,
)
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID

TODAY = date(2026, 3, 2)
HUNAN_FATHER_ID = factories.id_number(region="430102", born="19880511", order="013")


QUALIFYING = JointHandlingFacts(
    birth_dates=(TODAY - timedelta(days=4),),
    today=TODAY,
    mother_id_number=MOTHER_ID,
    father_id_number=FATHER_ID,
    id_parent_role="mother",
    id_parent_has_guangxi_household=True,
    nationality="CHN",
    household_type="30",
    community_code="450103001001",
    birth_hospital_code="450103",
    birth_hospital_has_maternity_ward=True,
    birth_hospital_name="南宁市第一人民医院",
)


def test_joint_handling_last_day_is_the_one_month_date_itself():
    # docs/rules.md, Joint handling: "不超过1个月" includes the one-month date.
    assert joint_handling_last_day(date(2026, 11, 7)) == date(2026, 12, 7)
    assert joint_handling_last_day(date(2026, 1, 15)) == date(2026, 2, 15)
    assert joint_handling_last_day(date(2026, 1, 31)) == date(2026, 2, 28)  # February has no 31st
    assert joint_handling_last_day(date(2025, 12, 5)) == date(2026, 1, 5)


def test_a_qualifying_family_is_told_so_with_what_to_confirm():
    advice = joint_handling_advice(QUALIFYING)

    assert advice.eligible
    assert advice.unmet == ()
    assert advice.last_day == date(2026, 3, 26)  # born 2026-02-26: its one-month date
    assert any("父亲为广西户籍" in point for point in advice.to_confirm)
    assert any("南宁市的家庭户" in point for point in advice.to_confirm)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"birth_dates": (TODAY - timedelta(days=40),)}, "出生已超过1个月"),
        ({"father_id_number": ""}, "未填写父亲的有效身份证号码"),
        ({"mother_id_number": ""}, "未填写母亲的有效身份证号码"),
        ({"id_parent_has_guangxi_household": False}, "母亲未确认为广西户籍"),
        ({"nationality": "VNM"}, "国籍不是中国"),
        ({"household_type": "40"}, "集体户口"),
        ({"community_code": "450302001001"}, "参保社区不在南宁市"),
        ({"birth_hospital_code": "450302"}, "出生医院不在南宁市"),
        ({"birth_hospital_has_maternity_ward": False}, "出生医院未设产科"),
    ],
)
def test_each_failed_condition_is_named(change, reason):
    advice = joint_handling_advice(replace(QUALIFYING, **change))

    assert not advice.eligible
    assert len(advice.unmet) == 1
    assert reason in advice.unmet[0]


def test_the_age_boundary_is_the_one_month_date_itself():
    # Born 2026-11-07: at most one month old up to 2026-12-07 included, over it from 2026-12-08.
    born = date(2026, 11, 7)
    on_month_date = replace(QUALIFYING, birth_dates=(born,), today=date(2026, 12, 7))
    day_after = replace(QUALIFYING, birth_dates=(born,), today=date(2026, 12, 8))

    assert joint_handling_advice(on_month_date).eligible
    assert joint_handling_advice(on_month_date).last_day == date(2026, 12, 7)
    assert not joint_handling_advice(day_after).eligible
    assert "最迟须于2026年12月7日（含当日）申请" in joint_handling_advice(day_after).unmet[0]


def test_the_oldest_baby_of_the_birth_decides_the_age():
    facts = replace(QUALIFYING, birth_dates=(TODAY - timedelta(days=2), TODAY - timedelta(days=35)))

    assert not joint_handling_advice(facts).eligible


def test_other_parents_id_issued_outside_guangxi_is_a_point_to_confirm_not_a_refusal():
    advice = joint_handling_advice(replace(QUALIFYING, father_id_number=HUNAN_FATHER_ID))

    assert advice.eligible
    assert any("不是广西签发" in point for point in advice.to_confirm)


def test_a_birth_hospital_unknown_to_the_system_is_a_point_to_confirm():
    facts = replace(
        QUALIFYING,
        birth_hospital_code=None,
        birth_hospital_has_maternity_ward=None,
        birth_hospital_name="某妇幼",
    )

    advice = joint_handling_advice(facts)

    assert advice.eligible
    assert any("出生医院（某妇幼）为南宁市具备接产资质" in point for point in advice.to_confirm)


def test_there_is_no_advice_before_a_birth_date_and_a_parent_id_are_typed():
    assert joint_handling_advice(replace(QUALIFYING, birth_dates=())) is None
    assert joint_handling_advice(replace(QUALIFYING, birth_dates=(TODAY + timedelta(days=1),))) is None
    assert joint_handling_advice(replace(QUALIFYING, mother_id_number="", father_id_number="")) is None


def test_several_failures_are_listed_together():
    facts = replace(QUALIFYING, household_type="40", community_code="450302001001", nationality="VNM")

    assert len(joint_handling_advice(facts).unmet) == 3


def test_a_household_not_declared_yet_is_a_point_to_confirm():
    # The registration page declares the ID parent's Guangxi 户籍 with 「确认并保存」, after the advice.
    advice = joint_handling_advice(replace(QUALIFYING, id_parent_has_guangxi_household=None))

    assert advice.eligible
    assert "证件所属的母亲为广西户籍（以户口簿为准）。" in advice.to_confirm


def test_the_day_after_the_last_day_names_the_last_day_as_included():
    born = date(2026, 2, 2)  # last day 2026-03-02, the one-month date
    advice = joint_handling_advice(replace(QUALIFYING, birth_dates=(born,), today=date(2026, 3, 3)))

    [reason] = advice.unmet
    assert "最迟须于2026年3月2日（含当日）申请" in reason
    assert "前申请" not in reason
