"""Text messages to families (docs/sms.md): which are due, their rows, and sending them at most once.

A message is a row (SmsMessage) written before anything is sent: the welcome in the registration's
transaction, the confirmation in the payment's, the reminders by the job. Nothing here calls a gateway
from a request: `manage.py send_reminders` sends the pending rows (sms_send_due).

At most once: a run claims a batch of pending rows in one transaction (SELECT … FOR UPDATE SKIP LOCKED,
then state pending → sending, committed) before it calls the gateway, and records each outcome after. A
second run (another node) skips the rows locked or already sending; a rerun finds them sending, not
pending. A run that dies between the claim and the outcome leaves its rows `sending`: the next run marks
them failed, their outcome unknown (sms_orphans_fail), and never sends them again; the clerks see them in
the follow-up list and call the family.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from cards.channels import payment_channels
from registration import rules
from registration.masking import mask_id_number, mask_phone
from registration.models import AuditEntry, Newborn, SmsMessage
from registration.services.audit import audit_entries_build, audit_record
from registration.sms import Message, SmsBackend, SmsError, SmsPermanentError
from registration.sms.texts import (
    CHANNELS_SHOWN,
    CHANNELS_UNKNOWN,
    PARAM_MAX_LENGTH,
    TEMPLATES,
    render,
    template_code,
)

Kind, State = SmsMessage.Kind, SmsMessage.State

# A welcome or a confirmation not sent within these days (the job stopped, the night, a long queue) is no
# longer news: it is cancelled rather than sent late (the reminders still go).
STALE_DAYS = 3
ORPHAN_REASON = "发送过程中断，无法确认是否已送达，不再重发：请电话联系家长。"
ERROR_MAX_LENGTH = 200


# --- What a message says -------------------------------------------------------------------------------


def channels_short(newborn: Newborn) -> str:
    """Where the family pays, in short: the first online channels of the enrollment place's city."""
    channels = payment_channels(newborn.birth.community.code)
    if not channels["configured"]:
        return CHANNELS_UNKNOWN
    listed = [*channels["online"], *channels["offline"]]
    for count in range(min(CHANNELS_SHOWN, len(listed)), 0, -1):
        text = "、".join(listed[:count]) + ("等" if len(listed) > count else "")
        if len(text) <= PARAM_MAX_LENGTH or count == 1:
            return text[:PARAM_MAX_LENGTH]
    return CHANNELS_UNKNOWN


def masked_code(newborn: Newborn) -> str:
    """The baby's code as the notice masks it (its letter kept: twins differ by it); never the full ID."""
    return mask_id_number(newborn.identity_number)


def _params(kind: str, newborn: Newborn, *, today: date, channels: str = "") -> dict[str, str] | None:
    last_day = rules.format_date_zh(newborn.last_day)
    if kind == Kind.WELCOME:
        return {
            "name": newborn.name,
            "code": masked_code(newborn),
            "last_day": last_day,
            "channels": channels,
        }
    if kind == Kind.REMINDER:
        days = str(max(0, (newborn.last_day - today).days))
        return {"name": newborn.name, "last_day": last_day, "days": days, "channels": channels}
    payments = list(newborn.payments.values_list("paid_on", "years"))
    cover = rules.card_cover(newborn.birth_date, payments)
    if cover.start is None or cover.card_until is None:
        return None  # nothing the card covers: the clerk explains (the record page's cover text)
    return {
        "name": newborn.name,
        "start": rules.format_date_zh(cover.start),
        "until": rules.format_date_zh(cover.card_until),
        "last_day": last_day,
    }


def _message_row(
    kind: str, newborn: Newborn, *, now: datetime, step: int = 0, channels: str = ""
) -> SmsMessage | None:
    params = _params(kind, newborn, today=timezone.localdate(now), channels=channels)
    if params is None or not newborn.phone:
        return None
    declined = newborn.sms_declined_at is not None
    return SmsMessage(
        newborn=newborn,
        kind=kind,
        step=step,
        phone=newborn.phone,
        template_code=template_code(kind),
        params=params,
        text=render(kind, params),
        state=State.DECLINED if declined else State.PENDING,
        next_attempt_at=now,
        created_at=now,
    )


# --- Queuing: at registration, at payment, and the reminders ---------------------------------------------


