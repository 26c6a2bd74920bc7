"""Identity numbers, phones and scans: every input gives a value or a Chinese ValidationError."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn.ric import calc_check_digit

from registration import validators
from registration.services import Sex
from tests.factories import FATHER_ID, MOTHER_ID, id_number

CJK = any_text = st.text(max_size=80)
VALIDATORS = [
    validators.resident_id_validate,
    lambda value: validators.parent_id_validate(value, role="mother"),
    lambda value: validators.parent_id_validate(value, role="father"),
    validators.birth_certificate_number_validate,
    validators.temp_id_validate,
    validators.personal_number_validate,
    validators.phone_validate,
    lambda value: validators.real_id_validate(value, birth_date=date(2026, 1, 1), sex=Sex.FEMALE),
]


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.mark.parametrize("validate", VALIDATORS)
@given(value=st.one_of(any_text, st.text(alphabet="0123456789Xx ", max_size=25), st.none(), st.integers()))
def test_any_input_gives_a_value_or_a_chinese_validation_error(validate, value):
    try:
        result = validate(value)
    except ValidationError as exc:
        assert all(has_chinese(message) for message in exc.messages)
    else:
        assert isinstance(result, str) and result


@st.composite
def valid_ids(draw):
    born = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 12, 31)))
    order = draw(st.integers(min_value=0, max_value=999))
    body = f"450103{born:%Y%m%d}{order:03d}"
    return body + calc_check_digit(body + "0")


@given(valid_ids())
def test_every_valid_id_is_accepted_and_its_sex_digit_decides_the_role(number):
    assert validators.resident_id_validate(number) == number
    role = "mother" if int(number[16]) % 2 == 0 else "father"
    other = "father" if role == "mother" else "mother"
    assert validators.parent_id_validate(number, role=role) == number
    with pytest.raises(ValidationError, match="第17位"):
        validators.parent_id_validate(number, role=other)


def test_resident_id_of_a_parent_born_before_the_region_code_existed_is_valid():
    # 450103 became a code in 1983; a Nanning parent born in 1980 was issued it later.
    assert validators.resident_id_validate(id_number(born="19800101")) == id_number(born="19800101")


def test_resident_id_normalises_full_width_digits_spaces_and_a_lower_case_check_letter():
    body = next(
        f"450103199003070{n:02d}" for n in range(100) if calc_check_digit(f"450103199003070{n:02d}0") == "X"
    )
    number = body + "X"
    typed = " ".join(number[:-1]).translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    assert validators.resident_id_validate(typed) == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("45010319900307002", "应为18位"),
        ("4501031990030700A2", "只能由数字组成"),
        (MOTHER_ID[:-1] + str((int(MOTHER_ID[-1]) + 1) % 10) if MOTHER_ID[-1] != "X" else "", "校验位"),
        (id_number(born="19901332"), "出生日期"),
        (id_number(region="999999"), "地区代码"),
    ],
)
def test_resident_id_names_what_is_wrong(value, message):
    with pytest.raises(ValidationError, match=message):
        validators.resident_id_validate(value)


def test_resident_id_born_after_today_is_refused():
    with pytest.raises(ValidationError, match="晚于今天"):
        validators.resident_id_validate(id_number(born="20300101"), today=date(2026, 1, 1))


def test_a_fathers_id_given_for_the_mother_is_refused():
    with pytest.raises(ValidationError, match="偶数（女性）"):
        validators.parent_id_validate(FATHER_ID, role="mother")


def test_temp_id_keeps_its_case():
    assert validators.temp_id_validate(MOTHER_ID + "x") == MOTHER_ID + "x"
    assert validators.temp_id_validate(MOTHER_ID + "X") == MOTHER_ID + "X"
    with pytest.raises(ValidationError):
        validators.temp_id_validate(MOTHER_ID + "a")


def test_birth_certificate_number_is_one_letter_and_nine_digits():
    assert validators.birth_certificate_number_validate(" q450123456 ") == "Q450123456"
    with pytest.raises(ValidationError, match="1位字母加9位数字"):
        validators.birth_certificate_number_validate("450123456")


def test_real_id_must_match_the_babys_birth_date_and_sex():
    girl = id_number(born="20260101", order="002")
    assert validators.real_id_validate(girl, birth_date=date(2026, 1, 1), sex=Sex.FEMALE) == girl
    with pytest.raises(ValidationError, match="出生日期"):
        validators.real_id_validate(girl, birth_date=date(2026, 1, 2), sex=Sex.FEMALE)
    with pytest.raises(ValidationError, match="性别"):
        validators.real_id_validate(girl, birth_date=date(2026, 1, 1), sex=Sex.MALE)


def test_personal_numbers_carry_a_check_digit():
    number = validators.personal_number_format(1234)
    assert len(number) == 10 and number.startswith("45")
    assert validators.personal_number_validate(number) == number
    with pytest.raises(ValidationError):
        validators.personal_number_validate(number[:-1] + str((int(number[-1]) + 1) % 10))


@pytest.mark.parametrize(
    ("typed", "stored"), [("138 7711 2345", "13877112345"), ("0771-5782496", "07715782496")]
)
def test_phone_numbers_are_stored_as_national_digits(typed, stored):
    assert validators.phone_validate(typed) == stored


# --- names (formal enrollment's real name) -------------------------------------------------------------


@pytest.mark.parametrize("value", ["卢\u202e一", "卢\u200d一", "卢\u0007一", "卢\ue000一", "卢\U000e0001一"])
def test_name_validate_refuses_control_and_invisible_characters(value):
    with pytest.raises(ValidationError, match="不能包含控制字符或不可见字符"):
        validators.name_validate(value, label="真实姓名")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 卢  一 ", "卢 一"),
        ("禤小梅", "禤小梅"),
        ("e\u0301", "\u00e9"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
    ],
)
def test_name_validate_keeps_real_names_normalised(value, expected):
    assert validators.name_validate(value) == expected


@pytest.mark.parametrize(
    ("value", "message"), [("", "请填写姓名"), (None, "请填写姓名"), ("张" * 51, "最多50个字")]
)
def test_name_validate_needs_a_name_of_reasonable_length(value, message):
    with pytest.raises(ValidationError, match=message):
        validators.name_validate(value)


@pytest.mark.parametrize(
    "text", ["张\x00三", "张\x1b[31m三", "卢\u202e一", "张\u200b三", "张\ue000三", "张\U000e0001"]
)
def test_the_one_hidden_character_check_finds_controls_and_invisible_characters(text):
    assert validators.has_hidden_characters(text)


def test_the_hidden_character_check_leaves_ordinary_text_and_the_allowed_characters():
    assert not validators.has_hidden_characters("阿依古丽·买买提 Anna-Maria")
    assert not validators.has_hidden_characters("第一行\n第二行\t", allowed="\n\t")
    assert validators.has_hidden_characters("第一行\n", allowed="\t")
    assert not validators.has_hidden_characters("张\u200b三", categories=validators.CONTROL_CATEGORIES)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1\x1b[31m\x07", "U+001B、U+0007"),
        ("桂林市演示人民医院\x0b", "U+000B"),
        ("卢\u202e一", "U+202E"),
        ("张\u200b三\ufeff", "U+200B、U+FEFF"),
        ("张\ue000三", "U+E000"),
        ("第一行\u2028第二行", "U+2028"),
        ("\x01\x02\x03\x04", "U+0001、U+0002、U+0003等"),
    ],
)
def test_hidden_characters_validate_names_what_it_refuses_by_code_point(text, shown):
    with pytest.raises(ValidationError) as excinfo:
        validators.hidden_characters_validate(text, label="缴费凭证号")

    assert excinfo.value.messages == [
        f"缴费凭证号不能包含控制字符或不可见字符（{shown}），请删除后重新输入。"
    ]
    assert excinfo.value.code == "hidden_characters"


def test_hidden_characters_validate_passes_ordinary_text_and_a_textareas_line_breaks():
    for text in ("阿依古丽·买买提", "Marie-Claire O'Neil", "广西南宁市　青秀区（东院）", "é", "𠮷", None, 5):
        assert validators.hidden_characters_validate(text) == text
    assert validators.multiline_hidden_characters_validate("第一行\r\n第二行\t") == "第一行\r\n第二行\t"
    with pytest.raises(ValidationError):
        validators.hidden_characters_validate("第一行\n第二行")


def test_the_form_mixin_checks_every_text_field_but_passwords():
    from django import forms

    class Form(validators.HiddenCharactersFormMixin, forms.Form):
        name = forms.CharField()
        note = forms.CharField(widget=forms.Textarea)
        password = forms.CharField(widget=forms.PasswordInput)

    form = Form({"name": "李\u202e四", "note": "一\r\n二", "password": "pass\x1bword"})

    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    assert form.errors["name"][0].startswith("不能包含控制字符或不可见字符（U+202E）")
