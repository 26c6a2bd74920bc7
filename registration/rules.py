"""The domain's rules as pure functions of their arguments (docs/rules.md); `today` is passed in."""

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from registration.reference import Sex

# The notice (南医保中心发〔2021〕176号) and 附件2: X for a girl, Y for a boy; same-sex twins are told apart
# by case; further babies take A-Z in order. Our order (docs/rules.md, the letter): X, x, then A..W, Z for
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


def identity_agrees(known_name: str | None, typed_name: str) -> bool:
    """Whether the name typed with an ID number is the one last registered with it (`known_name`, None when
    the number was never registered). A parent's history at other hospitals (the letters issued, a possible
    duplicate) shows itself to a clerk only then (docs/privacy.md, The rule of disclosure)."""
    typed = (typed_name or "").strip()
    return known_name is not None and bool(typed) and known_name.strip() == typed


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

    docs/rules.md, Age: the day before the three-month date, the reading under which both examples of the
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
    """When benefits start after a payment, and the rule of the 2026 guide (section 四) that says so.

    `covered` is False only when no year paid reaches the end of the waiting period of a late payment: the
    start is then the day benefits could begin once the year it falls in is paid, and the rule says so.
    """

    start: date
    rule: str
    covered: bool = True


@dataclass(frozen=True)
class _Benefit:
    """One payment's outcome, counted with the years paid by its day; `paid_on` says which payment."""

    start: date
    kind: str
    paid_on: date
    covered: bool = True


def _years_zh(years: Iterable[int]) -> str:
    return "、".join(str(year) for year in sorted(years)) + "年度"


def _benefit(birth_date: date, paid_on: date, years: frozenset[int]) -> _Benefit:
    # The 2026 guide, 四, for any years paid (docs/decisions.md, benefit start): paid by the last day, from
    # birth when the birth year is paid, else from 1 January of the earliest year paid; paid later, from the
    # payment's three-month date, but inside a paid year (1 January of the next paid year if need be).
    if paid_on <= pre_enrollment_last_day(birth_date):
        if birth_date.year in years:
            return _Benefit(birth_date, "birth", paid_on)
        return _Benefit(date(min(years), 1, 1), "first_year", paid_on)
    waited = three_month_date(paid_on)
    if waited.year in years:
        return _Benefit(waited, "waited", paid_on)
    later = sorted(year for year in years if year > waited.year)
    if later:
        return _Benefit(date(later[0], 1, 1), "waited_next_year", paid_on)
    return _Benefit(waited, "waited_unpaid", paid_on, covered=False)


def _reason(birth_date: date, benefit: _Benefit, years: frozenset[int]) -> str:
    """The rule in words; `years` are all the years paid, so the words hold whatever was paid later."""
    last_day = format_date_zh(pre_enrollment_last_day(birth_date))
    start = format_date_zh(benefit.start)
    if benefit.kind == "birth":
        if benefit.paid_on.year == birth_date.year:
            return "在出生当年参保缴费，从出生之日起享受待遇。"
        return "在出生次年参保缴费并补缴出生当年保费，从出生之日起享受待遇。"
    if benefit.kind == "first_year":
        birth_year = f"出生当年（{birth_date.year}年）保费"
        late = birth_date.year in years  # paid, but only after the last day (else it would start at birth)
        why = f"{birth_year}在缴费截止日（{last_day}）后才到账" if late else f"未缴纳{birth_year}"
        return f"{why}，不能从出生之日起享受待遇；自已缴费的{benefit.start.year}年度起，即{start}起享受待遇。"
    waited = three_month_date(benefit.paid_on)
    late = (
        f"{format_date_zh(benefit.paid_on)}到账，已过缴费截止日（{last_day}），从到账之日起计算3个月待遇等待期"
        f"（至{format_date_zh(waited - timedelta(days=1))}）"
    )
    if benefit.kind == "waited":
        return f"{late}，自{start}起享受待遇。"
    if benefit.kind == "waited_next_year":
        unpaid = "未在等待期结束前缴纳" if waited.year in years else "未缴纳"
        return (
            f"{late}；{waited.year}年度保费{unpaid}，自已缴费的{benefit.start.year}年度起，"
            f"即{start}起享受待遇。"
        )
    return (
        f"{late}；所缴{_years_zh(years)}在等待期结束前已结束，须缴纳{waited.year}年度保费方可享受待遇"
        f"（最早自{start}起）。"
    )


