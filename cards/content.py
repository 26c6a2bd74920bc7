"""What the registration card (附件4) and the family notice print: a row in, display strings out, no query.

The card's layout is a fixed-layout table (cheap to lay out) whose cells cannot grow without limit on a
card-sized page, so a long text gets a smaller font instead (fit_class): every text the registration
form accepts then fits its budget of lines, and each card fits one page (tests/cards check the limits).
"""

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cards.channels import payment_channels
from registration.models import Birth, Newborn
from registration.rules import CardCover, benefit_start_rule, cover_text, format_date_zh

UNKNOWN = "—"  # an unknown parent's detail: the card never has an empty cell
ISSUER_LABEL = "登记医院"  # the registering hospital, named alike on the card and the notice

# 附件4's two remarks, verbatim; the first gets the card's computed last valid day.
REMARK_VALIDITY = (
    "1. 新生儿预参保登记后，请及时缴费。缴费成功后，凭此卡片在定点医疗本机构就医结算，"
    "出生三个月内有效（有效期至{last_day}）。"
)
REMARK_FORMAL_ENROLLMENT = (
    "2. 新生儿取得户籍身份信息后，须及时到医保经办机构完善个人信息，使用新生儿本人真实姓名及身份证号"
    "办理参保登记，并领取医保电子凭证，办理社会保障卡。"
)

MULTIPLE_BIRTH = {2: "双胞胎", 3: "三胞胎", 4: "四胞胎", 5: "五胞胎", 6: "六胞胎", 7: "七胞胎", 8: "八胞胎"}
NAME_SUFFIXES = ("之女", "之子")
_DOT_GROUP = re.compile(r"([^·・][·・]+)")  # a character and the middle dots after it

# --- fitting long texts ------------------------------------------------------------------------------

# Font scales a long text may get, largest first; each has a class in card.css (fit85 … fit55).
FIT_SCALES = (1.0, 0.85, 0.75, 0.65, 0.55)
# Widths in em of the base font, with the cell padding and over a tenth for line-breaking rules taken
# off: the card's page is 48.2 em wide on A6 (136 mm at 8 pt) and 48.6 em on A4 (180 mm at 10.5 pt);
# the notice's 42.8 em on A6 (9 pt) and 42.5 em on A4 (12 pt). See card.css for the columns.
NAME_WIDTH = 12.0  # the name column (29.5 %: 14.2 em)
WIDE_WIDTH = 36.0  # a value spanning five columns (88.5 %: 42.7 em)
LINE_WIDTH = 41.0  # a line of the card's page
NOTICE_LINE_WIDTH = 38.0  # a line of the notice


def text_width(text: str) -> float:
    """An upper bound of `text`'s width in em: no glyph of Card Sans SC is wider than 1 em."""
    return float(len(text))


def fit_scale(text: str, width: float, lines: float) -> float:
    """The largest scale of FIT_SCALES at which `text` takes at most `lines` base lines of height."""
    for scale in FIT_SCALES:
        if math.ceil(text_width(text) * scale / width) * scale <= lines:
            return scale
    return FIT_SCALES[-1]


def fit_class(text: str, width: float, lines: float) -> str:
    """The CSS class giving `text` the font size fit_scale chooses ("" at full size)."""
    scale = fit_scale(text, width, lines)
    return "" if scale == 1.0 else f"fit{round(scale * 100)}"


def name_html(name: str) -> SafeString:
    """A name as HTML that wraps only where it should: never inside 之女/之子, never before a ·."""
    suffix = next((end for end in NAME_SUFFIXES if name.endswith(end) and len(name) > len(end)), "")
    stem = name[: len(name) - len(suffix)]
    parts = []
    for piece in _DOT_GROUP.split(stem):
        if _DOT_GROUP.fullmatch(piece):
            parts.append(f'<span class="nb">{escape(piece)}</span>')
        else:
            parts.append(escape(piece))
    if suffix:
        parts.append(f'<span class="nb">{suffix}</span>')
    return mark_safe("".join(parts))


# --- the card ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardParent:
    role: str
    name: str
    id_number: str
    phone: str
    name_html: SafeString
    name_fit: str


def _or_unknown(value: str) -> str:
    value = (value or "").strip()
    return value or UNKNOWN


def card_parents(newborn: Newborn) -> list[CardParent]:
    """父亲 and 母亲 rows as 附件4 orders them; the ID parent without a phone gets the record's 联系电话."""
    birth = newborn.birth
    parents = []
    for role, prefix in ((Birth.ParentRole.FATHER, "father"), (Birth.ParentRole.MOTHER, "mother")):
        name = _or_unknown(getattr(birth, f"{prefix}_name"))
        phone = getattr(birth, f"{prefix}_phone")
        if not (phone or "").strip() and birth.parent_role == role:
            phone = newborn.phone
        parents.append(
            CardParent(
                role.label,
                name,
                _or_unknown(getattr(birth, f"{prefix}_id_number")),
                _or_unknown(phone),
                name_html(name),
                fit_class(name, NAME_WIDTH, 2.4),
            )
        )
    return parents


