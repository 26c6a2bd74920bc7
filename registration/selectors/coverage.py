"""The settlement desk's question (issue 16): is the baby on this card covered today?

One function answers it for the API (GET /api/v1/coverage) and the page (/verify/): any designated
hospital may ask, so the answer holds nothing but the coverage, why (in words that hold no personal data)
and a masked name.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q

from registration.masking import mask_newborn_name
from registration.models import Newborn, Payment
from registration.rules import (
    card_cover,
    card_cover_text,
    day_cover,
    format_date_zh,
    late_payment_text,
)

# What the card's QR code and its 新生儿编码 row carry (cards/services.py: the identity number):
# a temporary ID (18 + 1 letter) or a birth certificate number (10).
CODE_LENGTHS = (10, 19)


@dataclass(frozen=True)
class Coverage:
    newborn: Newborn  # for the audit entry; never shown
    covered: bool
    state: str
    state_label: str
    valid_until: date
    benefit_start: date | None
    years_paid: list[int]
    name_masked: str
    reason: str  # why covered or not, and what the desk does then: a formally enrolled baby is insured
    covered_until: date | None = None  # the card's last covered day with the years paid by its last day
    missing_year: int | None = None  # not covered today because this year's premium is not paid


def newborn_coverage(*, code: str, birth_date: date, today: date) -> Coverage | None:
    """The coverage of the baby whose card carries `code` and who was born on `birth_date`, or None.

    Both must match: a wrong code and a wrong date both give None, so the answer tells nothing about
    which was wrong (no enumeration of codes). Covered today: paid, the card valid (its last day not
    passed), benefits started and today's calendar year paid (docs/rules.md, Which days are covered);
    coverage_answer says why.
    """
    code = "".join(code.split())
    if len(code) not in CODE_LENGTHS or not code.isascii() or not code.isalnum():
        return None
    candidates = Newborn.objects.filter(
        Q(temp_id=code) | Q(birth_certificate_number=code), birth_date=birth_date
    ).prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk")))
    # Compared again in Python: the temporary ID is case-sensitive whatever the database's collation.
    newborn = next((n for n in candidates if code in (n.temp_id, n.birth_certificate_number)), None)
    if newborn is None:
        return None
    payments = [(payment.paid_on, payment.years) for payment in newborn.payments.all()]
    years = sorted({int(year) for _, paid in payments for year in paid})
    covered, reason, missing_year = coverage_answer(newborn, today=today, payments=payments)
    paid = newborn.state == Newborn.State.PAID
    return Coverage(
        newborn=newborn,
        covered=covered,
        reason=reason,
        state=newborn.state,
        state_label=newborn.get_state_display(),
        valid_until=newborn.last_day,
        benefit_start=newborn.benefit_start,
        years_paid=years,
        name_masked=mask_newborn_name(newborn.name),
        covered_until=card_cover(newborn.birth_date, payments).card_until if paid else None,
        missing_year=missing_year,
    )


# What the desk does with a card that covers nothing (the notice, 二: pay within the window, then household
# registration and formal enrollment): a formally enrolled baby is insured under its own resident ID, and
# "not covered by this card" must not read as "not insured".
OWN_ID = "请凭新生儿本人的身份证号码或医保电子凭证结算。"
NOT_COVERED = "不能凭此登记卡享受医保待遇。"


def coverage_answer(newborn: Newborn, *, today: date, payments) -> tuple[bool, str, int | None]:
    """Whether the card covers the baby today, why, in words a settlement desk can act on, and the year
    whose premium is missing when that is why. `payments` are the record's (arrival day, years)."""
    last_day = format_date_zh(newborn.last_day)
    match newborn.state:
        case Newborn.State.FORMALIZED:
            return (
                False,
                ("新生儿已正式参保：已使用本人的身份证号码参保，此登记卡（新生儿编码）已停用。" + OWN_ID),
                None,
            )
        case Newborn.State.VOID if newborn.voided_automatically and payments:
            # Money that arrived after the last day: kept, but it restores nothing (the notice, 二(一)).
            return False, late_payment_text(newborn.birth_date, payments), None
        case Newborn.State.VOID if newborn.voided_automatically:
            return False, f"登记已作废：缴费截止日（{last_day}）前未缴费，登记卡已失效，{NOT_COVERED}", None
        case Newborn.State.VOID:
            return False, f"登记已由办理登记的医院作废，登记卡已失效，{NOT_COVERED}", None
        case Newborn.State.REGISTERED if today > newborn.last_day:
            return False, f"逾期未缴费：缴费截止日（{last_day}）已过，登记卡已失效，{NOT_COVERED}", None
        case Newborn.State.REGISTERED:
            return (
                False,
                (f"尚未缴费：缴费到账后才能享受医保待遇（缴费截止日为{last_day}），今天{NOT_COVERED}"),
                None,
            )
    return _paid_answer(newborn, today=today, payments=payments)


def _paid_answer(newborn: Newborn, *, today: date, payments) -> tuple[bool, str, int | None]:
    last_day = format_date_zh(newborn.last_day)
    day = day_cover(newborn.birth_date, payments, today)
    if day.why == "expired":
        return (
            False,
            (
                f"登记卡有效期已于{last_day}结束，{NOT_COVERED}新生儿已缴费参保：请家属为新生儿办理户籍登记和"
                "正式参保，之后" + OWN_ID
            ),
            None,
        )
    if day.why == "year_unpaid":
        # The 2026 guide, 四: residents' insurance is paid per calendar year ("只能享受缴费当年的…待遇").
        year = day.missing_year
        return (
            False,
            (
                f"{year}年度未缴费：登记卡只保障已缴费年度，今天（{year}年）的医疗费用{NOT_COVERED}"
                f"请家属在{last_day}（含）前缴纳{year}年度保费，到账后即可凭此登记卡结算{year}年的医疗费用。"
            ),
            year,
        )
    if not day.covered:  # benefits not started yet: a day before the start
        start = format_date_zh(newborn.benefit_start) if newborn.benefit_start else "缴费规则确定的日期"
        return False, f"已缴费，但待遇自{start}起才开始享受，今天{NOT_COVERED}", None
    cover = card_cover(newborn.birth_date, payments)
    answer = (
        f"已缴费，待遇自{format_date_zh(cover.start)}起享受：今天可以凭此登记卡（新生儿编码）结算，"
        f"登记卡有效期至{last_day}。"
    )
    if cover.card_until < newborn.last_day:
        answer += (
            f"注意：{cover.next_year}年度保费尚未缴纳，凭此登记卡只能结算至{format_date_zh(cover.card_until)}"
            f"（{cover.next_year}年度保费须在{last_day}（含）前缴纳）。"
        )
    return True, answer, None


def newborn_cover_note(newborn: Newborn, *, payments, today: date) -> str:
    """For the record's own page: until when a paid record's card covers and what to pay next, or what a
    payment kept on a void record means for the family ("" when neither applies)."""
    if newborn.state == Newborn.State.PAID and payments:
        return card_cover_text(newborn.birth_date, payments, today)
    if newborn.state == Newborn.State.VOID and newborn.voided_automatically and payments:
        return late_payment_text(newborn.birth_date, payments)
    return ""
