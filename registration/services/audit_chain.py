"""The audit log made tamper-evident: each entry's keyed MAC, and a chain of seals over the entries.

Two layers, both keyed with settings.AUDIT_CHAIN_KEY, which the database never holds (docs/privacy.md, A
tamper-evident audit log):

1. The application computes every entry's MAC as it writes it: HMAC-SHA256 over a random nonce and the
   entry's canonical content. No lock, no ordering: the hot path (a registration) pays one HMAC. A row
   INSERTed outside the application (the app's database role, a superuser) has no valid MAC; a row altered
   afterwards (triggers disabled) no longer matches its MAC.
2. `audit_seal` (every minute, deploy/systemd/newborn-audit-seal.timer) appends the entries written since,
   in id order, to a chain of seals: link n = HMAC(key, link n-1, n, entry id, entry MAC). A deleted
   entry leaves its link without an entry; a deleted or reordered link breaks the chain after it. A
   node's last sealed link is also kept in a file on the node (the anchor, AUDIT_ANCHOR_FILE), outside the
   database's reach, so that links cut off the chain's end are seen too.

A chain computed in each writing transaction would see a deletion at once, but would serialise every audit
write of every node behind one lock held until commit, the payment list's import holding it for its whole
transaction; the seals keep the hot path as it was and leave a window of a minute.
"""

import functools
import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from registration.models import AuditEntry, AuditSeal

# What the MAC covers: every column but the id (given by the database after the MAC) and the MAC itself.
CONTENT_FIELDS = (
    "at",
    "user_id",
    "username",
    "hospital_id",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "newborn_id",
    "reason",
    "detail",
)
# Entries written this long before a seal run may still be committing (a long import): each run looks back
# this far for entries not yet sealed; audit_verify looks at every entry.
SEAL_LOOKBACK = timedelta(hours=1)
SEAL_BATCH = 5000


def _key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode()


@functools.lru_cache(maxsize=4096)  # a few addresses make most entries; parsing one is slow
def _ip_text(value) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def _at_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def entry_content(values: dict) -> bytes:
    """The canonical bytes of an entry's content, the same before it is saved and when read back."""
    content = []
    for name in CONTENT_FIELDS:
        value = values[name]
        if name == "at":
            value = _at_text(value)
        elif name == "ip":
            value = _ip_text(value)
        elif name == "detail":
            value = value if value is not None else {}
        content.append(value)
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_mac(nonce: str, values: dict) -> str:
    """HMAC-SHA256 of the nonce and the entry's canonical content, in hex."""
    return hmac.new(_key(), nonce.encode() + b"\n" + entry_content(values), hashlib.sha256).hexdigest()


def entry_sign(entry: AuditEntry) -> AuditEntry:
    """Give a new (unsaved) entry its nonce and MAC; every writer of the log calls this (services/audit)."""
    entry.nonce = secrets.token_hex(16)
    entry.mac = entry_mac(entry.nonce, {name: getattr(entry, name) for name in CONTENT_FIELDS})
    return entry


def link_mac(previous: str, seq: int, entry_id: int, mac: str) -> str:
    message = f"{previous}|{seq}|{entry_id}|{mac}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _values(entry: AuditEntry) -> dict:
    return {name: getattr(entry, name) for name in CONTENT_FIELDS}


def entry_authentic(entry: AuditEntry) -> bool:
    """Whether the entry carries the MAC the application gave it (never true of a row made elsewhere)."""
    if not entry.nonce or not entry.mac:
        return False
    return hmac.compare_digest(entry.mac, entry_mac(entry.nonce, _values(entry)))


@dataclass
class SealRun:
    sealed: int = 0
    head: int = 0
    refused: list[int] = field(default_factory=list)  # ids of entries without a valid MAC: not the app's


def _head() -> tuple[int, str]:
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "mac").first()
    return last if last is not None else (0, "")


