"""The registration check: every rule a new registration must meet, all at once, by field path.

One check serves the registration page's hints (views/register.py, while the page has its own parsing
errors), newborn_register (before it takes the parent's lock) and the JSON API. Its input is one typed
RegistrationRequest, which the page's form and the API's serializer each build; its answer names each
problem by the page's field path, the check's own vocabulary:
`route`, `parent_role`, `mother.name`, `mother.id_number`, `mother.phone` (and `father.…`), `babies`,
`babies.0.sex`, `babies.0.birth_date`, `babies.0.birth_certificate_number` (0 is the first baby),
`community`, `has_household_registration`, `parent_has_guangxi_household`, `hospital`, `materials` and
`materials.0` (the first material given). The warnings are what the clerk must confirm to go on
("点击确定后仍然可以继续新增", 附件2), each under its code.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError

from registration import rules, selectors, validators
from registration.masking import mask_id_number
from registration.models import Birth, Division, Hospital, InsuranceAgency, Newborn, Sex
from registration.reference import region_code_change, region_place
from registration.services.birth_materials import MaterialInput, materials_checked
from registration.services.birth_place import birth_place_resolve

MAX_BABIES_PER_BIRTH = 8

WARNING_AGENCY = "agency_mismatch"
WARNING_DUPLICATE = "possible_duplicate"
WARNING_PARENT_NAME = "parent_name_changed"
WARNING_BIRTH_PLACE = "birth_place"  # born outside Guangxi's hospitals or at home (services/birth_place.py)
WARNING_CODES = (WARNING_AGENCY, WARNING_DUPLICATE, WARNING_PARENT_NAME, WARNING_BIRTH_PLACE)


@dataclass(frozen=True)
class ParentInput:
    name: str = ""
    id_number: str = ""
    phone: str = ""


@dataclass(frozen=True)
class BabyInput:
    sex: Sex | None
    birth_date: date | None
    birth_certificate_number: str = ""


@dataclass(frozen=True)
class RegistrationRequest:
    """One birth to register, as the page's form or the API's serializer parsed it: what the check reads
    and what newborn_register writes. A value that did not parse is empty (None, "")."""

    route: str
    parent_role: str
    mother: ParentInput
    father: ParentInput
    babies: tuple[BabyInput, ...]
    community: Division | None
    has_household_registration: bool
    parent_has_guangxi_household: bool
    materials: tuple[MaterialInput, ...] = ()
    materials_deferred: bool = False
    # The warnings the clerk confirmed ("点击确定后仍然可以继续新增", 附件2), by code (WARNING_CODES).
    confirmed_warnings: frozenset[str] = frozenset()
    household_address: str = ""
    household_type: str = ""
    phone: str = ""
    ethnicity: str = "01"
    nationality: str = "CHN"
    birth_hospital_name: str = ""  # the registering hospital when empty
    sms_declined: bool = False  # the family declined text messages (docs/sms.md)


@dataclass(frozen=True)
class CheckWarning:
    code: str  # one of WARNING_CODES
    message: str


@dataclass
class RegistrationCheck:
    """The check's answer: errors by field path, the warnings not yet confirmed, and the values it
    normalised (what newborn_register writes when nothing is left to correct or confirm)."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[CheckWarning] = field(default_factory=list)
    mother: ParentInput = ParentInput()
    father: ParentInput = ParentInput()
    certificates: list[str] = field(default_factory=list)
    agency: InsuranceAgency | None = None
    parent_agency: InsuranceAgency | None = None
    materials: list[tuple[MaterialInput, str]] = field(default_factory=list)  # (cleaned, content type)
    birth_hospital_name: str = ""
    birth_hospital: Hospital | None = None  # when this system knows it
    # The warnings that applied and that the request had confirmed: the birth keeps them
    # (Birth.confirmed_warnings) for the 医保中心's quality page, the registration's audit entry too.
    confirmed: set[str] = field(default_factory=set)

    parent_role: str = Birth.ParentRole.MOTHER
    # What the check answered from other hospitals' records, in words, for the audit log (LOOKUP): empty
    # when it drew on none (docs/privacy.md, Lookups on record).
    lookups: list[str] = field(default_factory=list)
    lookup_number: str = ""  # the ID parent's number, masked

    @property
    def parent(self) -> ParentInput:
        """The parent whose ID number the babies' temporary IDs carry."""
        return self.father if self.parent_role == Birth.ParentRole.FATHER else self.mother

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


