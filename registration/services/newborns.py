"""The registration write: one birth of 1..N babies, their letters, numbers, materials and audit entries."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from newborn_enroll import metrics
from registration import selectors, validators
from registration.models import (
    AuditEntry,
    Birth,
    Division,
    Hospital,
    InsuranceAgency,
    IssuedTemporaryId,
    Material,
    Newborn,
    Operator,
    Parent,
    Sex,
)
from registration.services import rules
from registration.services.audit import audit_entries_build
from registration.services.birth_materials import (
    MaterialInput,
    material_row,
    material_store,
    materials_checked,
)
from registration.services.row_batch import RowBatch

MAX_BABIES_PER_BIRTH = 8
# full_clean() checks field values; foreign keys are excluded because the rows were just loaded, and
# uniqueness and constraints are left to the database, whose errors newborn_register turns into messages.
_FOREIGN_KEYS = {
    model: [field.name for field in model._meta.concrete_fields if field.is_relation]
    for model in (Birth, Newborn)
}
# The personal numbers' sequence (RowBatch: registration_personal_number_seq on PostgreSQL).
PERSONAL_NUMBER_SEQUENCE = "personal_number"


@dataclass(frozen=True)
class ParentInput:
    name: str = ""
    id_number: str = ""
    phone: str = ""


@dataclass(frozen=True)
class BabyInput:
    sex: Sex
    birth_date: date
    birth_certificate_number: str = ""


class RegistrationWarning(ValidationError):
    """What the clerk should check before saving, and may confirm to go on ("点击确定后仍然可以继续新增").

    Each item's code names the warning (WARNING_CODES); newborn_register skips the confirmed ones.
    """

    @property
    def codes(self) -> list[str]:
        return [error.code for error in self.error_list]


class AgencyWarning(RegistrationWarning):
    """Among the warnings: the parent's agency is unknown or differs from the community's (附件2)."""


WARNING_AGENCY = "agency_mismatch"
WARNING_DUPLICATE = "possible_duplicate"
WARNING_PARENT_NAME = "parent_name_changed"
WARNING_CODES = (WARNING_AGENCY, WARNING_DUPLICATE, WARNING_PARENT_NAME)


@dataclass(frozen=True)
class _Checked:
    """Everything newborn_register validated before it takes the lock."""

    hospital: Hospital
    parent_id_number: str
    parent_name: str
    parent_phone: str
    mother: ParentInput
    father: ParentInput
    certificates: list[str]
    agency: InsuranceAgency | None
    parent_agency: InsuranceAgency | None
    materials: list[tuple[MaterialInput, str]]


def newborn_register(
    *,
    clerk,
    route: str,
    parent_role: str,
    mother: ParentInput,
    father: ParentInput,
    babies: Sequence[BabyInput],
    community: Division,
    household_address: str,
    household_type: str,
    phone: str,
    has_household_registration: bool,
    parent_has_guangxi_household: bool,
    ethnicity: str = "01",
    nationality: str = "CHN",
    birth_hospital_name: str = "",
    birth_hospital: Hospital | None = None,
    agency_warning_confirmed: bool = False,
    confirmed_warnings: Collection[str] = (),
    materials: Sequence[MaterialInput] = (),
    materials_deferred: bool = False,
    request_key: uuid.UUID | None = None,
    today: date | None = None,
    ip: str | None = None,
) -> Birth:
    """Register one birth: validate everything, then issue letters and numbers under the parent's lock.

    Raises ValidationError (a dict of field → Chinese messages) listing every problem at once,
    RegistrationWarning (AgencyWarning when the agency is among them) listing what the clerk must
    confirm (`confirmed_warnings`, by code), PermissionDenied for a user without module access. The
    household register (or ID card) and the birth record are required unless `materials_deferred`
    (uploaded later on the record's page). With a `request_key`, a repeated call returns the first
    call's birth.
    """
    today = today or timezone.localdate()
    confirmed = set(confirmed_warnings) | ({WARNING_AGENCY} if agency_warning_confirmed else set())
    try:
        checked = _check(
            clerk=clerk,
            route=route,
            parent_role=parent_role,
            mother=mother,
            father=father,
            babies=babies,
            community=community,
            has_household_registration=has_household_registration,
            parent_has_guangxi_household=parent_has_guangxi_household,
            confirmed=confirmed,
            materials=materials,
            materials_deferred=materials_deferred,
            today=today,
        )
    except ValidationError:
        # A submit sent again after it was saved (a resubmit, a retry after a timeout) meets its own
        # registration as a duplicate, its scans already moved: the saved registration is the answer.
        # Looked up only then: the insert's unique request key catches the rest (below).
        if request_key is not None and (existing := _birth_for_request_key(request_key, clerk)) is not None:
            return existing
        raise
    # Files are written before the transaction: no file I/O while the parent's row is locked.
    stored = [material_store(material, content_type) for material, content_type in checked.materials]
    try:
        with transaction.atomic():
            return _register_locked(
                clerk=clerk,
                checked=checked,
                route=route,
                parent_role=parent_role,
                babies=babies,
                community=community,
                fields={
                    "household_address": household_address.strip(),
                    "household_type": household_type,
                    "phone": phone,
                    "ethnicity": ethnicity,
                    "nationality": nationality,
                },
                birth_hospital=birth_hospital,
                birth_hospital_name=(birth_hospital_name or (birth_hospital.name if birth_hospital else "")),
                agency_warning_confirmed=WARNING_AGENCY in confirmed,
                materials_deferred=materials_deferred,
                stored=stored,
                request_key=request_key,
                today=today,
                ip=ip,
            )
    except (IntegrityError, ValidationError) as exc:
        for name in stored:
            default_storage.delete(name)
        if isinstance(exc, ValidationError):
            raise
        if request_key is not None and (existing := _birth_for_request_key(request_key, clerk)) is not None:
            return existing
        raise ValidationError(
            "保存时与其他登记发生冲突（例如出生医学证明编号已被登记），未保存任何内容，请核对后重试。",
            code="conflict",
        ) from exc


def _birth_for_request_key(request_key: uuid.UUID, clerk) -> Birth | None:
    birth = Birth.objects.filter(request_key=request_key).first()
    if birth is not None and birth.clerk_id != clerk.pk:
        raise ValidationError("提交标识无效，请刷新页面后重新填写。", code="request_key")
    return birth


def _operator_hospital(clerk) -> Hospital:
    # The request's user holds its operator and hospital already (the view's access check read them).
    try:
        operator = clerk.operator
    except Operator.DoesNotExist:
        operator = None
    if operator is None or not clerk.is_active:
        raise PermissionDenied("只有定点医疗机构的经办人可以办理新生儿预参保登记。")
    if not operator.has_module_access:
        raise PermissionDenied(
            "您的账号尚未开通“新生儿参保登记”模块权限（附件1），请联系本院主管向医保中心申请。"
        )
    return operator.hospital


class _Errors(dict):
    """Field name → Chinese messages, collected so that the clerk sees every problem at once."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _check(
    *,
    clerk,
    route,
    parent_role,
    mother,
    father,
    babies,
    community,
    has_household_registration,
    parent_has_guangxi_household,
    confirmed,
    materials,
    materials_deferred,
    today,
) -> _Checked:
    hospital = _operator_hospital(clerk)
    errors = _Errors()
    if route not in Birth.Route.values:
        errors.add("route", "请选择证件类型。")
    if parent_role not in Birth.ParentRole.values:
        errors.add("parent_role", "请选择使用母亲还是父亲的身份证号码。")
        parent_role = Birth.ParentRole.MOTHER
    mother, father = _check_parents(mother, father, parent_role, today, errors)
    flags = {
        "has_household_registration": has_household_registration,
        "parent_has_guangxi_household": parent_has_guangxi_household,
        "hospital_in_guangxi": hospital.division.code.startswith(settings.PROVINCE_CODE),
        "hospital_has_maternity_ward": hospital.has_maternity_ward,
    }
    certificates = _check_babies(babies, route, today, flags, errors)
    if community.level != Division.Level.VILLAGE:
        errors.add("community", "请选择到村（社区）一级的参保社区。")
    checked_materials, problems = materials_checked(materials)
    for field, message in problems:
        errors.add(field, message)
    if not materials_deferred:
        for message in rules.materials_missing(route, [material.kind for material, _ in checked_materials]):
            errors.add("materials", message)
    if errors:
        raise ValidationError(dict(errors))

    parent = mother if parent_role == Birth.ParentRole.MOTHER else father
    context = selectors.registration_context(
        codes=[community.code, parent.id_number[:6]],
        id_number=parent.id_number,
        id_numbers=[person.id_number for person in (mother, father) if person.id_number],
    )
    agency, parent_agency = context.agencies[community.code], context.agencies[parent.id_number[:6]]
    warnings = []
    if WARNING_AGENCY not in confirmed and (parent_agency is None or parent_agency != agency):
        warnings.append(ValidationError(_agency_warning_message(agency, parent_agency), code=WARNING_AGENCY))
    if WARNING_DUPLICATE not in confirmed and (message := _duplicate_warning(context.births, babies)):
        warnings.append(ValidationError(message, code=WARNING_DUPLICATE))
    if WARNING_PARENT_NAME not in confirmed and (
        message := _parent_name_warning(parent, parent_role, context.earlier_name)
    ):
        warnings.append(ValidationError(message, code=WARNING_PARENT_NAME))
    if warnings:
        agency_among = any(warning.code == WARNING_AGENCY for warning in warnings)
        raise (AgencyWarning if agency_among else RegistrationWarning)(warnings)
    return _Checked(
        hospital=hospital,
        parent_id_number=parent.id_number,
        parent_name=parent.name,
        parent_phone=parent.phone,
        mother=mother,
        father=father,
        certificates=certificates,
        agency=agency,
        parent_agency=parent_agency,
        materials=checked_materials,
    )