def _unpaid_note(birth_date: date, benefit: _Benefit, latest_paid_on: date, years: frozenset[int]) -> str:
    # The years after the birth year, up to the latest payment's, that nothing paid: said, never implied
    # (but not twice: the reason of a late payment already names its waiting period's year).
    said = {three_month_date(benefit.paid_on).year} if benefit.kind == "waited_next_year" else set()
    unpaid = [
        year for year in range(birth_date.year + 1, latest_paid_on.year + 1) if year not in years | said
    ]
    return f"另：{_years_zh(unpaid)}保费尚未缴纳。" if unpaid else ""


def _payment_check(birth_date: date, paid_on: date, years: set[int]) -> None:
    if not years:
        raise ValueError("years_paid must name at least one year")
    if paid_on < birth_date:
        raise ValueError("paid_on must not be before birth_date")
    if min(years) < birth_date.year:
        raise ValueError("years_paid must not precede the birth year")
    if max(years) > paid_on.year + 1:
        raise ValueError("years_paid must not be after the year following the payment")


def benefit_start_combined(birth_date: date, payments: Iterable[tuple[date, Iterable[int]]]) -> BenefitStart:
    """The benefit start of all a record's payments: the earliest any gives, each counted with the years
    paid by its day; the rule's note on unpaid years counts every payment."""
    ordered = sorted((paid_on, frozenset(years)) for paid_on, years in payments)
    if not ordered:
        raise ValueError("at least one payment is needed")
    results, paid = [], frozenset()
    for paid_on, years in ordered:
        _payment_check(birth_date, paid_on, set(years))
        paid |= years
        results.append(_benefit(birth_date, paid_on, paid))
    covered = [result for result in results if result.covered]
    if not covered:
        # No year paid reaches the end of a waiting period: the latest payment, which knows every year paid,
        # says which year is still to pay.
        best = results[-1]
        return BenefitStart(best.start, _reason(birth_date, best, paid), covered=False)
    # On a tie the latest payment wins: it was counted knowing the most years paid.
    best = min(reversed(covered), key=lambda result: result.start)
    note = _unpaid_note(birth_date, best, ordered[-1][0], paid)
    return BenefitStart(best.start, _reason(birth_date, best, paid) + note)


def benefit_start_rule(birth_date: date, paid_on: date, years_paid: set[int]) -> BenefitStart:
    """The benefit start for a payment arrived on `paid_on` covering `years_paid`, with its reason."""
    return benefit_start_combined(birth_date, [(paid_on, set(years_paid))])


def benefit_start(birth_date: date, paid_on: date, years_paid: set[int]) -> date:
    """The first day of benefits for a payment (the 2026 guide, section 四; docs/rules.md, Benefit start)."""
    return benefit_start_rule(birth_date, paid_on, years_paid).start


# --- Which days the card covers (docs/rules.md, Which days are covered) --------------------------------


def _in_time(birth_date: date, payments) -> list[tuple[date, frozenset[int]]]:
    # Only money that arrived by the last day counts for the card: later money belongs to formal
    # enrollment at the agency, with its waiting period (the notice, 二(一); the 2026 guide, 四).
    last_day = pre_enrollment_last_day(birth_date)
    return [(paid_on, frozenset(years)) for paid_on, years in payments if paid_on <= last_day]


@dataclass(frozen=True)
class CardCover:
    """What the premiums paid by the card's last day cover: benefits from `start` to `paid_until` (the
    end of the run of paid calendar years from the start's year); None when nothing arrived in time."""

    birth_date: date
    start: date | None = None
    paid_until: date | None = None

    @property
    def last_day(self) -> date:
        return pre_enrollment_last_day(self.birth_date)

    @property
    def card_until(self) -> date | None:
        """The last day a bill can be settled with the card, or None when the card covers no day."""
        if self.start is None or self.paid_until is None or self.start > self.last_day:
            return None
        return min(self.paid_until, self.last_day)

    @property
    def next_year(self) -> int | None:
        """The next calendar year to pay: the one after the paid run, or for a card that covers no day
        the first of its days' years."""
        if self.paid_until is None:
            return None
        if self.card_until is None:
            return self.birth_date.year
        return self.paid_until.year + 1

    @property
    def due_by_last_day(self) -> bool:
        """Whether `next_year` must be paid by the card's last day for the card to cover its days."""
        return self.next_year is not None and date(self.next_year, 1, 1) <= self.last_day