def sms_welcomes_build(newborns: list[Newborn], *, now: datetime) -> list[SmsMessage]:
    """The welcome of each newborn of a registration, not yet saved (newborn_register inserts them)."""
    rows = []
    for newborn in newborns:
        row = _message_row(Kind.WELCOME, newborn, now=now, channels=channels_short(newborn))
        if row is not None:
            rows.append(row)
    return rows


def sms_confirmation_queue(*, newborn: Newborn, now: datetime | None = None) -> SmsMessage | None:
    """The confirmation of a record just paid (payment_record calls it in its transaction), once."""
    now = now or timezone.now()
    if SmsMessage.objects.filter(newborn=newborn, kind=Kind.CONFIRMATION).exists():
        return None
    row = _message_row(Kind.CONFIRMATION, newborn, now=now)
    if row is None:
        return None
    SmsMessage.objects.bulk_create([row], ignore_conflicts=True)
    return row


def reminder_steps() -> list[int]:
    """settings.SMS_REMINDER_DAYS, fewest days first."""
    return sorted({int(day) for day in settings.SMS_REMINDER_DAYS if int(day) >= 0})


def reminders_due(*, today: date) -> list[tuple[Newborn, int]]:
    """The unpaid records owed a reminder today, with its step, that have none for it yet.

    A record is at step d while its days left are in (the next smaller step, d]; it is owed that step's
    reminder if it was registered before the step began (the welcome told the rest) and has not declined.
    """
    due, lower = [], -1
    for step in reminder_steps():
        newborns = (
            Newborn.objects.filter(
                state=Newborn.State.REGISTERED,
                sms_declined_at__isnull=True,
                last_day__gt=today + timedelta(days=lower),
                last_day__lte=today + timedelta(days=step),
            )
            .exclude(phone="")
            .filter(~Exists(SmsMessage.objects.filter(newborn=OuterRef("pk"), kind=Kind.REMINDER, step=step)))
            .select_related("birth__community")
            .order_by("last_day", "pk")
        )
        due += [
            (newborn, step) for newborn in newborns if (newborn.last_day - newborn.registered_on).days > step
        ]
        lower = step
    return due


def sms_reminders_queue(*, today: date, now: datetime | None = None) -> int:
    """Write the reminders due today (reminders_due) as pending rows; a row that exists already is left
    alone (the unique newborn-kind-step: two runs queue each once). The number written."""
    now = now or timezone.now()
    rows, channels = [], {}
    for newborn, step in reminders_due(today=today):
        code = newborn.birth.community.code
        if code not in channels:
            channels[code] = channels_short(newborn)
        row = _message_row(Kind.REMINDER, newborn, now=now, step=step, channels=channels[code])
        if row is not None:
            rows.append(row)
    with transaction.atomic():
        SmsMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


# --- The family declines -------------------------------------------------------------------------------


def sms_decline_refusal(newborn: Newborn) -> str | None:
    if newborn.sms_declined_at is not None:
        return "家长已拒收短信。"
    return None


@transaction.atomic
def newborn_sms_decline(*, newborn: Newborn, user, ip: str | None = None) -> list[Newborn]:
    """The family declines text messages: every baby of the birth, from now on; pending ones are dropped.
    Who and when are kept on the records and in the audit log."""
    now = timezone.now()
    babies = list(
        Newborn.objects.select_for_update(of=("self",))
        .select_related("birth__hospital")
        .filter(birth_id=newborn.birth_id, sms_declined_at__isnull=True)
        .order_by("pk")
    )
    for baby in babies:
        baby.sms_declined_at, baby.sms_declined_by = now, user
        baby.save(update_fields=["sms_declined_at", "sms_declined_by"])
        dropped = SmsMessage.objects.filter(newborn=baby, state=State.PENDING).update(state=State.DECLINED)
        audit_record(
            user=user,
            action=AuditEntry.Action.SMS_DECLINE,
            obj=baby,
            hospital=baby.birth.hospital,
            ip=ip,
            detail={"pending_dropped": dropped},
        )
    return babies


def sms_decline_entries(*, newborns: list[Newborn], user, hospital, ip: str | None) -> list[AuditEntry]:
    """The SMS_DECLINE entries of a registration whose family declined (newborn_register inserts them)."""
    return audit_entries_build(
        user=user,
        action=AuditEntry.Action.SMS_DECLINE,
        objects=newborns,
        hospital=hospital,
        ip=ip,
        details=[{"at_registration": True} for _ in newborns],
    )


# --- Sending ------------------------------------------------------------------------------------------