def _check_parents(mother, father, parent_role, today, errors) -> tuple[ParentInput, ParentInput]:
    """Both parents normalised; the ID parent's name and ID are required, the other's ID when given."""
    checked = {}
    for role, person in (("mother", mother), ("father", father)):
        id_number = phone = ""
        if person.id_number or role == parent_role:
            try:
                id_number = validators.parent_id_validate(person.id_number, role=role, today=today)
            except ValidationError as exc:
                errors.add(f"{role}_id_number", exc.messages[0])
        if person.phone:
            try:
                phone = validators.phone_validate(person.phone)
            except ValidationError as exc:
                errors.add(f"{role}_phone", exc.messages[0])
        name = person.name.strip()
        try:
            validators.card_text_validate(name, label=f"{validators.ROLE_LABEL[role]}姓名")
        except ValidationError as exc:
            errors.add(f"{role}_name", exc.messages[0])
        checked[role] = ParentInput(name, id_number, phone)
    if not checked[parent_role].name:
        errors.add(f"{parent_role}_name", "证件所属父（母）亲的姓名必须填写。")
    if checked["mother"].id_number and checked["mother"].id_number == checked["father"].id_number:
        errors.add("father_id_number", "父亲和母亲的身份证号码不能相同。")
    return checked["mother"], checked["father"]