def registration_check(
    *, hospital: Hospital, registration: RegistrationRequest, today: date
) -> RegistrationCheck:
    """Every problem of a new registration at `hospital`, and the warnings it has not confirmed.

    A value that could not be parsed is passed empty (None, ""): it is reported as missing, and the rules
    that need it are skipped. The warnings, which read the database, are looked for once the parent's ID
    number and the community are valid, whatever else is wrong.
    """
    route, babies, community = registration.route, registration.babies, registration.community
    check = RegistrationCheck()
    if route not in Birth.Route.values:
        check.add("route", "请选择证件类型。")
    parent_role = registration.parent_role
    if parent_role not in Birth.ParentRole.values:
        check.add("parent_role", "请选择使用母亲还是父亲的身份证号码。")
        parent_role = Birth.ParentRole.MOTHER
    check.parent_role = parent_role
    check.mother, check.father = _parents_check(
        registration.mother, registration.father, parent_role, today, check
    )
    flags = {
        "has_household_registration": registration.has_household_registration,
        "parent_has_guangxi_household": registration.parent_has_guangxi_household,
        "hospital_in_guangxi": hospital.division.code.startswith(settings.PROVINCE_CODE),
        "hospital_has_maternity_ward": hospital.has_maternity_ward,
    }
    check.certificates = _babies_check(babies, route, today, flags, check)
    if community is None:
        check.add("community", "请选择或输入参保社区（社区ID、12位社区编码或社区名称）。")
    elif community.level != Division.Level.VILLAGE:
        check.add("community", "请选择到村（社区）一级的参保社区。")
    check.materials, problems = materials_checked(registration.materials)
    for path, message in problems:
        check.add(path, message)
    if not registration.materials_deferred:
        for message in rules.materials_missing(route, [material.kind for material, _ in check.materials]):
            check.add("materials", message)
    parent_path = f"{parent_role}.id_number"
    if check.parent.id_number and parent_path not in check.errors and "community" not in check.errors:
        _warnings_find(check, hospital, community, parent_role, babies, set(registration.confirmed_warnings))
    place = birth_place_resolve(hospital=hospital, name=registration.birth_hospital_name)
    check.birth_hospital_name, check.birth_hospital = place.name, place.hospital
    if place.warning:
        _warning_add(check, WARNING_BIRTH_PLACE, place.warning, registration.confirmed_warnings)
    return check


def _warning_add(check: RegistrationCheck, code: str, message: str, confirmed) -> None:
    """A warning that applies: to be confirmed, or kept among the confirmed ones when it was."""
    if code in confirmed:
        check.confirmed.add(code)
    else:
        check.warnings.append(CheckWarning(code, message))


def registration_problems(
    *,
    hospital: Hospital,
    registration: RegistrationRequest,
    today: date,
    reported: Callable[[str], bool],
) -> dict[str, list[str]]:
    """The check's errors of a request that did not all parse, by field path, but on the paths whose value
    the parsing already refused (`reported`): the check saw those values as missing. The page and the API
    report these with their own parsing errors, every error at once (issue 3)."""
    check = registration_check(hospital=hospital, registration=registration, today=today)
    return {path: messages for path, messages in check.errors.items() if not reported(path)}


def _parents_check(mother, father, parent_role, today, check) -> tuple[ParentInput, ParentInput]:
    """Both parents normalised; the ID parent's name and ID are required, the other's ID when given."""
    checked = {}
    for role, person in (("mother", mother), ("father", father)):
        id_number = phone = ""
        if person.id_number or role == parent_role:
            try:
                id_number = validators.parent_id_validate(person.id_number, role=role, today=today)
            except ValidationError as exc:
                check.add(f"{role}.id_number", exc.messages[0])
        if person.phone:
            try:
                phone = validators.phone_validate(person.phone)
            except ValidationError as exc:
                check.add(f"{role}.phone", exc.messages[0])
        name = person.name.strip()
        label = f"{validators.ROLE_LABEL[role]}姓名"
        try:
            validators.card_text_validate(validators.name_digits_refuse(name, label=label), label=label)
        except ValidationError as exc:
            check.add(f"{role}.name", exc.messages[0])
        checked[role] = ParentInput(name, id_number, phone)
    if not checked[parent_role].name:
        check.add(f"{parent_role}.name", "证件所属父（母）亲的姓名必须填写。")
    if checked["mother"].id_number and checked["mother"].id_number == checked["father"].id_number:
        check.add("father.id_number", "父亲和母亲的身份证号码不能相同。")
    return checked["mother"], checked["father"]