# Read as plain values, not model instances: a seal run or a check reads every entry once.
COLUMNS = ("pk", "nonce", "mac", *CONTENT_FIELDS)


def _rows(queryset):
    """(id, nonce, mac, content values) of each entry of the queryset, in its order."""
    for row in queryset.values_list(*COLUMNS).iterator(chunk_size=SEAL_BATCH):
        yield row[0], row[1], row[2], dict(zip(CONTENT_FIELDS, row[3:], strict=True))


def _unsealed(since: datetime | None):
    entries = AuditEntry.objects.annotate(
        sealed=Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk")))
    ).filter(sealed=False)
    if since is not None:
        entries = entries.filter(at__gte=since)
    return entries.order_by("pk")


def _authentic(nonce: str, mac: str, values: dict) -> bool:
    return bool(nonce and mac) and hmac.compare_digest(mac, entry_mac(nonce, values))


def audit_seal(*, lookback: timedelta | None = SEAL_LOOKBACK, legacy: bool = False) -> SealRun:
    """Append the entries not yet sealed to the seal chain, in id order; refuse those without a valid MAC.

    `lookback` None looks at every entry (audit_verify, and the migration); `legacy` (the migration only)
    seals entries written before entries had MACs, as they are found.
    """
    run = SealRun()
    since = timezone.now() - lookback if lookback is not None else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One sealer at a time across the nodes: the chain's order is the order links are made in.
            # (An advisory lock: it needs no right on the table beyond the INSERT the app has. Its one-key
            # space is apart from the jobs' two-key locks, registration/jobs.py.)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('registration.audit_seal'))")
        seq, previous = _head()
        batch = []
        for entry_id, nonce, mac, values in _rows(_unsealed(since)):
            if legacy and not nonce:
                mac = entry_mac("", values)
            elif not _authentic(nonce, mac, values):
                run.refused.append(entry_id)
                continue
            seq += 1
            previous = link_mac(previous, seq, entry_id, mac)
            batch.append(AuditSeal(seq=seq, entry_id=entry_id, entry_mac=mac, mac=previous))
            if len(batch) >= SEAL_BATCH:
                AuditSeal.objects.bulk_create(batch)
                run.sealed += len(batch)
                batch = []
        AuditSeal.objects.bulk_create(batch)
        run.sealed += len(batch)
        run.head = seq
    return run


@dataclass
class Break:
    """A run of consecutive links (or entries outside the chain) that fail, and why."""

    reason: str
    first_seq: int | None
    last_seq: int | None
    entry_ids: list[int]
    first_at: datetime | None = None

    def describe(self) -> str:
        if self.first_seq is None:
            where = "outside the chain"
        elif self.first_seq == self.last_seq:
            where = f"link #{self.first_seq}"
        else:
            where = f"links #{self.first_seq}–#{self.last_seq}"
        ids = [str(entry_id) for entry_id in self.entry_ids[:10]]
        more = f" and {len(self.entry_ids) - 10} more" if len(self.entry_ids) > 10 else ""
        when = f", first at {timezone.localtime(self.first_at):%Y-%m-%d %H:%M:%S}" if self.first_at else ""
        return f"{where} (entry id {', '.join(ids)}{more}{when}): {self.reason}"


@dataclass
class Report:
    links: int = 0
    head: tuple[int, str] = (0, "")
    breaks: list[Break] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    def add(self, reason: str, seq: int | None, entry_id: int | None, at: datetime | None = None) -> None:
        """Record one failure, joining it to the last break when it continues that break's run."""
        last = self.breaks[-1] if self.breaks else None
        continues = (
            last is not None
            and last.reason == reason
            and seq is not None
            and last.last_seq is not None
            and seq == last.last_seq + 1
        )
        if continues:
            last.last_seq = seq
            if entry_id is not None:
                last.entry_ids.append(entry_id)
            return
        self.breaks.append(Break(reason, seq, seq, [entry_id] if entry_id is not None else [], at))