def _check_babies(babies, route, today, flags, errors) -> list[str]:
    """Each baby's sex, date and certificate; every eligibility condition reported once, by its field."""
    if not 1 <= len(babies) <= MAX_BABIES_PER_BIRTH:
        errors.add("babies", f"一次登记的新生儿须为1至{MAX_BABIES_PER_BIRTH}名。")
        return []
    certificates, reported = [], set()
    for index, baby in enumerate(babies):
        prefix = f"第{index + 1}名新生儿：" if len(babies) > 1 else ""
        if baby.sex not in Sex.values:
            errors.add(f"babies.{index}.sex", f"{prefix}请选择性别。")
        for problem in rules.eligibility_problems(birth_date=baby.birth_date, today=today, **flags):
            if problem.field == "birth_date":
                errors.add(f"babies.{index}.birth_date", prefix + problem.message)
            elif problem.code not in reported:
                reported.add(problem.code)
                errors.add(problem.field, problem.message)
        if route == Birth.Route.BIRTH_CERTIFICATE:
            try:
                certificates.append(
                    validators.birth_certificate_number_validate(baby.birth_certificate_number)
                )
            except ValidationError as exc:
                errors.add(f"babies.{index}.birth_certificate_number", prefix + exc.messages[0])
    if len(set(certificates)) != len(certificates):
        errors.add("babies", "同一次登记的新生儿出生医学证明编号不能相同。")
    if certificates:
        registered = Newborn.objects.filter(birth_certificate_number__in=certificates)
        for number in sorted(registered.values_list("birth_certificate_number", flat=True)):
            errors.add("babies", f"出生医学证明编号 {number} 已经登记过，不能重复登记。")
    return certificates