def code_html(newborn: Newborn) -> SafeString:
    """The newborn's code, its letter set apart by shade alone: extracted text stays the exact code."""
    if not newborn.temp_id:
        return escape(newborn.identity_number)
    return mark_safe(
        f'{escape(newborn.temp_id[:-1])}<span class="letter">{escape(newborn.temp_id[-1])}</span>'
    )


def code_letter_note(newborn: Newborn) -> str:
    """（末位为小写字母x）: twins' codes differ by the case of this letter alone."""
    if not newborn.temp_id:
        return ""
    letter = newborn.temp_id[-1]
    return f"（末位为{'小写' if letter.islower() else '大写'}字母{letter}）"


def birth_order_text(newborn: Newborn) -> str:
    """双胞胎第2个, or 第2个 when the birth's babies were not prefetched (render_cards runs no query)."""
    prefetched = getattr(newborn.birth, "_prefetched_objects_cache", {})
    if "newborns" not in prefetched:
        return f"第{newborn.birth_order}个"
    count = len(prefetched["newborns"])
    if count <= 1:
        return ""
    return f"{MULTIPLE_BIRTH.get(count, f'{count}胞胎')}第{newborn.birth_order}个"


def community_text(newborn: Newborn) -> str:
    community = newborn.birth.community
    return _or_unknown(community.full_name or community.name)


def card_context(newborn: Newborn, *, today: date) -> dict:
    """Everything one card and its notice print, as display strings (no query: see CARD_RELATED)."""
    birth = newborn.birth
    last_day = format_date_zh(newborn.last_day)
    agency = birth.agency.name if birth.agency is not None else ""
    community = community_text(newborn)
    birth_hospital = _or_unknown(birth.birth_hospital_name)
    issuer = f"{ISSUER_LABEL}：{birth.hospital.name}"
    return {
        "name": newborn.name,
        "name_html": name_html(newborn.name),
        "name_fit": fit_class(newborn.name, NAME_WIDTH, 2.4),
        "sex": newborn.get_sex_display(),
        "birth_date": format_date_zh(newborn.birth_date),
        "by_certificate": not newborn.temp_id,
        "code": newborn.identity_number,
        "code_html": code_html(newborn),
        "code_note": code_letter_note(newborn),
        "birth_order": birth_order_text(newborn),
        "personal_number": newborn.personal_number,
        "parents": card_parents(newborn),
        "birth_hospital": birth_hospital,
        "birth_hospital_fit": fit_class(birth_hospital, WIDE_WIDTH, 2),
        "community": community,
        "community_fit": fit_class(community, WIDE_WIDTH, 2),
        "agency": agency,
        "agency_fit": fit_class(f"参保所属机构：{agency}", WIDE_WIDTH / 0.85, 2),
        "registered_on": format_date_zh(birth.registered_on),
        "last_day": last_day,
        "remarks": [REMARK_VALIDITY.format(last_day=last_day), REMARK_FORMAL_ENROLLMENT],
        "hospital": birth.hospital.name,
        "issuer": issuer,
        "issuer_fit": fit_class(issuer, LINE_WIDTH / 0.85, 2),
        "notice": notice_context(newborn, today=today),
    }


# --- the notice --------------------------------------------------------------------------------------


def pay_when(start: date, end: date, today: date) -> str:
    """When to pay within [start, end], from today at the earliest: 在…当天 / 在…（含）前 / 在…至…之间."""
    start = max(start, today)
    if start >= end:
        return f"在{format_date_zh(end)}当天"
    if start == today:
        return f"在{format_date_zh(end)}（含）前"
    return f"在{format_date_zh(start)}至{format_date_zh(end)}之间"


def payment_years(born: date, last_day: date, today: date) -> str:
    """Which 缴费年度 to choose (the 2026 guide, 四; docs/rules.md, Benefit start)."""
    year = born.year
    if last_day.year == year:
        return f"缴费年度请选择{year}年。"
    if today.year == year:
        return (
            f"缴费年度请同时选择{year}年和{year + 1}年：{year}年度的保费保障出生当年，"
            f"{year + 1}年度的保费保障次年，宝宝从出生之日起连续享受待遇。"
        )
    return (
        f"缴费年度请同时选择{year}年和{year + 1}年：在出生次年缴费，须补缴出生当年（{year}年度）的保费，"
        "才能从出生之日起享受待遇。"
    )


