"""Payment lists (缴费名单) imported by administrators: matching the rows to records, applying them.

The administrator uploads a list; it is read (payment_files) and kept (kept_uploads), and a preview
shows what each row would do (payment_import_plan). Confirming reads the kept file again and applies the
plan it gives then (payment_import_apply): the preview page never carries the data, only the upload's
token and the plan's digest, so a forged form can at most make the confirmation fail.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q

from registration import selectors, validators
from registration.masking import mask_id_number
from registration.models import AuditEntry, KeptUpload, Newborn, Payment
from registration.rules import format_date_zh, late_payment_text
from registration.services.audit import audit_record
from registration.services.kept_uploads import kept_upload_read
from registration.services.lifecycle import (
    RECEIPT_MAX_LENGTH,
    newborn_benefit_start,
    payment_problems,
    payment_record,
    payment_same,
    receipt_conflict_message,
    receipt_elsewhere_message,
)
from registration.services.payment_files import (
    IDENTITY_FIELDS,
    LABELS,
    RawRow,
    UncomputedFormula,
    cell_amount,
    cell_date,
    cell_text,
    cell_years,
    payment_rows_read,
)

# --- The plan: what each row would do -------------------------------------------------------------------


class Outcome:
    RECORD = "record"
    RECORDED = "recorded"
    ERROR = "error"

    LABELS = {RECORD: "将录入", RECORDED: "已录入，跳过", ERROR: "有错误，不导入"}


@dataclass(frozen=True)
class PlannedRow:
    """One row's outcome in the preview, with the parsed payment when there is one."""

    number: int
    outcome: str
    messages: tuple[str, ...] = ()
    newborn: Newborn | None = None
    identity: str = ""  # what the row named: ID numbers masked, a personal number in full
    paid_on: date | None = None
    years: tuple[int, ...] = ()
    receipt_number: str = ""
    amount: Decimal | None = None
    benefit: str = ""  # the benefit start the payment would give
    reinstates: bool = False

    @property
    def outcome_label(self) -> str:
        return Outcome.LABELS[self.outcome]


