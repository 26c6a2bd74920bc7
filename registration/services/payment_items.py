"""Payments sent as a list of items (POST /api/v1/payments), by the payment list import's rules
(services.payments).

Each item is a row of a payment list: matched by temporary ID, certificate number or personal number,
checked as the import checks it, and idempotent by receipt number (a payment already recorded is
reported, not recorded again). All or nothing, as the import: one refused item records none.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registration.services.payment_files import RawRow
from registration.services.payments import Outcome, payment_import_plan, payment_import_row_record


class PaymentsRefused(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("payments refused")
        self.errors = errors


def _rows(items: list[dict]) -> list[RawRow]:
    rows = []
    for index, item in enumerate(items):
        cells = {
            name: item.get(name, "")
            for name in ("temp_id", "birth_certificate_number", "personal_number", "name", "receipt_number")
        }
        cells["paid_on"] = item["paid_on"]
        cells["years"] = "、".join(str(year) for year in item["years"])
        cells["amount"] = "" if item.get("amount") is None else str(item["amount"])
        rows.append(RawRow(number=index + 1, cells=cells))
    return rows


def payment_items_record(*, user, items: list[dict], ip: str | None, attempts: int = 2) -> list[dict]:
    """Record the items' new payments as `user` (the 医保中心's account); what each item did.

    Raises PaymentsRefused with the import's messages by "payments.N". A payment recorded by a racing
    call between the plan and the write fails the write; the plan is then made again, and finds it.
    """
    rows = _rows(items)
    for attempt in range(attempts):
        today = timezone.localdate()
        plan = payment_import_plan(user=user, rows=rows, today=today)
        errors = {
            f"payments.{row.number - 1}": list(row.messages)
            for row in plan.rows
            if row.outcome == Outcome.ERROR
        }
        if errors:
            raise PaymentsRefused(errors)
        try:
            with transaction.atomic():
                return [_apply(row, user=user, today=today, ip=ip) for row in plan.rows]
        except ValidationError as error:
            if attempt == attempts - 1:
                raise PaymentsRefused({"payments": error.messages}) from None
    raise AssertionError("unreachable")


def _apply(row, *, user, today, ip) -> dict:
    newborn = row.newborn
    if row.outcome == Outcome.RECORD:
        payment_import_row_record(row=row, user=user, today=today, ip=ip)
        newborn.refresh_from_db(fields=["state", "benefit_start"])
    return {
        "index": row.number - 1,
        "outcome": "recorded" if row.outcome == Outcome.RECORD else "already_recorded",
        "personal_number": newborn.personal_number,
        "state": newborn.state,
        "benefit_start": newborn.benefit_start,
    }