def _agency_warning_message(agency, parent_agency) -> str:
    if parent_agency is None:
        return (
            "未能根据证件所属父（母）亲身份证号码的前6位获取其参保所属机构。"
            f"所选参保社区属于「{agency or '未知机构'}」。确认无误后可继续登记。"
        )
    return (
        f"根据身份证号码获取的父母参保所属机构为「{parent_agency}」，"
        f"与所选参保社区的参保所属机构「{agency or '未知机构'}」不一致。"
        "原则上新生儿参保地需与父母任意一方户籍地一致；确认无误后可继续登记。"
    )


def _duplicate_warning(births: list[int], babies) -> str:
    # The same baby registered twice would be issued a second number (y after Y): a family member comes
    # back, a clerk does not find the first registration. Twins registered one at a time look the same,
    # hence a warning, not a refusal. `births`: the parents' earlier births (registration_context).
    existing = selectors.newborns_of_births_born_on(
        births=births, birth_dates={baby.birth_date for baby in babies}
    )
    if not existing:
        return ""
    rows = "；".join(
        f"{newborn.name}（{newborn.get_sex_display()}，出生日期{rules.format_date_zh(newborn.birth_date)}，"
        f"个人编号{newborn.personal_number}，{newborn.birth.hospital.name}"
        f"于{rules.format_date_zh(newborn.birth.registered_on)}登记，{newborn.get_state_display()}）"
        for newborn in existing
    )
    return (
        f"可能重复登记：该父母已有出生日期相同的登记：{rows}。同一名新生儿不能重复登记；"
        "如确为另一名新生儿（例如双胞胎中的另一名），请确认后继续。"
    )


def _parent_name_warning(parent: ParentInput, parent_role: str, earlier: str | None) -> str:
    """`earlier`: the name last registered with the parent's ID number (registration_context), if any."""
    if earlier is None or earlier == parent.name:
        return ""
    label = validators.ROLE_LABEL[parent_role]
    return (
        f"该身份证号码此前登记的{label}姓名为「{earlier}」，与本次填写的「{parent.name}」不一致。"
        "请核对身份证：新生儿姓名将按本次填写的姓名生成。"
    )


def _parent_lock(checked: _Checked, now) -> tuple[Parent, bool]:
    """The ID parent's row, created or updated with the name and phone just typed, and locked until the
    transaction ends; and whether it was created now.

    One statement: INSERT … ON CONFLICT DO UPDATE both creates the row without a race and takes the row
    lock (FOR NO KEY UPDATE on PostgreSQL: no key column changes) that serialises the letters issued with
    this ID number; SQLite's IMMEDIATE transactions serialise writers instead. A row created now carries
    `now` as its creation time, an older one keeps its own.
    """
    table = connection.ops.quote_name(Parent._meta.db_table)
    sql = (
        f"INSERT INTO {table} (id_number, name, phone, created_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (id_number) DO UPDATE SET name = excluded.name, "
        f"phone = CASE WHEN excluded.phone = '' THEN {table}.phone ELSE excluded.phone END "
        "RETURNING id, id_number, name, phone, created_at"
    )
    params = [checked.parent_id_number, checked.parent_name, checked.parent_phone, now]
    [parent] = Parent.objects.raw(sql, params)
    return parent, parent.created_at == now