def quiet_hours(moment: datetime) -> bool:
    """Whether `moment` is in the night (SMS_QUIET_START to SMS_QUIET_END, Asia/Shanghai): nothing goes."""
    start, end = settings.SMS_QUIET_START, settings.SMS_QUIET_END
    hour = timezone.localtime(moment).hour
    if start == end:
        return False
    if start > end:
        return hour >= start or hour < end
    return start <= hour < end


def _still_due(message: SmsMessage, *, now: datetime) -> str | None:
    """The state a claimed message ends in without being sent (declined, cancelled), or None to send it."""
    newborn = message.newborn
    if newborn.sms_declined_at is not None:
        return State.DECLINED
    if newborn.state in (Newborn.State.VOID, Newborn.State.FORMALIZED):
        return State.CANCELLED
    if message.kind == Kind.REMINDER and (
        newborn.state != Newborn.State.REGISTERED or newborn.last_day < timezone.localdate(now)
    ):
        return State.CANCELLED
    if message.kind == Kind.CONFIRMATION and newborn.state != Newborn.State.PAID:
        return State.CANCELLED
    if message.kind != Kind.REMINDER and message.created_at < now - timedelta(days=STALE_DAYS):
        return State.CANCELLED
    return None


def _queue(now: datetime):
    return SmsMessage.objects.filter(state=State.PENDING, next_attempt_at__lte=now)