def card_cover(birth_date: date, payments: Iterable[tuple[date, Iterable[int]]]) -> CardCover:
    """What a record's payments (arrival day, years) cover through the card (the 2026 guide, 四)."""
    paid = _in_time(birth_date, payments)
    if not paid:
        return CardCover(birth_date)
    years = frozenset().union(*(years for _, years in paid))
    start = benefit_start_combined(birth_date, paid).start
    year = start.year  # paid: the start is the birth (its year paid) or 1 January of a paid year
    while year + 1 in years:
        year += 1
    return CardCover(birth_date, start, date(year, 12, 31))


@dataclass(frozen=True)
class DayCover:
    """Whether the card covers a day; if not, why ("expired", "unpaid", "year_unpaid", "not_started")
    and, for "year_unpaid", the calendar year whose premium is missing."""

    covered: bool
    why: str
    missing_year: int | None = None


def day_cover(birth_date: date, payments: Iterable[tuple[date, Iterable[int]]], day: date) -> DayCover:
    """Whether the card covers `day`: the card still valid, the benefit start come, and `day`'s calendar
    year paid by the last day (docs/rules.md, Which days are covered)."""
    paid = _in_time(birth_date, payments)
    if day > pre_enrollment_last_day(birth_date):
        return DayCover(False, "expired")
    if not paid:
        return DayCover(False, "unpaid")
    if day.year not in frozenset().union(*(years for _, years in paid)):
        return DayCover(False, "year_unpaid", day.year)
    if day < card_cover(birth_date, paid).start:
        return DayCover(False, "not_started")
    return DayCover(True, "covered")


def cover_text(cover: CardCover, *, today: date, with_start: bool = True) -> str:
    """Until when the card covers and what to pay next, for the family (the record page, the notice);
    `with_start` False leaves out the benefit start, for a text that has just said it."""
    last_day, start = format_date_zh(cover.last_day), cover.start
    if start is None:
        raise ValueError("cover_text needs a payment that arrived by the last day")
    year, open_ = cover.next_year, today <= cover.last_day
    if cover.card_until is None:
        # Paid only for years after the card's: every year of the card's days is unpaid.
        text = (
            f"所缴保费的待遇自{format_date_zh(start)}起，晚于登记卡有效期（至{last_day}），不能凭登记卡结算。"
        )
        card_years = _years_zh(range(cover.birth_date.year, cover.last_day.year + 1))
        pay = f"如在{last_day}（含）前缴纳{card_years}保费，登记卡有效期内的医疗费用才能凭卡结算。"
        return text + (pay if open_ else "")
    until = format_date_zh(cover.card_until)
    text = (f"待遇自{format_date_zh(start)}起享受，" if with_start else "") + f"可凭登记卡结算至{until}"
    if cover.due_by_last_day:
        text += f"；{year}年度保费尚未缴纳"
        text += (
            f"，请在{last_day}（含）前缴纳，{year}年1月1日起的医疗费用才能凭登记卡结算。"
            if open_
            else f"，{year}年的医疗费用不能凭登记卡结算。"
        )
    else:
        text += f"（登记卡最后有效日）。{year}年度及以后的保费，请在正式参保后按参保地规定逐年缴纳。"
    if start > cover.birth_date and open_:
        text += (
            f"如在{last_day}（含）前补缴{cover.birth_date.year}年度的保费，"
            f"可改为从出生之日（{format_date_zh(cover.birth_date)}）起享受待遇。"
        )
    return text


def card_cover_text(birth_date: date, payments: Iterable[tuple[date, Iterable[int]]], today: date) -> str:
    """What a record's payments mean for the family, in one paragraph (a payment's confirmation): until when
    the card covers and what to pay next, or, when all the money arrived after the last day, that the
    pre-enrollment is void and formal enrollment at the agency is next, with its waiting period."""
    payments = [(paid_on, frozenset(years)) for paid_on, years in payments]
    if not payments:
        raise ValueError("at least one payment is needed")
    cover = card_cover(birth_date, payments)
    if cover.start is not None:
        return cover_text(cover, today=today)
    return late_payment_text(birth_date, payments)