def benefit_cases(born: date, last_day: date, today: date) -> list[str]:
    """From which day benefits start, by when the premium is paid, with this baby's dates (the guide, 四)."""
    year, birth_day = born.year, format_date_zh(born)
    cases = []
    if last_day.year == year:
        cases.append(f"{pay_when(today, last_day, today)}缴费：从出生之日（{birth_day}）起享受医保待遇。")
    else:
        year_end, next_year = date(year, 12, 31), date(year + 1, 1, 1)
        if today <= year_end:
            when = pay_when(today, year_end, today)
            cases.append(f"{when}缴费（出生当年）：从出生之日（{birth_day}）起享受医保待遇。")
        when = pay_when(next_year, last_day, today)
        cases.append(
            f"{when}缴费（出生次年）：同时缴纳{year}年和{year + 1}年两个年度保费的，"
            f"从出生之日（{birth_day}）起享受待遇；只缴纳{year + 1}年保费的，"
            f"只能从{format_date_zh(next_year)}起享受待遇。"
        )
    late = last_day + timedelta(days=1)
    late_start = benefit_start_rule(born, late, {late.year})
    # A waiting period that ends in the next year needs that year's premium too (the rule says "covered").
    next_premium = "" if late_start.covered else f"，且须缴纳{late_start.start.year}年度保费"
    cases.append(
        f"{format_date_zh(last_day)}以后才缴费：从缴费到账之日起计算3个月待遇等待期，等待期内的医疗费用"
        f"不能报销（例如{format_date_zh(late)}缴费到账的，从{format_date_zh(late_start.start)}起才能享受待遇"
        f"{next_premium}）。"
    )
    return cases


def paid_cover(newborn: Newborn) -> CardCover | None:
    """What a paid record's card covers, from the row (Newborn.paid_until: render_cards runs no query)."""
    if newborn.state != Newborn.State.PAID or newborn.benefit_start is None or newborn.paid_until is None:
        return None
    return CardCover(newborn.birth_date, newborn.benefit_start, newborn.paid_until)


CARD_USE = "可持登记卡在定点医疗机构办理医保结算，按参保地政策享受基本医疗保险待遇。"


def card_use(newborn: Newborn, cover: CardCover | None) -> str:
    """How the family uses the card: once paid, within the years paid only (the 2026 guide, 四,
    "只能享受缴费当年的…待遇"; docs/rules.md, Which days are covered)."""
    if newborn.state != Newborn.State.PAID:
        return "足额缴费后，" + CARD_USE
    if cover is not None and cover.card_until is not None and cover.card_until >= cover.last_day:
        return "已足额缴费，" + CARD_USE
    if cover is None or cover.card_until is None:
        return "已缴费的年度内，" + CARD_USE
    year = cover.next_year
    return (
        f"已缴费的年度内（至{format_date_zh(cover.card_until)}），{CARD_USE[:-1]}；"
        f"{year}年的医疗费用，须缴纳{year}年度保费后才能凭登记卡结算。"
    )


def notice_context(newborn: Newborn, *, today: date) -> dict:
    """The notice's variable parts for this baby on `today`: what to pay, when benefits start, where."""
    born, last_day = newborn.birth_date, newborn.last_day
    paid = newborn.state == Newborn.State.PAID
    agency = newborn.birth.agency.name if newborn.birth.agency is not None else ""
    channels = payment_channels(newborn.birth.community.code, agency)
    code_label = "新生儿编码（出生医学证明编号）" if not newborn.temp_id else "新生儿编码"
    who = f"{newborn.name}　{code_label}：{newborn.identity_number}　个人编号：{newborn.personal_number}"
    cover = paid_cover(newborn)
    return {
        "paid": paid,
        "code_label": code_label,
        "who_fit": fit_class(who, NOTICE_LINE_WIDTH, 2),
        "years": "" if paid else payment_years(born, last_day, today),
        "benefit_cases": [] if paid else benefit_cases(born, last_day, today),
        "benefit_start": format_date_zh(newborn.benefit_start) if newborn.benefit_start else UNKNOWN,
        "benefit_rule": newborn.benefit_rule.strip().rstrip("。"),
        "cover": cover_text(cover, today=today, with_start=False) if cover is not None else "",
        "cover_due": cover is not None and cover.due_by_last_day,
        "card_use": card_use(newborn, cover),
        "channels": channels,
        "special_group": newborn.get_special_group_display() if newborn.special_group else "",
        "contact": agency or "参保地医保经办机构",
        "foot_fit": fit_class(newborn.birth.hospital.name + agency, NOTICE_LINE_WIDTH, 2),
    }
