"""Parsing and normalising identity numbers, phones and scans: a value, or a Chinese ValidationError."""

import functools
import re
import unicodedata
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from stdnum import luhn, numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from registration.reference import Sex

# Far beyond any real number: longer input is refused before any further work is spent on it.
MAX_INPUT_LENGTH = 64

ROLE_SEX = {"mother": Sex.FEMALE, "father": Sex.MALE}
ROLE_LABEL = {"mother": "母亲", "father": "父亲"}

BIRTH_CERTIFICATE_RE = re.compile(r"^[A-Z][0-9]{9}$")
# Every letter a temporary ID can end in: A-Z for both sexes, and the lower-case x and y of twins.
TEMP_ID_RE = re.compile(r"^[0-9]{17}[0-9X][A-Zxy]$")


def _normalise(value, label: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{label}格式不正确。", code="invalid")
    if len(value) > MAX_INPUT_LENGTH:
        raise ValidationError(f"{label}过长，请核对。", code="too_long")
    # NFKC turns the full-width digits and letters a Chinese input method types into ASCII.
    value = unicodedata.normalize("NFKC", value)
    return "".join(value.split())


def sex_from_id_number(number: str) -> Sex:
    """The holder's sex from the 17th digit of a valid resident ID (odd male, even female)."""
    return Sex.MALE if int(number[16]) % 2 else Sex.FEMALE


def resident_id_validate(value, *, today: date | None = None, label: str = "身份证号码") -> str:
    """A valid GB 11643 resident ID number (checksum, birth date, region), normalised to 18 characters."""
    number = _normalise(value, label)
    if number[-1:] == "x":
        number = number[:-1] + "X"
    if len(number) != 18:
        raise ValidationError(f"{label}应为18位，当前为{len(number)}位。", code="length")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationError(f"{label}只能由数字组成（末位可以是X）。", code="format")
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(f"{label}校验位不正确，请逐位核对。", code="checksum")
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationError(f"{label}中的出生日期（第7-14位）无效。", code="birth_date") from None
    if today is not None and born > today:
        raise ValidationError(f"{label}中的出生日期晚于今天。", code="birth_date_future")
    if not region_code_known(number[:6]):
        raise ValidationError(f"{label}前6位的地区代码无效。", code="region")
    return number


@functools.lru_cache(maxsize=4096)
def region_code_known(code: str) -> bool:
    """Whether a 6-digit code was ever an administrative division code (stdnum's GB/T 2260 table).

    Not stdnum's ric.validate(): it also demands that the code existed in the holder's birth year, but
    the code records where the number was issued, so it refuses, say, 450103 (青秀区, since 1983) for
    every parent born in Nanning before 1983.
    """
    info = {key: value for _, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    return "county" in info


def parent_id_validate(value, *, role: str, today: date | None = None) -> str:
    """A parent's resident ID whose sex digit fits the role: a mother's is a woman's, a father's a man's."""
    label = f"{ROLE_LABEL[role]}身份证号码"
    number = resident_id_validate(value, today=today, label=label)
    if sex_from_id_number(number) != ROLE_SEX[role]:
        expected = "偶数（女性）" if role == "mother" else "奇数（男性）"
        raise ValidationError(f"{label}第17位应为{expected}，请核对是否填反了父母。", code="sex_mismatch")
    return number


def birth_certificate_number_validate(value) -> str:
    """A birth medical certificate (出生医学证明) number: one letter and nine digits, e.g. Q450123456."""
    number = _normalise(value, "出生医学证明编号").upper()
    if not BIRTH_CERTIFICATE_RE.fullmatch(number):
        raise ValidationError(
            "出生医学证明编号应为1位字母加9位数字（如 Q450123456）。", code="birth_certificate"
        )
    return number


def temp_id_validate(value) -> str:
    """A temporary ID (parent's resident ID + one letter), kept case-sensitive: …1234X and …1234x differ.

    The parent's part is normalised as the registration page normalises an ID: its 18th character, a check
    character typed as `x`, is upper-cased (45010319930808006xX is 45010319930808006XX); the letter's case
    is the baby's and stays as typed.
    """
    number = _normalise(value, "新生儿编码")
    if len(number) == 19:
        number = number[:17] + number[17].upper() + number[18]
    if not TEMP_ID_RE.fullmatch(number):
        raise ValidationError("新生儿编码应为父母身份证号码加1个字母（共19位）。", code="temp_id")
    resident_id_validate(number[:18], label="新生儿编码的前18位")
    return number


def real_id_validate(value, *, birth_date: date, sex: Sex, today: date | None = None) -> str:
    """The baby's own resident ID at formal enrollment: its birth date and sex digit must be the baby's."""
    number = resident_id_validate(value, today=today, label="新生儿身份证号码")
    if ric.get_birth_date(number) != birth_date:
        raise ValidationError(
            "新生儿身份证号码中的出生日期与登记的出生日期不一致。", code="birth_date_mismatch"
        )
    if sex_from_id_number(number) != Sex(sex):
        raise ValidationError("新生儿身份证号码的性别位与登记的性别不一致。", code="sex_mismatch")
    return number


def personal_number_format(sequence_value: int) -> str:
    """The 10-digit personal number (个人编号) for a sequence value: 45, 7 digits, a Luhn check digit."""
    if not 0 < sequence_value < 10_000_000:
        raise ValueError("personal number sequence out of range")
    body = f"45{sequence_value:07d}"
    return body + luhn.calc_check_digit(body)


def personal_number_validate(value) -> str:
    """A personal number as typed into a search box: ten digits with a valid check digit."""
    number = _normalise(value, "个人编号")
    if not re.fullmatch(r"[0-9]{10}", number) or not luhn.is_valid(number):
        raise ValidationError("个人编号应为10位数字，请核对。", code="personal_number")
    return number


def phone_validate(value, *, label: str = "联系电话") -> str:
    """A mainland mobile or landline number (phonenumbers), stored as national digits: 13877112345."""
    text = _normalise(value, label).replace("-", "")
    match _phone_parse(text):
        case "unparsable":
            raise ValidationError(f"{label}格式不正确。", code="phone")
        case "invalid":
            raise ValidationError(f"{label}不是有效的手机或固定电话号码。", code="phone")
        case number:
            return number


# phonenumbers' parse and check cost a few hundred microseconds, and a registration checks the same
# numbers more than once (the page's form, then newborn_register; the record's phone is usually the
# parent's): the answers (a pure function of the text) are kept for the last 16 numbers, about what one
# request needs; each worker process holds those 16 until newer ones push them out.
@functools.lru_cache(maxsize=16)
def _phone_parse(text: str) -> str:
    """The number's stored form, or "unparsable" / "invalid"."""
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return "unparsable"
    if not phonenumbers.is_valid_number(parsed):
        return "invalid"
    if parsed.country_code != 86:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"[^0-9]", "", national)


# Unicode categories no typed text contains: controls (NUL, BEL, ESC of a terminal's escape sequences, DEL,
# C1), invisible format characters (the right-to-left override that would show 卢\u202e一 reordered,
# zero-width spaces and joiners, the byte order mark, the soft hyphen), surrogates, private-use and
# unassigned code points (boxes on a card), and the line and paragraph separators (U+2028, U+2029).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
CONTROL_CATEGORIES = frozenset({"Cc"})
# What a multi-line box (a textarea: a reason, a note) may hold besides visible text: its line breaks as
# browsers send them (CR LF) and tabs.
MULTILINE_ALLOWED = "\r\n\t"
# The NBS division data writes a few rare characters of place names in the private-use area (450681101201,
# "\ue08b尾村村委会"): its import refuses only what hides or reorders text, and the card's own check
# (card_text_validate) decides what it can print.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
HIDDEN_CHARACTERS_MESSAGE = "不能包含控制字符或不可见字符"


def has_hidden_characters(text: str, *, allowed: str = "", categories=HIDDEN_CATEGORIES) -> bool:
    """Whether the text holds a control or invisible character (`categories`), the `allowed` ones aside."""
    return any(unicodedata.category(char) in categories and char not in allowed for char in text)


def hidden_characters_shown(text: str, *, allowed: str = "", categories=HIDDEN_CATEGORIES) -> str:
    """The hidden characters of a text by code point, the first three (U+001B、U+0007), or "" for none."""
    hidden = [
        char
        for char in dict.fromkeys(text)
        if unicodedata.category(char) in categories and char not in allowed
    ]
    return "、".join(f"U+{ord(char):04X}" for char in hidden[:3]) + ("等" if len(hidden) > 3 else "")


def hidden_characters_validate(value, *, allowed: str = "", label: str = ""):
    """The one check of stored text for hidden characters (HIDDEN_CATEGORIES): the value, or a Chinese
    ValidationError that names the first few by code point (U+001B), since they cannot be seen.

    Every door the app stores text through runs it: the pages' forms (forms.fields.TextField), the API's
    serializers (api.serializers.InputSerializer), the admin's forms (HiddenCharactersFormMixin), the
    services that take free text (reasons, operators, payment lists). Anything but a string passes.
    """
    if not isinstance(value, str):
        return value
    shown = hidden_characters_shown(value, allowed=allowed)
    if shown:
        raise ValidationError(
            f"{label}{HIDDEN_CHARACTERS_MESSAGE}（{shown}），请删除后重新输入。", code="hidden_characters"
        )
    return value


def multiline_hidden_characters_validate(value):
    """hidden_characters_validate for a multi-line box: its line breaks and tabs pass."""
    return hidden_characters_validate(value, allowed=MULTILINE_ALLOWED)


class HiddenCharactersFormMixin:
    """A Django form whose every text field runs hidden_characters_validate (a textarea's line breaks and
    tabs allowed, passwords left alone: they are never shown, and hashed). For the forms the app does not
    write field by field: the admin's (registration/admin/base.py gives each of its forms this mixin)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django import forms  # helpers import no form at module level

        for field in self.fields.values():
            if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
                continue
            if isinstance(field.widget, forms.Textarea):
                field.validators.append(multiline_hidden_characters_validate)
            else:
                field.validators.append(hidden_characters_validate)


# Every date the app takes (registration, payments, lists, reports, exports, the audit log) lies in these
# years: a far date (9999-12-31) would overflow the date arithmetic of a report or a filter's next day.
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2099, 12, 31)
DATE_BOUNDS_MESSAGE = (
    f"日期超出范围：请填写{DATE_MIN.year}年{DATE_MIN.month}月{DATE_MIN.day}日至"
    f"{DATE_MAX.year}年{DATE_MAX.month}月{DATE_MAX.day}日之间的日期（请检查年份是否输错）。"
)


def date_bounds_validate(value: date) -> date:
    """The one bound of every date input (forms.fields.BoundedDateField, the cards' batch date)."""
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(DATE_BOUNDS_MESSAGE, code="date_bounds")
    return value


def name_digits_refuse(name: str, *, label: str = "姓名") -> str:
    """A person's name holds no digit (any script's: 4, ４, ٤, ①): an ID or phone number typed into a
    name box would otherwise become the baby's name (…之女) and show unmasked in every list and export.

    The one rule for every name the app takes (the registration page and service, formal enrollment's real
    name, an operator's name): a minority name's `·` (阿依古丽·买买提) and a foreign parent's Latin name
    (Marie-Claire O'Neil) pass. Chinese numerals (一, 三) are letters of names and pass too.
    """
    digits = [char for char in dict.fromkeys(name) if unicodedata.category(char) in {"Nd", "Nl", "No"}]
    if digits:
        shown = "".join(digits[:5])
        raise ValidationError(
            f"{label}不能含有数字（{shown}）：请填写姓名；身份证号码、电话号码请填在各自的栏内。",
            code="name_digits",
        )
    return name


def name_validate(value, *, label: str = "姓名", max_length: int = 50) -> str:
    """A person's name: NFC, inner whitespace collapsed, no control or invisible characters, not too long."""
    if not isinstance(value, str):
        raise ValidationError(f"请填写{label}。", code="required")
    if len(value) > max_length * 4:
        raise ValidationError(f"{label}最多{max_length}个字。", code="max_length")
    name = unicodedata.normalize("NFC", " ".join(value.split()))
    if not name:
        raise ValidationError(f"请填写{label}。", code="required")
    hidden_characters_validate(name, label=label)
    if len(name) > max_length:
        raise ValidationError(f"{label}最多{max_length}个字，当前为{len(name)}个。", code="max_length")
    return name_digits_refuse(name, label=label)


MATERIAL_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def card_text_validate(value: str, *, label: str) -> str:
    """Text the registration card prints (names, the birth hospital): every character must be one the card's
    font can draw (cards/charset.py), else the card would print an empty box in a family's name."""
    from cards.charset import characters_missing  # the font's list lives beside the font

    missing = characters_missing(value)
    if missing:
        shown = "、".join(f"「{char}」" for char in missing[:5]) + ("等" if len(missing) > 5 else "")
        raise ValidationError(
            f"{label}中的{shown}无法打印在登记卡上（不是规范汉字）。请按居民身份证或户口簿上的写法填写。",
            code="card_text",
        )
    return value