def _babies_check(babies, route, today, flags, check) -> list[str]:
    """Each baby's sex, date and certificate; every other eligibility condition reported once."""
    certificates = []
    if not 1 <= len(babies) <= MAX_BABIES_PER_BIRTH:
        check.add("babies", f"一次登记的新生儿须为1至{MAX_BABIES_PER_BIRTH}名。")
    for index, baby in enumerate(babies[:MAX_BABIES_PER_BIRTH]):
        prefix = f"第{index + 1}名新生儿：" if len(babies) > 1 else ""
        if baby.sex not in Sex.values:
            check.add(f"babies.{index}.sex", f"{prefix}请选择性别。")
        if baby.birth_date is None:
            check.add(f"babies.{index}.birth_date", f"{prefix}请填写出生日期。")
        elif problem := rules.birth_date_problem(baby.birth_date, today):
            check.add(f"babies.{index}.birth_date", prefix + problem.message)
        if route == Birth.Route.BIRTH_CERTIFICATE:
            try:
                certificates.append(
                    validators.birth_certificate_number_validate(baby.birth_certificate_number)
                )
            except ValidationError as exc:
                check.add(f"babies.{index}.birth_certificate_number", prefix + exc.messages[0])
    # The conditions that are not the baby's age hold for the birth (a birth date of today has none).
    for problem in rules.eligibility_problems(birth_date=today, today=today, **flags):
        check.add(problem.field, problem.message)
    if len(set(certificates)) != len(certificates):
        check.add("babies", "同一次登记的新生儿出生医学证明编号不能相同。")
    if certificates:
        registered = Newborn.objects.filter(birth_certificate_number__in=certificates)
        for number in sorted(registered.values_list("birth_certificate_number", flat=True)):
            check.add("babies", f"出生医学证明编号 {number} 已经登记过，不能重复登记。")
    return certificates


def _warnings_find(
    check: RegistrationCheck, hospital, community, parent_role, babies, confirmed: set[str]
) -> None:
    parent = check.parent
    # A former region code (横县 450127, now 横州市 450181) is looked up as the division it is part of today.
    change = region_code_change(parent.id_number[:6])
    parent_code = change.current_code if change else parent.id_number[:6]
    agencies = selectors.agencies_for_codes([community.code, parent_code])
    agency, parent_agency = agencies[community.code], agencies[parent_code]
    check.agency, check.parent_agency = agency, parent_agency
    if parent_agency is None or parent_agency != agency:
        message = _agency_message(agency, parent_agency, change, parent_id_number=parent.id_number)
        _warning_add(check, WARNING_AGENCY, message, confirmed)
    people = [person for person in (check.mother, check.father) if person.id_number]
    births = selectors.parent_births([person.id_number for person in people])
    check.lookup_number = mask_id_number(parent.id_number)
    # The rule of disclosure (docs/privacy.md): a clerk's own hospital's births are theirs to see; another
    # hospital's show themselves (as a bare fact, never their details) only through a number whose typed
    # name is the one last registered with it.
    agreeing = {
        person.id_number
        for person in people
        if rules.identity_agrees(_known_name(births, person.id_number), person.name)
    }
    others = [birth for birth in births if birth.hospital_id != hospital.pk]
    shown = [
        birth
        for birth in births
        if birth.hospital_id == hospital.pk
        or agreeing & {birth.mother_id_number, birth.father_id_number} - {""}
    ]
    birth_dates = {baby.birth_date for baby in babies if baby.birth_date is not None}
    own, elsewhere = _duplicates(shown, birth_dates, hospital)
    if message := _duplicate_message(own, elsewhere):
        _warning_add(check, WARNING_DUPLICATE, message, confirmed)
    if elsewhere and WARNING_DUPLICATE not in confirmed:
        check.lookups.append("其他医疗机构有同一出生日期的登记：已提示可能重复登记（未显示其内容）")
    # The name last registered with the number (a parent's row is written with each birth).
    earlier = _known_name(births, parent.id_number, id_parent_only=True)
    if parent.name and earlier is not None and not rules.identity_agrees(earlier, parent.name):
        elsewhere = any(birth.parent_id_number == parent.id_number for birth in others)
        if WARNING_PARENT_NAME in confirmed:
            # The clerk checked the ID card: on record, with the registration (and as a lookup).
            check.confirmed.add(WARNING_PARENT_NAME)
            if elsewhere:
                check.lookups.append("已确认核对身份证（姓名与此前登记不一致），继续登记")
        else:
            label = validators.ROLE_LABEL[parent_role]
            message = (
                f"本次填写的{label}姓名「{parent.name}」与该身份证号码此前登记的姓名不一致。"
                "请核对身份证：如身份证上的姓名就是本次填写的，确认后可继续（确认将记入操作日志），"
                "新生儿姓名将按本次填写的姓名生成。"
            )
            check.warnings.append(CheckWarning(WARNING_PARENT_NAME, message))
            if elsewhere:
                check.lookups.append("姓名与此前登记不一致：已提示核对身份证（未显示此前的姓名和登记）")