def sms_claim(*, now: datetime, batch: int) -> list[SmsMessage]:
    """Claim up to `batch` pending messages for this run, committed before anything is sent: locked rows
    (another run's) are skipped, and only rows still pending become sending. Those no longer due end
    declined or cancelled instead. The messages to send, with their newborns."""
    with transaction.atomic():
        ids = list(
            _queue(now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return []
        messages = list(SmsMessage.objects.select_related("newborn").filter(pk__in=ids, state=State.PENDING))
        send, settled = [], {State.DECLINED: [], State.CANCELLED: []}
        for message in messages:
            outcome = _still_due(message, now=now)
            (settled[outcome] if outcome else send).append(message.pk)
        for state, pks in settled.items():
            if pks:
                SmsMessage.objects.filter(pk__in=pks, state=State.PENDING).update(state=state)
        claimed = SmsMessage.objects.filter(pk__in=send, state=State.PENDING).update(
            state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if claimed != len(send):  # SQLite has no row locks: another run took some (never on PostgreSQL)
            send = list(
                SmsMessage.objects.filter(pk__in=send, state=State.SENDING, claimed_at=now).values_list(
                    "pk", flat=True
                )
            )
    by_pk = {message.pk: message for message in messages}
    for pk in send:
        by_pk[pk].attempts += 1
    return [by_pk[pk] for pk in send]


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    quiet: bool = False
    errors: list[str] = field(default_factory=list)


def _retry_at(now: datetime, attempts: int) -> datetime:
    return now + timedelta(minutes=settings.SMS_RETRY_MINUTES * 2 ** max(0, attempts - 1))


def _ordered(kind: str, params: dict) -> dict[str, str]:
    """The parameters in their template's order (Tencent numbers them so): PostgreSQL's jsonb keeps none."""
    template = TEMPLATES.get(kind)
    if template is None or not set(template.params) <= set(params):
        return dict(params)
    return {name: params[name] for name in template.params} | params


def sms_send_batch(
    *, backend: SmsBackend, messages: list[SmsMessage], report: SendReport, now: datetime | None = None
) -> None:
    """Send claimed messages through the backend, then record every outcome and its audit entry at once."""
    outcomes = []
    for message in messages:
        try:
            gateway_id = backend.send(
                Message(
                    phone=message.phone,
                    kind=message.kind,
                    template_code=message.template_code,
                    params=_ordered(message.kind, message.params),
                    text=message.text,
                )
            )
        except SmsError as error:
            outcomes.append((message, None, error))
        else:
            outcomes.append((message, str(gateway_id)[:100], None))
    now = now or timezone.now()
    changed, entries = [], []
    for message, gateway_id, error in outcomes:
        if error is None:
            message.state, message.gateway_id, message.sent_at, message.last_error = (
                State.SENT,
                gateway_id,
                now,
                "",
            )
            report.sent += 1
        else:
            reason = (error.reason or str(error))[:ERROR_MAX_LENGTH]
            permanent = isinstance(error, SmsPermanentError)
            if permanent or message.attempts >= settings.SMS_MAX_ATTEMPTS:
                message.state = State.FAILED
                report.failed += 1
            else:
                message.state, message.next_attempt_at = State.PENDING, _retry_at(now, message.attempts)
                report.retried += 1
            message.last_error = reason
            report.errors.append(reason)
        changed.append(message)
        entries.append(_send_entry(message, error))
    with transaction.atomic():
        _outcomes_save(changed)
        AuditEntry.objects.bulk_create(entries, batch_size=500)


OUTCOME_FIELDS = ("state", "gateway_id", "sent_at", "last_error", "next_attempt_at")


def _outcomes_save(messages: list[SmsMessage]) -> None:
    """Each message's outcome (OUTCOME_FIELDS). On PostgreSQL one UPDATE … FROM (VALUES …) for the batch:
    bulk_update's CASE over a hundred keys, or a hundred UPDATEs, cost the job most of its time (bench/
    sms.py); elsewhere one UPDATE a row."""
    if not messages:
        return
    if connection.vendor != "postgresql":
        for message in messages:
            SmsMessage.objects.filter(pk=message.pk).update(
                **{name: getattr(message, name) for name in OUTCOME_FIELDS}
            )
        return
    table = SmsMessage._meta.db_table
    rows = ", ".join(
        ["(%s::bigint, %s::varchar, %s::varchar, %s::timestamptz, %s::varchar, %s::timestamptz)"]
        * len(messages)
    )
    params = [
        value
        for message in messages
        for value in (message.pk, *(getattr(message, name) for name in OUTCOME_FIELDS))
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET state = v.state, gateway_id = v.gateway_id, sent_at = v.sent_at, "  # noqa: S608
            f"last_error = v.last_error, next_attempt_at = v.next_attempt_at "
            f"FROM (VALUES {rows}) AS v(id, state, gateway_id, sent_at, last_error, next_attempt_at) "
            f"WHERE m.id = v.id",
            params,
        )


def _send_entry(message: SmsMessage, error: SmsError | None) -> AuditEntry:
    detail = {
        "message": message.pk,
        "kind": message.kind,
        "step": message.step,
        "phone": mask_phone(message.phone),
        "state": message.state,
        "attempts": message.attempts,
        "gateway_id": message.gateway_id,
        "backend": settings.SMS_BACKEND,
    }
    (entry,) = audit_entries_build(
        user=None,
        action=AuditEntry.Action.SMS,
        objects=[message.newborn],
        hospital=None,
        details=[detail],
        reason=message.last_error if error is not None else "",
    )
    entry.hospital_id = message.newborn.hospital_id
    entry.username = "send_reminders"
    return entry


def sms_send_due(
    *, backend: SmsBackend, now: datetime | None = None, batch: int = 100, limit: int | None = None
) -> SendReport:
    """Send the pending messages whose time has come, a batch at a time, until none is left (or `limit`),
    stopping when the night begins (quiet_hours)."""
    report = SendReport()
    while limit is None or report.sent + report.retried + report.failed < limit:
        moment = now or timezone.now()
        if quiet_hours(moment):
            report.quiet = True
            break
        size = batch if limit is None else min(batch, limit - report.sent - report.retried - report.failed)
        messages = sms_claim(now=moment, batch=size)
        if not messages:
            break
        sms_send_batch(backend=backend, messages=messages, report=report, now=now)
    return report


def sms_orphans_fail(*, before: datetime) -> int:
    """Messages claimed before `before` and still sending: their run died between the claim and the
    outcome. Failed, outcome unknown, never sent again (at most once); the job calls this before it sends,
    holding its lock, so no live run's claims are older than its start."""
    with transaction.atomic():
        return SmsMessage.objects.filter(state=State.SENDING, claimed_at__lt=before).update(
            state=State.FAILED, last_error=ORPHAN_REASON
        )


def sms_purge(*, now: datetime | None = None) -> int:
    """Delete the message rows older than SMS_KEEP_DAYS (a phone and a text are personal information); the
    audit log keeps that each was sent (masked phone, no text)."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted, _ = SmsMessage.objects.filter(
            created_at__lt=now - timedelta(days=settings.SMS_KEEP_DAYS)
        ).delete()
    return deleted


def sms_pending_due(*, now: datetime) -> list[SmsMessage]:
    """The pending messages whose time has come, oldest first (the job's --dry-run lists them)."""
    return list(_queue(now).select_related("newborn").order_by("next_attempt_at", "pk"))
