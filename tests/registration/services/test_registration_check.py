"""The registration check (services/registration_check.py): one typed request in, every error and warning
out at once, by the page's field paths."""

from datetime import timedelta

import pytest

from registration.models import Division, Sex
from registration.services.registration_check import (
    WARNING_AGENCY,
    WARNING_CODES,
    WARNING_DUPLICATE,
    WARNING_PARENT_NAME,
    BabyInput,
    ParentInput,
    registration_check,
    registration_problems,
)
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital():
    factories.division_chain()
    return factories.hospital_make()


def request(**overrides):
    fields = {
        "father": ParentInput("", "", ""),
        "babies": [BabyInput(Sex.FEMALE, TODAY - timedelta(days=4))],
        "community": Division.objects.get(code="450103001001"),
        "confirmed_warnings": (),
    }
    return factories.registration_request(**{**fields, **overrides})


def check(hospital, **overrides):
    return registration_check(hospital=hospital, registration=request(**overrides), today=TODAY)


def test_a_registration_meeting_every_rule_has_nothing_to_report(hospital):
    factories.agency_make()

    result = check(hospital)

    assert (result.errors, result.warnings) == ({}, [])
    assert result.parent == ParentInput("张三", MOTHER_ID, "13877112345")
    assert result.agency == result.parent_agency and result.agency.code == "450100"


def test_it_reports_errors_and_warnings_at_once(hospital):
    clerk = factories.operator_make(hospital=hospital).user
    factories.register(clerk, confirmed_warnings=WARNING_CODES)  # 张三, the same girl: a possible duplicate

    result = check(
        hospital,
        mother=ParentInput("张叁", " ".join(MOTHER_ID), "123"),
        father=ParentInput("李四", FATHER_ID[:-1] + ("1" if FATHER_ID[-1] != "1" else "2"), ""),
        parent_has_guangxi_household=False,
    )

    assert set(result.errors) == {"mother.phone", "father.id_number", "parent_has_guangxi_household"}
    assert "校验位" in result.errors["father.id_number"][0]
    assert [warning.code for warning in result.warnings] == [
        WARNING_AGENCY,
        WARNING_DUPLICATE,
        WARNING_PARENT_NAME,
    ]
    assert "张三" not in result.warnings[2].message and "「张叁」" in result.warnings[2].message
    assert result.mother.id_number == MOTHER_ID  # normalised


def test_confirmed_warnings_are_not_reported_again(hospital):
    result = check(hospital, confirmed_warnings={WARNING_AGENCY})

    assert (result.errors, result.warnings) == ({}, [])


def test_a_value_that_did_not_parse_is_reported_as_missing(hospital):
    result = check(
        hospital,
        route="",
        babies=[BabyInput(None, None), BabyInput(Sex.MALE, TODAY + timedelta(days=1))],
        community=None,
        materials_deferred=False,
    )

    assert result.errors["route"] == ["请选择证件类型。"]
    assert result.errors["babies.0.sex"] == ["第1名新生儿：请选择性别。"]
    assert result.errors["babies.0.birth_date"] == ["第1名新生儿：请填写出生日期。"]
    assert result.errors["babies.1.birth_date"] == ["第2名新生儿：出生日期不能晚于今天。"]
    assert "请选择或输入参保社区" in result.errors["community"][0]
    assert len(result.errors["materials"]) == 2
    assert result.warnings == []  # the community is needed to compare the agencies


def test_the_conditions_of_the_birth_are_reported_once_and_without_a_birth_date(hospital):
    hospital.has_maternity_ward = False

    result = check(
        hospital,
        babies=[BabyInput(Sex.FEMALE, None), BabyInput(Sex.FEMALE, None)],
        has_household_registration=True,
    )

    assert len(result.errors["has_household_registration"]) == 1
    assert result.errors["hospital"] == ["本机构未设产科，不能办理新生儿预参保登记。"]


def test_the_problems_of_a_partly_parsed_request_leave_out_what_the_parsing_reported(hospital):
    registration = request(route="", babies=[BabyInput(None, TODAY - timedelta(days=4))])

    problems = registration_problems(
        hospital=hospital, registration=registration, today=TODAY, reported=lambda path: path == "route"
    )

    assert problems == {"babies.0.sex": ["请选择性别。"]}


def test_a_parent_id_from_another_province_is_named_in_the_agency_warning(hospital):
    # Issue 24, item 10: a Guangzhou number (440106, 天河区) said only that no agency was found.
    factories.agency_make()
    guangzhou_mother = factories.id_number(region="440106", order="002")

    result = check(hospital, mother=ParentInput("张三", guangzhou_mother, ""))

    assert result.errors == {}
    [warning] = result.warnings
    assert warning.code == WARNING_AGENCY
    assert "身份证号码前6位440106是广东省广州市天河区的行政区划代码，不是广西的" in warning.message
    assert "请核对户口簿，确认其户籍现在广西" in warning.message
    # Still a warning: a parent keeps the number after moving their 户籍 to Guangxi.
    confirmed = check(
        hospital, mother=ParentInput("张三", guangzhou_mother, ""), confirmed_warnings=[WARNING_AGENCY]
    )
    assert (confirmed.errors, confirmed.warnings) == ({}, [])


def test_a_guangxi_parent_with_another_agency_is_not_told_the_number_is_from_elsewhere(hospital):
    factories.agency_make()
    factories.division_chain("450302001001", ("广西壮族自治区", "桂林市", "秀峰区", "秀峰街道", "某社区"))
    factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))

    result = check(hospital, mother=ParentInput("张三", factories.id_number(region="450302"), ""))

    [warning] = result.warnings
    assert "桂林市医疗保障事业管理中心" in warning.message and "不是广西的" not in warning.message