def late_payment_text(birth_date: date, payments: Iterable[tuple[date, Iterable[int]]]) -> str:
    """For money that arrived only after the last day: the record stays void, formal enrollment at the
    agency is next, and the waiting period's end as information (the notice, 二(一); the guide, 四)."""
    waited = benefit_start_combined(birth_date, payments)
    first = min(paid_on for paid_on, _ in payments)
    start = format_date_zh(waited.start)
    when = (
        f"预计自{start}起享受待遇"
        if waited.covered
        else f"等待期结束时的{waited.start.year}年度保费尚未缴纳，缴纳后预计最早自{start}起享受待遇"
    )
    return (
        f"缴费于{format_date_zh(first)}到账，晚于缴费截止日（{format_date_zh(pre_enrollment_last_day(birth_date))}），"
        "预参保登记已作废，不能凭登记卡结算。请家属持相关材料到户籍所在地的医保经办机构办理正式参保登记；"
        f"从缴费到账之日起计算3个月待遇等待期，{when}（以医保经办机构核定为准）。"
    )


@dataclass(frozen=True)
class Problem:
    """One failed eligibility condition: the form field it concerns and its message for the clerk."""

    field: str
    code: str
    message: str


def birth_date_problem(birth_date: date, today: date) -> Problem | None:
    """The age condition of docs/rules.md's eligibility: born, and not older than three months, or why not."""
    if birth_date > today:
        return Problem("birth_date", "born_in_future", "出生日期不能晚于今天。")
    if today > pre_enrollment_last_day(birth_date):
        return Problem(
            "birth_date",
            "too_old",
            f"新生儿出生已满3个月（最后可办理日为{format_date_zh(pre_enrollment_last_day(birth_date))}），"
            "不属于预参保登记范围。请取得户籍身份信息后，使用新生儿真实姓名及身份证号码，"
            "按户籍所在地的规定参加城乡居民基本医疗保险。",
        )
    return None


def eligibility_problems(
    *,
    birth_date: date,
    today: date,
    has_household_registration: bool,
    parent_has_guangxi_household: bool,
    hospital_in_guangxi: bool,
    hospital_has_maternity_ward: bool,
) -> list[Problem]:
    """Every failed condition of docs/rules.md's eligibility, all at once, in the order of the form."""
    problems = [problem] if (problem := birth_date_problem(birth_date, today)) else []
    if has_household_registration:
        problems.append(
            Problem(
                "has_household_registration",
                "has_household",
                "须确认新生儿尚未办理户籍登记（以户口簿为准）：已办理户籍登记的新生儿应使用真实姓名及身份证号码"
                "参保，不能办理预参保登记。",
            )
        )
    if not parent_has_guangxi_household:
        problems.append(
            Problem(
                "parent_has_guangxi_household",
                "parent_not_guangxi",
                "须确认证件所属父（母）亲为广西户籍：证件所属的母亲（或父亲）须为广西户籍"
                "（以上传的户口簿为准），否则不能办理预参保登记。",
            )
        )
    if not hospital_in_guangxi:
        problems.append(Problem("hospital", "hospital_outside", "自治区外医疗机构不能办理新生儿预参保登记。"))
    if not hospital_has_maternity_ward:
        problems.append(
            Problem("hospital", "no_maternity_ward", "本机构未设产科，不能办理新生儿预参保登记。")
        )
    return problems


# 附件2 and the notice: "须上传母亲（或父亲）户口簿（户主页及母亲（父亲）信息页）"; the 2026 guide (三)
# accepts the parent's 户口簿 or 身份证, with the birth record (产时记录、产科登记表), or the 出生医学证明
# when the baby is registered by its certificate. Kinds as registration.models.Material.Kind stores them.
HOUSEHOLD_PAGES = frozenset({"household_head", "household_parent"})
MATERIAL_ID_CARD = "id_card"
MATERIAL_BIRTH_RECORD = "birth_record"
MATERIAL_BIRTH_CERTIFICATE = "birth_certificate"


def materials_missing(route: str, kinds: Iterable[str]) -> list[str]:
    """What a registration by `route` lacks of the required materials, as messages for the clerk."""
    kinds = set(kinds)
    missing = []
    if MATERIAL_ID_CARD not in kinds and not kinds >= HOUSEHOLD_PAGES:
        if kinds & HOUSEHOLD_PAGES:
            missing.append("户口簿须上传户主页和证件所属父（母）亲信息页两页（或改为上传其身份证）。")
        else:
            missing.append("请上传证件所属父（母）亲的户口簿（户主页及本人信息页）或身份证。")
    if route == "birth_certificate":
        if MATERIAL_BIRTH_CERTIFICATE not in kinds:
            missing.append("使用出生医学证明登记的，请上传出生医学证明。")
    elif not kinds & {MATERIAL_BIRTH_RECORD, MATERIAL_BIRTH_CERTIFICATE}:
        missing.append("请上传出生记录（产时记录、产科登记表）或出生医学证明。")
    return missing
