"""The registration write: one birth of 1..N babies, their letters, numbers, materials and audit entries."""

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from registration import access, metrics, rules, validators
from registration.models import (
    AuditEntry,
    Birth,
    Hospital,
    IssuedTemporaryId,
    Material,
    Newborn,
    NumberSequence,
    Parent,
    SmsMessage,
)
from registration.services.audit import audit_entries_build
from registration.services.birth_materials import material_row, materials_store
from registration.services.lookups import KIND_CHECK, lookup_record
from registration.services.registration_check import (  # the inputs and codes, also by this name
    MAX_BABIES_PER_BIRTH,  # noqa: F401
    WARNING_AGENCY,
    WARNING_BIRTH_PLACE,  # noqa: F401
    WARNING_CODES,  # noqa: F401
    WARNING_DUPLICATE,  # noqa: F401
    WARNING_PARENT_NAME,  # noqa: F401
    BabyInput,  # noqa: F401
    ParentInput,  # noqa: F401
    RegistrationCheck,
    RegistrationRequest,
    registration_check,
)
from registration.services.sms import sms_decline_entries, sms_welcomes_build
from registration.services.storage import storage_delete_quietly

# full_clean() checks field values; foreign keys are excluded because the rows were just loaded, and
# uniqueness and constraints are left to the database, whose errors newborn_register turns into messages.
_BIRTH_RELATIONS = [
    "hospital",
    "clerk",
    "parent",
    "community",
    "agency",
    "parent_agency",
    "birth_hospital",
]
_NEWBORN_RELATIONS = ["birth", "hospital"]
# The personal numbers' sequence on PostgreSQL (migration 0002) and SQLite's counter row.
PERSONAL_NUMBER_SEQUENCE = "registration_personal_number_seq"
PERSONAL_NUMBER_COUNTER = "personal_number"


class RegistrationWarning(ValidationError):
    """What the clerk should check before saving, and may confirm to go on ("点击确定后仍然可以继续新增").

    Each item's code names the warning (WARNING_CODES); newborn_register skips the confirmed ones.
    """

    @property
    def codes(self) -> list[str]:
        return [error.code for error in self.error_list]

    @property
    def warnings(self) -> list[dict[str, str]]:
        """The warnings as the page shows them and the API answers them: each one's code and message."""
        return [{"code": error.code, "message": error.messages[0]} for error in self.error_list]


class AgencyWarning(RegistrationWarning):
    """Among the warnings: the parent's agency is unknown or differs from the community's (附件2)."""


def newborn_register(
    *,
    clerk,
    registration: RegistrationRequest,
    request_key: uuid.UUID | None = None,
    request_fingerprint: str = "",
    today: date | None = None,
    ip: str | None = None,
) -> Birth:
    """Register one birth: validate everything, then issue letters and numbers under the parent's lock.

    Runs registration_check. Raises ValidationError (its errors: field path → Chinese messages, every
    problem at once), RegistrationWarning (AgencyWarning when the agency is among them) listing what the
    clerk must confirm (the request's `confirmed_warnings`, by code), PermissionDenied for a user without
    module access, StorageUnavailable when the scans cannot be stored (nothing written). The household
    register (or ID card) and the birth record are required unless
    `materials_deferred` (uploaded later on the record's page). With a `request_key`, a repeated call
    returns the first call's birth; `request_fingerprint` (the API's digest of its body) is kept with the
    key, for the caller to tell a retry from another request under the same key.
    """
    today = today or timezone.localdate()
    # The one access gate decides: an active operator with module access, at an active hospital.
    hospital = access.registering_hospital(clerk)
    checked = registration_check(hospital=hospital, registration=registration, today=today)
    if checked.lookups:  # the answer drew on other hospitals' records: on record (docs/privacy.md)
        lookup_record(
            user=clerk,
            kind=KIND_CHECK,
            number_masked=checked.lookup_number,
            answered=checked.lookups,
            ip=ip,
        )
    if checked.errors or checked.warnings:
        # A submit sent again after it was saved (a resubmit, a retry after a timeout) meets its own
        # registration as a duplicate, its scans already moved: the saved registration is the answer.
        # Looked up only then: the insert's unique request key catches the rest (below).
        if request_key is not None and (existing := _birth_for_request_key(request_key, clerk)) is not None:
            return existing
        raise _refusal(checked)
    # Files are written before the transaction: no file I/O while the parent's row is locked. A store that
    # is down raises StorageUnavailable here, before any row is written.
    stored = materials_store(checked.materials)
    try:
        with transaction.atomic():
            return _register_locked(
                clerk=clerk,
                hospital=hospital,
                checked=checked,
                registration=registration,
                stored=stored,
                request_key=request_key,
                request_fingerprint=request_fingerprint,
                today=today,
                ip=ip,
            )
    except (IntegrityError, ValidationError) as exc:
        for name in stored:
            storage_delete_quietly(name)
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