def _known_name(births, id_number: str, *, id_parent_only: bool = False) -> str | None:
    """The name last registered with a number: its Parent row's when it was an ID parent's, else the
    latest birth's that names it (births come oldest first)."""
    as_parent = [birth.parent_name for birth in births if birth.parent_id_number == id_number]
    if as_parent or id_parent_only:
        return as_parent[-1] if as_parent else None
    names = [name for birth in births if (name := birth.name_for(id_number))]
    return names[-1] if names else None


def _agency_message(agency, parent_agency, change=None, *, parent_id_number: str = "") -> str:
    former = (
        f"身份证号码前6位{change.former_code}是原「{change.former_name}」的行政区划代码，"
        f"已按现「{change.current_name}」（{change.current_code}）查找。"
        if change
        else ""
    )
    if parent_id_number and not parent_id_number.startswith(settings.PROVINCE_CODE):
        former += _outside_province_message(parent_id_number[:6])
    if parent_agency is None:
        return (
            former + "未能根据证件所属父（母）亲身份证号码的前6位获取其参保所属机构。"
            f"所选参保社区属于「{agency or '未知机构'}」。确认无误后可继续登记。"
        )
    return (
        former + f"根据身份证号码获取的父母参保所属机构为「{parent_agency}」，"
        f"与所选参保社区的参保所属机构「{agency or '未知机构'}」不一致。"
        "原则上新生儿参保地需与父母任意一方户籍地一致；确认无误后可继续登记。"
    )


def _outside_province_message(code: str) -> str:
    # A number keeps the region code where it was issued: a parent who moved their 户籍 to Guangxi keeps an
    # ID from elsewhere, so the household register decides (issue 24, item 10), and this stays a warning.
    place = region_place(code)
    where = f"{place}的行政区划代码" if place else "区划代码"
    return (
        f"证件所属父（母）亲的身份证号码前6位{code}是{where}，不是广西的。身份证号码不随户籍迁移而改变："
        "请核对户口簿，确认其户籍现在广西（户口簿登记的住址在广西）；非广西户籍的不能办理预参保登记。"
    )


def _duplicates(births, birth_dates: set[date], hospital) -> tuple[list[Newborn], list[Newborn]]:
    """The registrations in force of these births' babies born on one of the days: the clerk's own
    hospital's, and the others'."""
    existing = selectors.newborns_of_births_born_on(
        births=[birth.pk for birth in births], birth_dates=birth_dates
    )
    own = [newborn for newborn in existing if newborn.birth.hospital_id == hospital.pk]
    return own, [newborn for newborn in existing if newborn.birth.hospital_id != hospital.pk]


def _duplicate_message(own: list[Newborn], elsewhere: list[Newborn]) -> str:
    # The same baby registered twice would be issued a second number (y after Y): a family member comes
    # back, a clerk does not find the first registration. Twins registered one at a time look the same,
    # hence a warning, not a refusal. The clerk's own hospital's registrations are described (the clerk
    # may open them); another hospital's are only said to exist (docs/privacy.md).
    parts = []
    if own:
        rows = "；".join(
            f"{newborn.name}（{newborn.get_sex_display()}，出生日期{rules.format_date_zh(newborn.birth_date)}，"
            f"个人编号{newborn.personal_number}，本院于{rules.format_date_zh(newborn.birth.registered_on)}"
            f"登记，{newborn.get_state_display()}）"
            for newborn in own
        )
        parts.append(f"可能重复登记：本院已有该父母出生日期相同的登记：{rows}。")
    if elsewhere:
        parts.append(
            ("" if own else "可能重复登记：")
            + "该父（母）亲身份证号码在其他医疗机构已有同一出生日期的新生儿登记，请与家属核实后再继续。"
        )
    if not parts:
        return ""
    return "".join(parts) + (
        "同一名新生儿不能重复登记；如确为另一名新生儿（例如双胞胎中的另一名），请确认后继续。"
    )