def _register_locked(
    *,
    clerk,
    checked: _Checked,
    route,
    parent_role,
    babies,
    community,
    fields,
    birth_hospital,
    birth_hospital_name,
    agency_warning_confirmed,
    materials_deferred,
    stored,
    request_key,
    today,
    ip,
) -> Birth:
    now = timezone.now()
    parent, new_parent = _parent_lock(checked, now)
    count = len(babies)
    rows = RowBatch(
        {
            Birth: 1,
            Newborn: count,
            IssuedTemporaryId: count if route == Birth.Route.PARENT_ID else 0,
            Material: len(stored),
            AuditEntry: count,
        },
        sequences={PERSONAL_NUMBER_SEQUENCE: count},
    )

    birth = Birth(
        hospital=checked.hospital,
        clerk=clerk,
        registered_at=now,
        registered_on=today,
        request_key=request_key,
        route=route,
        parent=parent,
        parent_role=parent_role,
        mother_name=checked.mother.name,
        mother_id_number=checked.mother.id_number,
        mother_phone=checked.mother.phone,
        father_name=checked.father.name,
        father_id_number=checked.father.id_number,
        father_phone=checked.father.phone,
        community=community,
        agency=checked.agency,
        parent_agency=checked.parent_agency,
        agency_warning_confirmed=agency_warning_confirmed,
        birth_hospital=birth_hospital,
        birth_hospital_name=birth_hospital_name or checked.hospital.name,
    )
    birth.full_clean(exclude=_FOREIGN_KEYS[Birth], validate_unique=False, validate_constraints=False)
    rows.add([birth])

    letters = _letters(route, parent, new_parent, babies)
    numbers = [
        validators.personal_number_format(value) for value in rows.sequence_values(PERSONAL_NUMBER_SEQUENCE)
    ]
    newborns = [
        _newborn_row(
            birth, order, baby, letter, number, parent=parent, checked=checked, now=now, fields=fields
        )
        for order, (baby, letter, number) in enumerate(zip(babies, letters, numbers, strict=True), start=1)
    ]
    rows.add(newborns)
    rows.add(
        [
            IssuedTemporaryId(number=n.temp_id, parent=parent, suffix=n.temp_id[-1], newborn=n, issued_at=now)
            for n in newborns
            if n.temp_id
        ]
    )
    rows.add(
        [
            material_row(birth, material, content_type, name, clerk)
            for (material, content_type), name in zip(checked.materials, stored, strict=True)
        ]
    )
    rows.add(
        audit_entries_build(
            user=clerk,
            action=AuditEntry.Action.REGISTER,
            objects=newborns,
            hospital=checked.hospital,
            ip=ip,
            details=[
                {
                    "birth": birth.pk,
                    "personal_number": newborn.personal_number,
                    "materials": len(stored),
                    "materials_deferred": materials_deferred,
                }
                for newborn in newborns
            ],
        )
    )
    rows.write()
    count = len(newborns)
    transaction.on_commit(lambda: metrics.registration_counted(count))
    return birth


def _letters(route, parent: Parent, new_parent: bool, babies) -> list[str | None]:
    """The babies' letters (X, Y, …) on the parent-ID route, read after the parent's row is locked."""
    if route != Birth.Route.PARENT_ID:
        return [None] * len(babies)
    # A parent row created just now has no number issued with it yet (the register points at it).
    taken = (
        set()
        if new_parent
        else set(IssuedTemporaryId.objects.filter(parent=parent).values_list("suffix", flat=True))
    )
    try:
        return rules.suffixes_for_birth([baby.sex for baby in babies], taken)
    except rules.SuffixesExhausted as exc:
        raise ValidationError({"babies": [str(exc)]}) from None


def _newborn_row(birth, order, baby, letter, number, *, parent, checked: _Checked, now, fields) -> Newborn:
    newborn = Newborn(
        birth=birth,
        birth_order=order,
        name=rules.newborn_name(checked.parent_name, baby.sex),
        sex=baby.sex,
        birth_date=baby.birth_date,
        temp_id=(parent.id_number + letter) if letter else None,
        birth_certificate_number=checked.certificates[order - 1] if not letter else None,
        personal_number=number,
        last_day=rules.pre_enrollment_last_day(baby.birth_date),
        state=Newborn.State.REGISTERED,
        state_changed_at=now,
        **fields,
    )
    newborn.full_clean(exclude=_FOREIGN_KEYS[Newborn], validate_unique=False, validate_constraints=False)
    return newborn