def _refusal(checked: RegistrationCheck) -> ValidationError:
    """The errors by field path, else the warnings to confirm (AgencyWarning when the agency's is one)."""
    if checked.errors:
        return ValidationError(checked.errors)
    warnings = [ValidationError(warning.message, code=warning.code) for warning in checked.warnings]
    agency_among = any(warning.code == WARNING_AGENCY for warning in checked.warnings)
    return (AgencyWarning if agency_among else RegistrationWarning)(warnings)


def _parent_lock(checked: RegistrationCheck) -> Parent:
    """The ID parent's row, created or updated with the name (and the phone, when one was typed), and
    locked until the transaction ends.

    One statement: INSERT … ON CONFLICT DO UPDATE (bulk_create with update_conflicts) both creates the
    row without a race and takes the row lock (PostgreSQL: no key column changes) that serialises the
    letters issued with this ID number; SQLite's IMMEDIATE transactions serialise writers instead.
    """
    person = checked.parent
    parent = Parent(id_number=person.id_number, name=person.name, phone=person.phone)
    Parent.objects.bulk_create(
        [parent],
        update_conflicts=True,
        unique_fields=["id_number"],
        update_fields=["name", "phone"] if person.phone else ["name"],
    )
    return parent


def _personal_numbers(count: int) -> list[str]:
    """`count` new personal numbers: PostgreSQL's sequence (migration 0002), never rolled back, so that no
    number is issued twice and families do not queue behind one counter; SQLite's counter row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval('{PERSONAL_NUMBER_SEQUENCE}') FROM generate_series(1, %s)", [count]
            )
            values = [row[0] for row in cursor.fetchall()]
    else:
        # IMMEDIATE transactions serialise the counter's writers.
        NumberSequence.objects.get_or_create(name=PERSONAL_NUMBER_COUNTER)
        NumberSequence.objects.filter(name=PERSONAL_NUMBER_COUNTER).update(last_value=F("last_value") + count)
        last = NumberSequence.objects.get(name=PERSONAL_NUMBER_COUNTER).last_value
        values = list(range(last - count + 1, last + 1))
    return [validators.personal_number_format(value) for value in values]


def _register_locked(
    *,
    clerk,
    hospital: Hospital,
    checked: RegistrationCheck,
    registration: RegistrationRequest,
    stored,
    request_key,
    request_fingerprint,
    today,
    ip,
) -> Birth:
    now = timezone.now()
    parent = _parent_lock(checked)
    route, babies = registration.route, registration.babies
    birth = Birth(
        hospital=hospital,
        clerk=clerk,
        registered_at=now,
        registered_on=today,
        request_key=request_key,
        request_fingerprint=request_fingerprint,
        route=route,
        parent=parent,
        parent_role=registration.parent_role,
        mother_name=checked.mother.name,
        mother_id_number=checked.mother.id_number,
        mother_phone=checked.mother.phone,
        father_name=checked.father.name,
        father_id_number=checked.father.id_number,
        father_phone=checked.father.phone,
        community=registration.community,
        agency=checked.agency,
        parent_agency=checked.parent_agency,
        agency_warning_confirmed=WARNING_AGENCY in registration.confirmed_warnings,
        confirmed_warnings=" ".join(sorted(checked.confirmed)),
        materials_pending=bool(
            rules.materials_missing(route, [material.kind for material, _ in checked.materials])
        ),
        birth_hospital=checked.birth_hospital,
        birth_hospital_name=checked.birth_hospital_name,
    )
    birth.full_clean(exclude=_BIRTH_RELATIONS, validate_unique=False, validate_constraints=False)
    Birth.objects.bulk_create([birth])

    fields = {
        "household_address": registration.household_address.strip(),
        "household_type": registration.household_type,
        "phone": registration.phone,
        "ethnicity": registration.ethnicity,
        "nationality": registration.nationality,
    }
    if registration.sms_declined:
        # The family declined text messages (docs/sms.md): recorded with the clerk and the time.
        fields.update(sms_declined_at=now, sms_declined_by=clerk)
    letters = _letters(route, parent, babies)
    numbers = _personal_numbers(len(babies))
    newborns = Newborn.objects.bulk_create(
        _newborn_row(
            birth, order, baby, letter, number, parent=parent, checked=checked, now=now, fields=fields
        )
        for order, (baby, letter, number) in enumerate(zip(babies, letters, numbers, strict=True), start=1)
    )
    issued = [
        IssuedTemporaryId(number=n.temp_id, parent=parent, suffix=n.temp_id[-1], newborn=n, issued_at=now)
        for n in newborns
        if n.temp_id
    ]
    if issued:
        IssuedTemporaryId.objects.bulk_create(issued)
    if stored:
        Material.objects.bulk_create(
            material_row(birth, material, content_type, name, clerk)
            for (material, content_type), name in zip(checked.materials, stored, strict=True)
        )
    AuditEntry.objects.bulk_create(
        audit_entries_build(
            user=clerk,
            action=AuditEntry.Action.REGISTER,
            objects=newborns,
            hospital=hospital,
            ip=ip,
            reason=_deferred_reason(birth.route, checked.materials)
            if registration.materials_deferred
            else "",
            details=[
                {
                    "birth": birth.pk,
                    "personal_number": newborn.personal_number,
                    "materials": len(stored),
                    "materials_deferred": registration.materials_deferred,
                    **({"confirmed": sorted(checked.confirmed)} if checked.confirmed else {}),
                    "sms_declined": registration.sms_declined,
                }
                for newborn in newborns
            ],
        )
    )
    if registration.sms_declined:
        AuditEntry.objects.bulk_create(
            sms_decline_entries(newborns=newborns, user=clerk, hospital=hospital, ip=ip)
        )
    # The welcome text, as a row: the job sends it (send_reminders); registration never waits for a gateway.
    SmsMessage.objects.bulk_create(sms_welcomes_build(newborns, now=now))
    count = len(newborns)
    transaction.on_commit(lambda: metrics.registration_counted(count))
    return birth


DEFERRED_REASON = "材料暂缺，稍后补传"


def _deferred_reason(route, materials) -> str:
    """The history's reason for a save with 「材料暂缺，稍后补传」 ticked: what is still missing, if any."""
    missing = rules.materials_missing(route, [material.kind for material, _ in materials])
    return f"{DEFERRED_REASON}：{''.join(missing)}" if missing else ""