DELETED = "the entry was deleted"
ALTERED = "the entry's content was changed after it was written"
NOT_LINKED = "the link does not follow the one before it (a link was removed, inserted or reordered)"
FORGED = "not written by the application (no valid MAC): inserted outside it"
TAMPERED_LINK = "the link's recorded entry MAC was changed"
MISSING = "the links and their entries were deleted"


def _entries_by_id(ids: list[int]) -> dict[int, tuple]:
    return {row[0]: row for row in _rows(AuditEntry.objects.filter(pk__in=ids))}


def audit_chain_verify() -> Report:
    """Walk the seal chain from its start and every entry outside it; report every break and where it is."""
    report = Report()
    previous, expected = "", 1
    links = AuditSeal.objects.order_by("seq").values_list("seq", "entry_id", "entry_mac", "mac")
    batch: list[tuple] = []

    def check(batch: list[tuple]) -> None:
        nonlocal previous, expected
        entries = _entries_by_id([link[1] for link in batch])
        for seq, entry_id, recorded_mac, mac in batch:
            entry = entries.get(entry_id)
            at = entry[3]["at"] if entry is not None else None
            if seq > expected:
                report.breaks.append(Break(MISSING, expected, seq - 1, []))
            if seq != expected or not hmac.compare_digest(
                mac, link_mac(previous, seq, entry_id, recorded_mac)
            ):
                report.add(NOT_LINKED, seq, entry_id, at)
            if entry is None:
                report.add(DELETED, seq, entry_id)
            else:
                _, nonce, stored_mac, values = entry
                computed = entry_mac(nonce, values)
                if nonce and not hmac.compare_digest(stored_mac, computed):
                    report.add(ALTERED, seq, entry_id, at)
                elif not hmac.compare_digest(recorded_mac, computed):
                    report.add(ALTERED if not nonce else TAMPERED_LINK, seq, entry_id, at)
            previous, expected = mac, seq + 1
            report.links += 1

    for link in links.iterator(chunk_size=SEAL_BATCH):
        batch.append(link)
        if len(batch) >= SEAL_BATCH:
            check(batch)
            batch = []
    check(batch)
    report.head = (expected - 1, previous)
    for entry_id, _, _, values in _rows(_unsealed(None)):
        report.add(FORGED, None, entry_id, values["at"])
    return report


# The anchor: the last link this node saw, in a file outside the database (AUDIT_ANCHOR_FILE).


@dataclass(frozen=True)
class Anchor:
    seq: int
    mac: str
    written_at: datetime


def anchor_read(path: Path) -> Anchor | None:
    try:
        data = json.loads(Path(path).read_text())
        return Anchor(int(data["seq"]), str(data["mac"]), datetime.fromisoformat(data["written_at"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"the anchor file {path} cannot be read ({error}): remove it to start again"
        ) from None


def anchor_write(path: Path, head: tuple[int, str]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(
        json.dumps({"seq": head[0], "mac": head[1], "written_at": timezone.now().isoformat()}) + "\n"
    )
    partial.chmod(0o600)
    partial.replace(path)


def anchor_check(anchor: Anchor | None) -> str | None:
    """None when the chain still holds the anchored link (or a restore since explains why not), else why."""
    if anchor is None or anchor.seq == 0:
        return None
    mac = AuditSeal.objects.filter(seq=anchor.seq).values_list("mac", flat=True).first()
    if mac is not None and hmac.compare_digest(mac, anchor.mac):
        return None
    restores = AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE, at__gt=anchor.written_at)
    if any(entry_authentic(entry) for entry in restores):
        return None  # a restore took the log back to a backup's: the links after it went with the old one
    when = f"{timezone.localtime(anchor.written_at):%Y-%m-%d %H:%M:%S}"
    return (
        f"link #{anchor.seq}, the chain's end when this node saw it at {when}, is "
        f"{'gone' if mac is None else 'changed'}: links were removed from the end of the chain "
        "(or the chain was rebuilt), and no restore since explains it"
    )