@dataclass(frozen=True)
class PaymentImportPlan:
    rows: list[PlannedRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """A fingerprint of every row's outcome: confirming applies only the plan that was previewed."""
        summary = [
            [row.number, row.outcome, row.newborn.pk if row.newborn else None, str(row.paid_on), row.years]
            + [row.receipt_number, str(row.amount)]
            for row in self.rows
        ]
        return hashlib.sha256(json.dumps(summary).encode()).hexdigest()


def payment_import_plan(*, user, rows: list[RawRow], today: date) -> PaymentImportPlan:
    """Each row's outcome: a new payment to record, one already recorded, or an error (in Chinese)."""
    parsed = [_parse(row) for row in rows]
    newborns = _newborns_named(user, parsed)
    receipts = _receipts_in_use(parsed, newborns)
    planned, earlier = [], {}
    for row, values, errors in parsed:
        planned.append(_plan_row(row, values, errors, newborns, earlier, today, receipts))
    counts = {outcome: sum(1 for row in planned if row.outcome == outcome) for outcome in Outcome.LABELS}
    return PaymentImportPlan(planned, counts)


def _parse(row: RawRow) -> tuple[RawRow, dict, list[str]]:
    values, errors = {}, []
    # A formula whose result the file does not hold has no value we could use: refused, never read as empty.
    formulas = {name for name, value in row.cells.items() if isinstance(value, UncomputedFormula)}
    errors.extend(
        _where(row, name, row.cells[name].message) for name in sorted(formulas, key=list(LABELS).index)
    )
    parsers = {
        "temp_id": validators.temp_id_validate,
        "birth_certificate_number": validators.birth_certificate_number_validate,
        "personal_number": validators.personal_number_validate,
    }
    for name, parse in parsers.items():
        text = cell_text(row.cells.get(name))
        if text and name not in formulas:
            try:
                values[name] = parse(text)
            except ValidationError as error:
                errors.append(_where(row, name, " ".join(error.messages)))
    if not any(cell_text(row.cells.get(name)) for name in IDENTITY_FIELDS):
        errors.append(f"第{row.number}行：新生儿编码、出生医学证明编号、个人编号至少要填一项。")
    for name, parse, required in (
        ("paid_on", cell_date, True),
        ("years", cell_years, True),
        ("amount", cell_amount, False),
    ):
        if name in formulas:
            continue
        if required and not cell_text(row.cells.get(name)):
            errors.append(_where(row, name, "不能为空"))
            continue
        try:
            values[name] = parse(row.cells.get(name))
        except (ValueError, OverflowError) as error:
            errors.append(_where(row, name, str(error)))
    usable = {name: (None if name in formulas else value) for name, value in row.cells.items()}
    values["receipt_number"] = cell_text(usable.get("receipt_number"))
    if len(values["receipt_number"]) > RECEIPT_MAX_LENGTH:
        errors.append(_where(row, "receipt_number", f"不能超过{RECEIPT_MAX_LENGTH}个字符"))
    values["name"] = cell_text(usable.get("name"))
    for name in ("receipt_number", "name"):  # the text a list (a file or the API) brings in as it is
        try:
            validators.hidden_characters_validate(values[name])
        except ValidationError as error:
            errors.append(_where(row, name, " ".join(error.messages)))
    return row, values, errors


def _where(row: RawRow, name: str, message: str) -> str:
    return f"第{row.number}行「{LABELS[name]}」：{message.rstrip('。')}。"


def _newborns_named(user, parsed) -> dict[tuple[str, str], Newborn]:
    wanted = {name: {values[name] for _, values, _ in parsed if name in values} for name in IDENTITY_FIELDS}
    if not any(wanted.values()):
        return {}
    # Administrators see every hospital's records; the one access function decides it all the same.
    newborns = (
        selectors.newborn_list_for_user(user=user)
        .filter(
            Q(temp_id__in=wanted["temp_id"])
            | Q(birth_certificate_number__in=wanted["birth_certificate_number"])
            | Q(personal_number__in=wanted["personal_number"])
        )
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk")))
    )
    found = {}
    for newborn in newborns:
        for name in IDENTITY_FIELDS:
            # Compared again in Python: the temporary ID is case-sensitive whatever the collation.
            if getattr(newborn, name) in wanted[name]:
                found[(name, getattr(newborn, name))] = newborn
    return found


@dataclass(frozen=True)
class _Receipts:
    """Who each receipt number of the list belongs to: rows of the file, and payments already recorded."""

    in_file: dict[str, dict[int, list[int]]]  # receipt -> newborn pk -> row numbers
    recorded: dict[str, set[int]]  # receipt -> newborn pks of the payments that carry it


def _row_matches(values: dict, newborns) -> dict[int, Newborn]:
    found = (newborns.get((name, values[name])) for name in IDENTITY_FIELDS if name in values)
    return {newborn.pk: newborn for newborn in found if newborn is not None}


def _receipts_in_use(parsed, newborns) -> _Receipts:
    in_file: dict[str, dict[int, list[int]]] = {}
    for row, values, _ in parsed:
        matches = _row_matches(values, newborns)
        if values["receipt_number"] and len(matches) == 1:
            rows = in_file.setdefault(values["receipt_number"], {}).setdefault(next(iter(matches)), [])
            rows.append(row.number)
    recorded: dict[str, set[int]] = {}
    payments = Payment.objects.filter(receipt_number__in=list(in_file)).values_list(
        "receipt_number", "newborn"
    )
    for receipt, newborn_pk in payments:
        recorded.setdefault(receipt, set()).add(newborn_pk)
    return _Receipts(in_file, recorded)


def _receipt_problems(row, newborn: Newborn, receipt: str, receipts: _Receipts) -> list[str]:
    # One receipt, one baby: a receipt number on two babies' rows, or already on another baby's payment,
    # is a typing error somewhere, and no row of it is recorded until it is found.
    if not receipt:
        return []
    problems = []
    owners = receipts.in_file.get(receipt, {})
    if len(owners) > 1:
        others = sorted(number for pk, rows in owners.items() if pk != newborn.pk for number in rows)
        where = "、".join(f"第{number}行" for number in others)
        problems.append(_where(row, "receipt_number", f"与{where}相同，但对应的是另一名新生儿"))
    if receipts.recorded.get(receipt, set()) - {newborn.pk}:
        problems.append(_where(row, "receipt_number", receipt_elsewhere_message(receipt)))
    return problems


def _identity_shown(name: str, number: str) -> str:
    # ID numbers are masked in the preview; the personal number is not sensitive (the records list shows it).
    return number if name == "personal_number" else mask_id_number(number)


def _plan_row(row, values, errors, newborns, earlier, today, receipts: _Receipts) -> PlannedRow:
    named = [(name, values[name]) for name in IDENTITY_FIELDS if name in values]
    identity = _identity_shown(*named[0]) if named else ""
    for name, number in named:
        if newborns.get((name, number)) is None:
            hint = "（编码区分大小写）" if name == "temp_id" else ""
            errors.append(_where(row, name, f"没有找到该号码的登记记录{hint}"))
    matches = _row_matches(values, newborns)
    if len(matches) > 1:
        errors.append(f"第{row.number}行：所填的几个号码对应的不是同一名新生儿，请核对。")
    newborn = next(iter(matches.values())) if len(matches) == 1 else None
    if newborn is not None and values["name"] and values["name"] not in (newborn.name, newborn.real_name):
        errors.append(_where(row, "name", f"与登记的姓名「{newborn.name}」不一致"))
    if errors or newborn is None:
        return PlannedRow(row.number, Outcome.ERROR, tuple(errors), newborn, identity)
    paid_on, years, receipt = values["paid_on"], values["years"], values["receipt_number"]
    problems = payment_problems(newborn=newborn, paid_on=paid_on, years=years, today=today)
    for name, messages in problems.items():
        errors.extend(_where(row, name, message) for message in messages)
    payment = dict(paid_on=paid_on, years=years, receipt_number=receipt)
    same_row, conflict = payment_same(earlier.get(newborn.pk, []), **payment)
    if same_row is not None:
        errors.append(f"第{row.number}行与第{same_row.row}行是同一笔缴费（重复行），不重复导入。")
    elif conflict is not None:
        errors.append(_where(row, "receipt_number", f"与第{conflict.row}行相同，但到账日期或缴费年度不同"))
    recorded, conflict = payment_same(newborn.payments.all(), **payment)
    if conflict is not None:
        errors.append(_where(row, "receipt_number", receipt_conflict_message(conflict, receipt)))
    errors.extend(_receipt_problems(row, newborn, receipt, receipts))
    common = dict(identity=identity, paid_on=paid_on, years=tuple(years), receipt_number=receipt)
    common.update(amount=values.get("amount"), newborn=newborn)
    if errors:
        return PlannedRow(row.number, Outcome.ERROR, tuple(errors), **common)
    earlier.setdefault(newborn.pk, []).append(SimpleNamespace(row=row.number, **payment))
    if recorded is not None:
        return PlannedRow(row.number, Outcome.RECORDED, ("这笔缴费已经录入过。",), **common)
    payments = [(p.paid_on, p.years) for p in [*newborn.payments.all(), *earlier[newborn.pk]]]
    notes, benefit, reinstates = _outcome_for_record(newborn, payments)
    return PlannedRow(row.number, Outcome.RECORD, notes, benefit=benefit, reinstates=reinstates, **common)


def _outcome_for_record(newborn: Newborn, payments: list) -> tuple[tuple[str, ...], str, bool]:
    """What recording the payments does to the record, as payment_record will do it: (notes, the benefit
    start in words, whether a void record is reinstated). docs/rules.md, A payment after the void."""
    in_time = [(day, years) for day, years in payments if day <= newborn.last_day]
    last_day = format_date_zh(newborn.last_day)
    if newborn.state in (Newborn.State.REGISTERED, Newborn.State.VOID) and not in_time:
        void = "该记录已到期自动作废" if newborn.state == Newborn.State.VOID else "录入后该记录按规定作废"
        note = (
            f"到账日期晚于缴费截止日（{last_day}）：缴费将记入该记录，但{void}，不能恢复为已缴费。"
            + late_payment_text(newborn.birth_date, payments)
        )
        return (note,), "", False
    start = newborn_benefit_start(newborn.birth_date, payments)
    reinstates = newborn.state == Newborn.State.VOID
    notes = (
        (f"该记录已到期自动作废；到账日期不晚于缴费截止日（{last_day}），录入后恢复为已缴费。",)
        if reinstates
        else ()
    )
    return notes, f"{format_date_zh(start.start)}起：{start.rule}", reinstates


# --- Applying it -------------------------------------------------------------------------------------------


class PlanChanged(Exception):
    """The list's outcome differs from the previewed one (records changed meanwhile): preview again."""

    def __init__(self, plan: PaymentImportPlan):
        super().__init__("the payment import plan changed since the preview")
        self.plan = plan


@dataclass(frozen=True)
class PaymentImportResult:
    plan: PaymentImportPlan
    payments: list[Payment]


def payment_import_row_record(*, row: PlannedRow, user, today: date, ip: str | None = None) -> Payment:
    """Record a planned row's new payment (Outcome.RECORD) as imported: the list's and the API's one write."""
    return payment_record(
        newborn=row.newborn,
        user=user,
        paid_on=row.paid_on,
        years=row.years,
        receipt_number=row.receipt_number,
        amount=row.amount,
        source=Payment.Source.IMPORT,
        today=today,
        ip=ip,
    )


@transaction.atomic
def payment_import_apply(
    *, user, upload: KeptUpload, digest: str, today: date, ip: str | None = None
) -> PaymentImportResult:
    """Record every new payment of the kept list in one transaction, if its plan is the previewed one.

    All or nothing: a row that fails now (a payment recorded by hand meanwhile) rolls the import back.
    Raises PlanChanged, or ValidationError (Chinese) when the kept file is gone.
    """
    content = kept_upload_read(upload)
    if content is None:
        raise ValidationError("上传的文件已失效，请重新上传。", code="gone")
    plan = payment_import_plan(user=user, rows=payment_rows_read(content), today=today)
    if plan.digest != digest:
        raise PlanChanged(plan)
    payments = []
    for row in plan.rows:
        if row.outcome != Outcome.RECORD:
            continue
        try:
            payments.append(payment_import_row_record(row=row, user=user, today=today, ip=ip))
        except ValidationError as error:
            raise ValidationError(
                f"第{row.number}行无法录入（{' '.join(error.messages)}），整个文件未导入，请重新预览。",
                code="row_failed",
            ) from None
    audit_record(
        user=user,
        action=AuditEntry.Action.IMPORT,
        ip=ip,
        detail={
            "kind": "payments",
            "file": upload.original_name,
            "sha256": upload.sha256,
            "rows": len(plan.rows),
            **plan.counts,
            "payments": [payment.pk for payment in payments],
        },
    )
    return PaymentImportResult(plan, payments)
