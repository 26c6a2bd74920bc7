"""The domain's rules as pure functions of their arguments (SPEC.md); `today` is passed in."""

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from registration.reference import Sex

# The notice (南医保中心发〔2021〕176号) and 附件2: X for a girl, Y for a boy; same-sex twins are told apart
# by case; further babies take A-Z in order. Our order (SPEC.md, the letter): X, x, then A..W, Z for
# girls; Y, y, then the same shared letters for boys.
SHARED_SUFFIXES = tuple(letter for letter in string.ascii_uppercase if letter not in "XY")
SUFFIXES = {
    Sex.FEMALE: ("X", "x", *SHARED_SUFFIXES),
    Sex.MALE: ("Y", "y", *SHARED_SUFFIXES),
}
ALL_SUFFIXES = frozenset(SUFFIXES[Sex.FEMALE] + SUFFIXES[Sex.MALE])


class SuffixesExhausted(ValueError):
    """Every letter a baby of this sex could get has already been issued with this parent ID."""


def next_suffix(sex: Sex, taken: set[str]) -> str:
    """The first letter of the sex's list never issued with this parent ID (case-sensitive)."""
    for suffix in SUFFIXES[Sex(sex)]:
        if suffix not in taken:
            return suffix
    raise SuffixesExhausted(
        f"该父母身份证号可用于{Sex(sex).label}婴的{len(SUFFIXES[Sex(sex)])}个字母已全部签发，"
        "无法再生成新生儿编码；请使用出生医学证明编号办理，或联系医保经办机构。"
    )


def suffixes_for_birth(sexes: Sequence[Sex], taken: Iterable[str]) -> list[str]:
    """The letters for the babies of one birth, allocated in birth order."""
    issued = set(taken)
    letters = []
    for sex in sexes:
        letter = next_suffix(sex, issued)
        issued.add(letter)
        letters.append(letter)
    return letters


def newborn_name(parent_name: str, sex: Sex) -> str:
    """The baby's registered name: the ID parent's name + 之女 or 之子 (张三之女)."""
    name = (parent_name or "").strip()
    if not name:
        raise ValueError("parent_name must not be empty")
    return name + ("之女" if Sex(sex) == Sex.FEMALE else "之子")


def three_month_date(day: date) -> date:
    """The same day three calendar months later, or that month's last day when it has no such day."""
    return day + relativedelta(months=3)


def pre_enrollment_last_day(birth_date: date) -> date:
    """Last day on which the baby can be pre-enrolled and paid for, and the card's last valid day.

    SPEC.md, Age: the day before the three-month date, the reading under which both examples of the
    2026 guide hold (born 2025-12-05: pay "在2026年3月5日前").
    """
    return three_month_date(birth_date) - timedelta(days=1)


def days_left(birth_date: date, today: date) -> int:
    """Days from today to the last day of the window (0 on the last day itself, negative after it)."""
    return (pre_enrollment_last_day(birth_date) - today).days


def format_date_zh(day: date) -> str:
    """A date as the documents write it: 2026年3月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class BenefitStart:
    """When benefits start after a payment, and the rule of the 2026 guide (section 四) that says so."""

    start: date
    rule: str


def benefit_start_rule(birth_date: date, paid_on: date, years_paid: set[int]) -> BenefitStart:
    """The benefit start for a payment arrived on `paid_on` covering `years_paid`, with its reason."""
    years = set(years_paid)
    if not years:
        raise ValueError("years_paid must name at least one year")
    if paid_on < birth_date:
        raise ValueError("paid_on must not be before birth_date")
    if min(years) < birth_date.year:
        raise ValueError("years_paid must not precede the birth year")
    last_day = pre_enrollment_last_day(birth_date)
    if paid_on > last_day:
        start = three_month_date(paid_on)
        return BenefitStart(
            start,
            f"出生后3个月内（{format_date_zh(last_day)}前）未缴费，从缴费到账之日起计算3个月待遇等待期，"
            f"自{format_date_zh(start)}起享受待遇。",
        )
    if paid_on.year == birth_date.year:
        return BenefitStart(birth_date, "在出生当年参保缴费，从出生之日起享受待遇。")
    if {birth_date.year, paid_on.year} <= years:
        return BenefitStart(birth_date, "在出生次年参保缴费并补缴出生当年保费，从出生之日起享受待遇。")
    start = date(paid_on.year, 1, 1)
    return BenefitStart(
        start, f"在出生次年参保缴费但未补缴出生当年保费，只享受缴费当年待遇，自{format_date_zh(start)}起。"
    )


def benefit_start(birth_date: date, paid_on: date, years_paid: set[int]) -> date:
    """The first day of benefits for a payment (the 2026 guide, section 四; SPEC.md, Benefit start)."""
    return benefit_start_rule(birth_date, paid_on, years_paid).start


@dataclass(frozen=True)
class Problem:
    """One failed eligibility condition: the form field it concerns and its message for the clerk."""

    field: str
    code: str
    message: str


def eligibility_problems(
    *,
    birth_date: date,
    today: date,
    has_household_registration: bool,
    parent_has_guangxi_household: bool,
    hospital_in_guangxi: bool,
    hospital_has_maternity_ward: bool,
) -> list[Problem]:
    """Every failed condition of SPEC.md's eligibility, all at once, in the order of the form."""
    problems = []
    if birth_date > today:
        problems.append(Problem("birth_date", "born_in_future", "出生日期不能晚于今天。"))
    elif today > pre_enrollment_last_day(birth_date):
        problems.append(
            Problem(
                "birth_date",
                "too_old",
                f"新生儿出生已满3个月（最后可办理日为{format_date_zh(pre_enrollment_last_day(birth_date))}），"
                "不属于预参保登记范围。请取得户籍身份信息后，使用新生儿真实姓名及身份证号码，"
                "按户籍所在地的规定参加城乡居民基本医疗保险。",
            )
        )
    if has_household_registration:
        problems.append(
            Problem(
                "has_household_registration",
                "has_household",
                "新生儿已办理户籍登记，应使用真实姓名及身份证号码参保，不能办理预参保登记。",
            )
        )
    if not parent_has_guangxi_household:
        problems.append(
            Problem(
                "parent_has_guangxi_household",
                "parent_not_guangxi",
                "证件所属的母亲（或父亲）须为广西户籍（以上传的户口簿为准），否则不能办理预参保登记。",
            )
        )
    if not hospital_in_guangxi:
        problems.append(Problem("hospital", "hospital_outside", "自治区外医疗机构不能办理新生儿预参保登记。"))
    if not hospital_has_maternity_ward:
        problems.append(
            Problem("hospital", "no_maternity_ward", "本机构未设产科，不能办理新生儿预参保登记。")
        )
    return problems
