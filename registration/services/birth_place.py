"""Where the baby was born (出生医院, issue 28 item 5): a hospital this system knows, or a name it does not.

The notice (南医保中心发〔2021〕176号, 一（一）1) has the baby pre-enrolled at the hospital of its birth or at
another designated hospital with a maternity ward, none outside Guangxi; the 2026 guide's 方式一 speaks of a
baby born in a designated hospital. Neither says what becomes of a birth elsewhere, so a birth outside
Guangxi's hospitals, or at home, is a warning the clerk confirms after checking the birth certificate or
the birth record (docs/rules.md, Where the baby was born), not a refusal.
"""

from dataclasses import dataclass

from django.conf import settings

from registration import selectors
from registration.models import Hospital

# The page offers it beside the hospitals' names; the card prints it under 出生医院.
HOME_BIRTH = "院外分娩（家中或途中）"
_CHECK = (
    "2026年参保缴费指南的方式一适用于在定点医疗机构出生的新生儿（通知：在出生的定点医疗机构或设有产科的"
    "定点医疗机构办理，不含自治区外医疗机构）。请核对出生医学证明或出生记录上的出生地点；确认无误后可继续登记。"
)


@dataclass(frozen=True)
class BirthPlace:
    name: str  # what the record and the card say
    hospital: Hospital | None  # the hospital when this system knows it
    warning: str  # why the clerk should check it; "" for a birth at one of Guangxi's hospitals


def birth_place_resolve(*, hospital: Hospital, name: str) -> BirthPlace:
    """The birth hospital typed at `hospital` (the registering one when empty), and its warning if any."""
    name = name.strip()
    if not name or name == hospital.name:
        return BirthPlace(hospital.name, hospital, "")
    if name == HOME_BIRTH:
        return BirthPlace(name, None, "新生儿在医疗机构外（家中或途中）出生。" + _CHECK)
    known = selectors.hospital_by_name(name)
    if known is None:
        return BirthPlace(name, None, f"出生医院「{name}」不在本系统的广西定点医疗机构名单中。" + _CHECK)
    if not known.division.code.startswith(settings.PROVINCE_CODE):
        return BirthPlace(name, known, f"出生医院「{name}」是自治区外的医疗机构。" + _CHECK)
    return BirthPlace(name, known, "")
