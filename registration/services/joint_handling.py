"""新生儿出生一件事联办: whether a family meets the 2026 guide's conditions for the joint handling.

The guide (参保缴费指南·新生儿篇, 三(一) 方式二): "父母双方为中国公民且为广西户籍，其中一方为南宁市户籍，
随父亲或母亲在南宁市家庭户内申报出生登记，在南宁市具备接产资质的医疗机构内出生的不超过1个月的新生儿"
may enroll through the 智桂通 app's 新生儿出生一件事 service. The hospital does not handle that route
(docs/rules.md); the registration page only tells the clerk, from what was typed, that the family qualifies.

Pure functions of their arguments (`today` is passed in). What the typed data cannot show (the other
parent's household register, where the birth will be declared) is returned as points to confirm.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from registration.rules import format_date_zh

GUANGXI_CODE = "45"
NANNING_CODE = "4501"  # 南宁市 in GB/T 2260
CHINA = "CHN"
COLLECTIVE_HOUSEHOLD = "40"  # 集体户口 (registration.reference.HOUSEHOLD_TYPE_CHOICES): not a 家庭户
ROLE_LABEL = {"mother": "母亲", "father": "父亲"}


def joint_handling_last_day(birth_date: date) -> date:
    """The last day a baby is "不超过1个月": its one-month date itself (docs/rules.md, Joint handling).

    "不超过" includes the limit, unlike the window's "3个月以上", which counts the three-month date as beyond:
    born 2026-11-07, the baby is still at most one month old on 2026-12-07. The one-month date is the same
    day a month later, or that month's last day when it has no such day (born 2026-01-31: 2026-02-28).
    """
    return birth_date + relativedelta(months=1)


@dataclass(frozen=True)
class JointHandlingFacts:
    """What the registration page knows: "" or None where the clerk has not typed it (yet)."""

    birth_dates: tuple[date, ...]
    today: date
    mother_id_number: str  # a valid resident ID, or "" when missing or invalid
    father_id_number: str
    id_parent_role: str  # "mother" or "father": the parent whose ID identifies the baby
    id_parent_has_guangxi_household: bool
    nationality: str = CHINA
    household_type: str = ""
    community_code: str = ""
    # The birth hospital when it is known to this system (its 所属区县 code), else None.
    birth_hospital_code: str | None = None
    birth_hospital_has_maternity_ward: bool | None = None
    birth_hospital_name: str = ""


@dataclass(frozen=True)
class JointHandlingAdvice:
    """eligible: every condition the typed data can show holds; unmet: those that fail; to_confirm: what
    only the family's documents can show."""

    eligible: bool
    last_day: date
    unmet: tuple[str, ...]
    to_confirm: tuple[str, ...]


def joint_handling_advice(facts: JointHandlingFacts) -> JointHandlingAdvice | None:
    """The advice for a family, or None while the page lacks a birth date or both parents' ID numbers."""
    known_dates = [day for day in facts.birth_dates if day <= facts.today]
    if not known_dates or not (facts.mother_id_number or facts.father_id_number):
        return None
    last_day = joint_handling_last_day(min(known_dates))
    unmet: list[str] = []
    confirm: list[str] = []
    if facts.today > last_day:
        unmet.append(f"新生儿出生已超过1个月（联办最迟须于{format_date_zh(last_day)}（含当日）申请）。")
    _parents_check(facts, unmet, confirm)
    if facts.nationality and facts.nationality != CHINA:
        unmet.append("新生儿国籍不是中国。")
    if facts.household_type == COLLECTIVE_HOUSEHOLD:
        unmet.append("户口性质为集体户口：联办须随父亲或母亲在家庭户内申报出生登记。")
    if facts.community_code and not facts.community_code.startswith(NANNING_CODE):
        unmet.append("参保社区不在南宁市：联办须随父亲或母亲在南宁市家庭户内申报出生登记。")
    confirm.append(
        "新生儿将随父亲或母亲在南宁市的家庭户内申报出生登记（以户口簿为准），且父母一方为南宁市户籍。"
    )
    _hospital_check(facts, unmet, confirm)
    return JointHandlingAdvice(not unmet, last_day, tuple(unmet), tuple(confirm))


def _parents_check(facts: JointHandlingFacts, unmet: list[str], confirm: list[str]) -> None:
    numbers = {"mother": facts.mother_id_number, "father": facts.father_id_number}
    missing = [ROLE_LABEL[role] for role, number in numbers.items() if not number]
    if missing:
        unmet.append(f"未填写{'、'.join(missing)}的有效身份证号码：联办须父母双方均为中国公民且为广西户籍。")
    if not facts.id_parent_has_guangxi_household:
        unmet.append(f"证件所属的{ROLE_LABEL.get(facts.id_parent_role, '父（母）亲')}未确认为广西户籍。")
    other = "father" if facts.id_parent_role == "mother" else "mother"
    if numbers[other]:
        if numbers[other].startswith(GUANGXI_CODE):
            confirm.append(f"{ROLE_LABEL[other]}为广西户籍（以户口簿为准）。")
        else:
            confirm.append(
                f"{ROLE_LABEL[other]}的身份证号码不是广西签发的，请核对其户口簿：联办须父母双方均为广西户籍。"
            )


def _hospital_check(facts: JointHandlingFacts, unmet: list[str], confirm: list[str]) -> None:
    if facts.birth_hospital_code is None:
        name = f"（{facts.birth_hospital_name}）" if facts.birth_hospital_name else ""
        confirm.append(f"出生医院{name}为南宁市具备接产资质的医疗机构。")
        return
    if not facts.birth_hospital_code.startswith(NANNING_CODE):
        unmet.append("出生医院不在南宁市：联办限在南宁市具备接产资质的医疗机构内出生的新生儿。")
    elif facts.birth_hospital_has_maternity_ward is False:
        unmet.append("出生医院未设产科：联办限在南宁市具备接产资质的医疗机构内出生的新生儿。")