def _letters(route, parent: Parent, babies) -> list[str | None]:
    """The babies' letters (X, Y, …) on the parent-ID route, read after the parent's row is locked."""
    if route != Birth.Route.PARENT_ID:
        return [None] * len(babies)
    taken = set(IssuedTemporaryId.objects.filter(parent=parent).values_list("suffix", flat=True))
    try:
        return rules.suffixes_for_birth([baby.sex for baby in babies], taken)
    except rules.SuffixesExhausted as exc:
        raise ValidationError({"babies": [str(exc)]}) from None


def _newborn_row(
    birth, order, baby, letter, number, *, parent, checked: RegistrationCheck, now, fields
) -> Newborn:
    newborn = Newborn(
        birth=birth,
        hospital_id=birth.hospital_id,  # the birth's, denormalized (models.Newborn.hospital)
        birth_order=order,
        name=rules.newborn_name(checked.parent.name, baby.sex),
        sex=baby.sex,
        birth_date=baby.birth_date,
        temp_id=(parent.id_number + letter) if letter else None,
        birth_certificate_number=checked.certificates[order - 1] if not letter else None,
        personal_number=number,
        last_day=rules.pre_enrollment_last_day(baby.birth_date),
        state=Newborn.State.REGISTERED,
        state_changed_at=now,
        registered_on=birth.registered_on,
        mother_id_number=birth.mother_id_number,
        father_id_number=birth.father_id_number,
        **fields,
    )
    newborn.full_clean(exclude=_NEWBORN_RELATIONS, validate_unique=False, validate_constraints=False)
    return newborn
