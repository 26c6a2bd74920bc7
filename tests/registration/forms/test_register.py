"""forms/register.py: the registration page's forms, parsing and normalising only; no database, no
eligibility."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from registration.forms.register import (
    PAGE_FIELDS,
    BabyForm,
    RegisterForm,
    baby_formset,
    check_errors_apply,
    check_path_reported,
    error_summary,
)
from registration.reference import Sex
from registration.services.newborns import BabyInput, ParentInput
from tests.factories import FATHER_ID, MOTHER_ID, register_post_data

TODAY = date(2026, 3, 2)


def register_data(**overrides) -> dict:
    """The page's main form as posted (factories.register_post_data), the mother's ID only."""
    fields = {
        "community": "17",
        "mother_phone": "",
        "father_name": "",
        "father_id_number": "",
        "materials_deferred": None,
    }
    return register_post_data(**{**fields, **overrides})


def register_form(**overrides) -> RegisterForm:
    form = RegisterForm(register_data(**overrides), today=TODAY)
    form.is_valid()
    return form


def babies_data(*babies, total=None) -> dict:
    data = {"babies-TOTAL_FORMS": str(len(babies) if total is None else total), "babies-INITIAL_FORMS": "0"}
    for index, baby in enumerate(babies):
        for field, value in baby.items():
            data[f"babies-{index}-{field}"] = value
    return data


GIRL = {"sex": "2", "birth_date": "2026-02-26"}


# --- the main form ------------------------------------------------------------------------------


def test_it_parses_a_valid_page_into_the_services_request():
    form = register_form(
        father_id_number=FATHER_ID, father_name="李四", confirmed_warnings="agency_mismatch unknown"
    )
    assert form.errors == {}
    baby = BabyInput(Sex.FEMALE, date(2026, 2, 26))

    request = form.registration_request([baby], community=None, materials=[])

    assert request.mother == ParentInput("张三", MOTHER_ID, "")
    assert request.father == ParentInput("李四", FATHER_ID, "")
    assert request.babies == (baby,)
    assert request.has_household_registration is False  # declared by 「确认并保存」
    assert request.parent_has_guangxi_household is True
    assert request.birth_hospital_name == "南宁市第一人民医院"
    assert request.confirmed_warnings == {"agency_mismatch"}  # by code only, the known ones
    assert (request.household_type, request.ethnicity, request.nationality) == ("30", "08", "CHN")
    assert form.cleaned_data["community"] == 17


def test_the_agency_warning_has_no_confirmation_of_its_own_name():
    form = register_form(agency_warning_confirmed="on")
    assert form.errors == {}

    request = form.registration_request([], community=None, materials=[])

    assert request.confirmed_warnings == frozenset()


def test_it_normalises_full_width_input_and_spaces():
    form = register_form(
        mother_id_number=" ".join(MOTHER_ID).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        mother_name="  张　三 ",
        phone="138 7711 2345",
    )

    assert form.errors == {}
    assert form.cleaned_data["mother_id_number"] == MOTHER_ID
    assert form.cleaned_data["mother_name"] == "张 三"
    assert form.cleaned_data["phone"] == "13877112345"


def test_the_id_parents_name_and_id_are_required_the_others_optional():
    form = register_form(mother_name="", mother_id_number="", father_name="", father_id_number="")

    assert "请填写母亲的姓名" in form.errors["mother_name"][0]
    assert "请填写母亲的身份证号码" in form.errors["mother_id_number"][0]
    assert "father_name" not in form.errors and "father_id_number" not in form.errors


def test_a_mothers_id_must_be_a_womans():
    form = register_form(mother_id_number=FATHER_ID)

    assert "第17位应为偶数" in form.errors["mother_id_number"][0]


def test_it_needs_a_community_picked_or_typed():
    form = register_form(community="", community_text="")

    assert "请选择或输入参保社区" in form.errors["community_text"][0]


def test_a_community_id_that_is_no_number_is_dropped():
    form = register_form(community="12; drop table")

    assert form.errors == {} and form.cleaned_data["community"] is None


def test_a_malformed_request_key_is_not_an_error():
    assert register_form(request_key="x" * 1000).cleaned_data["request_key"] is None
    assert register_form(request_key="2b5c1a4e-9f2d-4e58-9a3c-0e6a8d6f1b22").cleaned_data["request_key"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mother_name", "张" * 51, "最多可填写50个字符"),
        ("mother_name", "张" * 1_000_000, "最多可填写50个字符"),
        ("household_address", "新竹路\x00号", "不能包含控制字符或不可见字符"),
        ("household_address", "新竹路\x1b[31m号", "不能包含控制字符或不可见字符"),
        ("mother_name", "张\u200b三", "不能包含控制字符或不可见字符"),
        ("mother_name", "张\ue000三", "不能包含控制字符或不可见字符"),
        ("route", "other", "请选择证件类型"),
        ("parent_role", "grandmother", "请选择使用母亲还是父亲"),
        ("ethnicity", "<script>", "请从列表中选择民族"),
        ("nationality", "", "请选择国籍"),
        ("phone", "not a phone", "联系电话"),
        ("household_address", "", "请填写户口详址"),
    ],
)
def test_it_refuses_garbage_with_a_chinese_message(field, value, message):
    form = register_form(**{field: value})

    field = "community_text" if field == "community" else field
    assert message in " ".join(form.errors[field])


def test_it_refuses_a_material_above_the_size_limit(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MATERIAL_MAX_BYTES = 10
    form = RegisterForm(
        register_data(), {"material_id_card": SimpleUploadedFile("a.png", b"x" * 11)}, today=TODAY
    )

    assert not form.is_valid()
    assert "超过" in form.errors["material_id_card"][0]
    assert form.uploads() == {}


def test_it_offers_guangxis_common_ethnicities_first():
    groups = RegisterForm().fields["ethnicity"].choices
    assert groups[0] == ("", "请选择民族")
    assert [name for _, name in groups[1][1][:3]] == ["汉族", "壮族", "瑶族"]
    assert len(groups[1][1]) + len(groups[2][1]) == 58


# --- the babies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["2026-02-26", "2026/2/26", "20260226", "2026年2月26日", "２０２６-０２-２６", " 2026-02-26 "]
)
def test_it_reads_the_birth_dates_a_clerk_types(typed):
    form = BabyForm({"sex": "2", "birth_date": typed})

    assert form.is_valid(), form.errors
    assert form.baby_input() == BabyInput(Sex.FEMALE, date(2026, 2, 26), "")


@pytest.mark.parametrize(
    "typed",
    ["2026-02-30", "26-2-26", "yesterday", "99999-01-01", "0000-01-01", "1" * 100_000, "2026-02-26\x00"],
)
def test_it_refuses_malformed_dates(typed):
    form = BabyForm({"sex": "2", "birth_date": typed})

    assert not form.is_valid()
    assert "出生日期格式不正确" in form.errors["birth_date"][0]


@pytest.mark.parametrize("sex", ["", "0", "3", "女", "2.0"])
def test_it_needs_a_sex(sex):
    form = BabyForm({"sex": sex, "birth_date": "2026-02-26"})

    assert form.errors["sex"] == ["请选择性别。"]


def test_the_certificate_number_is_ignored_on_the_parent_id_route():
    form = BabyForm({**GIRL, "birth_certificate_number": "whatever"}, route="parent_id")

    assert form.is_valid() and form.baby_input().birth_certificate_number == ""


def test_the_certificate_number_is_required_and_normalised_on_its_route():
    missing = BabyForm(GIRL, route="birth_certificate")
    typed = BabyForm({**GIRL, "birth_certificate_number": " q４５0123456 "}, route="birth_certificate")
    wrong = BabyForm({**GIRL, "birth_certificate_number": "12345"}, route="birth_certificate")

    assert missing.errors["birth_certificate_number"] == ["请填写出生医学证明编号。"]
    assert typed.is_valid() and typed.baby_input().birth_certificate_number == "Q450123456"
    assert "1位字母加9位数字" in wrong.errors["birth_certificate_number"][0]


def test_the_formset_keeps_birth_order_and_skips_an_empty_added_block():
    formset = baby_formset(babies_data(GIRL, {"sex": "1", "birth_date": "2026-02-26"}, {}), route="parent_id")

    assert formset.is_valid(), formset.errors
    assert [baby.sex for baby in formset.baby_inputs()] == [Sex.FEMALE, Sex.MALE]


def test_the_formset_needs_one_baby():
    formset = baby_formset(babies_data({}), route="parent_id")

    assert not formset.is_valid()
    assert formset.forms[0].errors["sex"] == ["请选择性别。"]
    assert not baby_formset(babies_data(total=0)).is_valid()


def test_the_formset_takes_at_most_eight_babies():
    eight = baby_formset(babies_data(*[GIRL] * 8))
    nine = baby_formset(babies_data(*[GIRL] * 9))

    assert eight.is_valid()
    assert not nine.is_valid() and nine.non_form_errors() == ["一次登记最多8名婴儿。"]


@pytest.mark.parametrize("total", ["1000000", "-5", "abc", None])
def test_the_formset_survives_a_tampered_management_form(total):
    data = babies_data(GIRL)
    if total is None:
        del data["babies-TOTAL_FORMS"]
    else:
        data["babies-TOTAL_FORMS"] = total

    formset = baby_formset(data)

    assert formset.is_valid() is False or formset.baby_inputs()
    assert len(formset.forms) <= 8


# --- the registration check's messages on the page ---------------------------------------------


def test_the_checks_errors_land_next_to_their_fields():
    form = register_form()
    formset = baby_formset(babies_data(GIRL, {}, GIRL))  # the empty middle block is not sent
    assert formset.is_valid()
    error = ValidationError(
        {
            "babies.1.birth_date": ["第2名新生儿：出生已满3个月"],
            "babies": ["出生医学证明编号 Q450123456 已经登记过"],
            "materials.0": ["a.gif：只能上传"],
            "has_household_registration": ["新生儿已办理户籍登记"],
            "community": ["请选择到村（社区）一级的参保社区。"],
            "mother.id_number": ["母亲身份证号码校验位不正确"],
            "father.phone": ["父亲联系电话格式不正确。"],
            "materials": ["请上传出生记录（产时记录、产科登记表）或出生医学证明。"],
            "hospital": ["本机构未设产科"],
            "babies.7.sex": ["no such baby"],
        }
    )

    check_errors_apply(error, form, formset, ["birth_record"])

    assert formset.forms[2].errors["birth_date"] == ["第2名新生儿：出生已满3个月"]
    assert formset.non_form_errors() == ["出生医学证明编号 Q450123456 已经登记过"]
    assert form.errors["material_birth_record"] == ["a.gif：只能上传"]
    assert form.errors["community_text"] == ["请选择到村（社区）一级的参保社区。"]
    assert form.errors["mother_id_number"] == ["母亲身份证号码校验位不正确"]
    assert form.errors["father_phone"] == ["父亲联系电话格式不正确。"]
    assert form.errors["materials_deferred"] == ["请上传出生记录（产时记录、产科登记表）或出生医学证明。"]
    # The declarations have no box of their own (the save button sends them): above the form.
    assert form.non_field_errors() == ["新生儿已办理户籍登记", "本机构未设产科", "no such baby"]
    summary = error_summary(form, formset)
    assert len(summary) == 10
    assert {
        "label": "第3名婴儿·出生日期",
        "message": "第2名新生儿：出生已满3个月",
        "anchor": "id_babies-2-birth_date",
    } in summary
    assert {
        "label": "母亲身份证号码",
        "message": "母亲身份证号码校验位不正确",
        "anchor": "id_mother_id_number",
    } in summary


def test_a_path_the_page_already_reports_is_left_to_the_pages_own_message():
    form = register_form(mother_id_number="123")
    formset = baby_formset(babies_data(GIRL))
    formset.is_valid()

    def reported(path):
        return check_path_reported(path, form, formset, [])

    assert reported("mother.id_number") and "mother_id_number" in form.errors
    assert not reported("phone")  # no field of the page: above the form
    assert not reported("hospital") and not reported("father.id_number") and not reported("babies")


def test_the_babies_count_is_the_formsets_to_report():
    formset = baby_formset(babies_data())  # no baby: the formset says so itself
    formset.is_valid()

    assert check_path_reported("babies", register_form(), formset, [])


def test_every_path_of_the_check_names_a_field_of_the_page():
    form = RegisterForm()
    assert all(
        name in form.fields and not form.fields[name].widget.is_hidden for name in PAGE_FIELDS.values()
    )


def test_a_message_without_a_field_goes_to_the_top():
    form = register_form()
    formset = baby_formset(babies_data(GIRL))
    formset.is_valid()

    check_errors_apply(ValidationError("保存时与其他登记发生冲突"), form, formset, [])

    assert form.non_field_errors() == ["保存时与其他登记发生冲突"]


# --- the preview query ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("mother_name", "劉德華", "「劉」、「華」"),
        ("father_name", "张\u2603", "「\u2603」"),
        ("birth_hospital_name", "廣西醫院", "「廣」、「醫」"),
    ],
)
def test_the_page_refuses_what_the_card_cannot_print(field, value, shown):
    form = RegisterForm({field: value})
    form.is_valid()

    assert shown in form.errors[field][0] and "无法打印在登记卡上" in form.errors[field][0]
