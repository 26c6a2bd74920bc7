"""send_reminders for a province's day against the locmem backend (docs/sms.md).

Run: .venv/bin/python bench/sms.py          (`make bench` runs it)

A database bench_sms (or BENCH_PG_DATABASE) is created at BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrated and given a province's day of text messages at the
province bench's volume (bench/province_data.py: 2 million records in five years, about 1,100 births a
day): every record due a reminder that day, at each step (30, 7 and 1 days before the last day; counted as
if none had paid, the most there can be), the day's welcomes and its confirmations (70 % of a day's births
pay, as in the province) pending. The rows are inserted directly (no registration is timed); the rows the
reminders are due for are registered, unpaid records with last days 30, 7 and 1 days ahead.

Timed: one `send_reminders` run, wall clock, with SMS_BACKEND=locmem and no quiet hours: its own work
(claiming, the queueing of the reminders, recording each outcome with its audit entry), the gateway costing
nothing. Target: >= 500 messages a second; every message sent exactly once. The database is dropped at the
end. Exits 1 when a target is missed.
"""

import io
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench_sms")
PROVINCE_RECORDS, PROVINCE_YEARS = 2_000_000, 5  # bench/province_data.py's default size
BIRTHS_A_DAY = round(PROVINCE_RECORDS / (PROVINCE_YEARS * 365.25))
PAID_SHARE = 0.7
RATE_TARGET = 500.0


def django_setup(database_url: str, data_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newborn_enroll.settings"
    os.environ["DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = database_url
    os.environ["SMS_BACKEND"] = "locmem"
    os.environ["SMS_QUIET_START"] = os.environ["SMS_QUIET_END"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def day_fill() -> dict[str, int]:
    """The day's rows: one birth and newborn per record, and the pending welcomes and confirmations."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from registration.models import Birth, Division, Hospital, InsuranceAgency, Newborn, Parent, SmsMessage
    from registration.rules import pre_enrollment_last_day
    from registration.services.sms import _message_row, channels_short

    parent = None
    names = ("广西壮族自治区", "南宁市", "青秀区", "新竹街道", "新竹社区")
    for level, (length, name) in enumerate(zip((2, 4, 6, 9, 12), names, strict=True), start=1):
        parent = Division.objects.create(code="450103001001"[:length], name=name, level=level, parent=parent)
        if level == 3:
            county = parent
    community = parent
    agency = InsuranceAgency.objects.create(code="450100", name="南宁市医疗保障事业管理中心")
    hospital = Hospital.objects.create(code="H45010300001", name="南宁市妇幼保健院", division=county)
    clerk = get_user_model().objects.create_user("bench-clerk")
    now = timezone.now()
    today = timezone.localdate(now)

    def born_for(days: int):
        born = today - timedelta(days=80)
        while pre_enrollment_last_day(born) < today + timedelta(days=days):
            born += timedelta(days=1)
        return born

    groups = [("reminder", days, born_for(days), BIRTHS_A_DAY) for days in (30, 7, 1)]
    groups += [("welcome", 0, today - timedelta(days=2), BIRTHS_A_DAY)]
    groups += [("confirmation", 0, today - timedelta(days=20), round(BIRTHS_A_DAY * PAID_SHARE))]
    index, counts, rows = 0, {}, []
    for kind, _, born, count in groups:
        parents = Parent.objects.bulk_create(
            Parent(id_number=f"4501031990{index + i:07d}0", name=f"母亲{index + i}") for i in range(count)
        )
        births = Birth.objects.bulk_create(
            Birth(
                hospital=hospital,
                clerk=clerk,
                registered_at=datetime.combine(born, datetime.min.time(), tzinfo=now.tzinfo),
                registered_on=born,
                route=Birth.Route.PARENT_ID,
                parent=parent,
                parent_role=Birth.ParentRole.MOTHER,
                mother_name=parent.name,
                mother_id_number=parent.id_number,
                community=community,
                agency=agency,
                birth_hospital_name=hospital.name,
            )
            for parent in parents
        )
        paid = kind == "confirmation"
        newborns = Newborn.objects.bulk_create(
            Newborn(
                birth=birth,
                hospital=hospital,
                name=f"{birth.mother_name}之女",
                sex=2,
                birth_date=born,
                temp_id=birth.mother_id_number + "X",
                personal_number=f"{index + i:010d}",
                household_address="广西南宁市青秀区新竹路1号",
                household_type="30",
                phone=f"138{index + i:08d}",
                last_day=pre_enrollment_last_day(born),
                state=Newborn.State.PAID if paid else Newborn.State.REGISTERED,
                state_changed_at=now,
                benefit_start=born if paid else None,
                registered_on=born,
            )
            for i, birth in enumerate(births)
        )
        index += count
        counts[kind] = counts.get(kind, 0) + count
        if kind == "reminder":
            continue
        channels = channels_short(newborns[0])
        for newborn in newborns:
            newborn.birth.community = community
            if paid:
                rows.append(_confirmation_row(newborn, born, now))
            else:
                rows.append(_message_row(kind, newborn, now=now, channels=channels))
    SmsMessage.objects.bulk_create(rows, batch_size=2000)
    return counts


def _confirmation_row(newborn, born, now):
    from registration.models import SmsMessage
    from registration.sms.texts import render, template_code

    params = {"name": newborn.name, "start": str(born), "until": str(newborn.last_day), "last_day": "x"}
    return SmsMessage(
        newborn=newborn,
        kind="confirmation",
        phone=newborn.phone,
        template_code=template_code("confirmation"),
        params=params,
        text=render("confirmation", params),
        next_attempt_at=now,
        created_at=now,
    )


def measure(database_url: str) -> bool:
    with tempfile.TemporaryDirectory() as data_dir:
        django_setup(database_url, data_dir)
        from collections import Counter

        from django.core.management import call_command
        from django.db import connections

        from registration import sms
        from registration.models import SmsMessage

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        counts = day_fill()
        print(
            f"a province's day ({PROVINCE_RECORDS:,} records in {PROVINCE_YEARS} years: {BIRTHS_A_DAY:,} "
            f"births a day): {counts['reminder']:,} reminders due (30, 7 and 1 days before the last day), "
            f"{counts['welcome']:,} welcomes, {counts['confirmation']:,} confirmations "
            f"(built in {time.perf_counter() - started:.0f}s)",
            flush=True,
        )
        sms.outbox.clear()
        out = io.StringIO()
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(call_command, "send_reminders", stdout=out)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        else:
            call_command("send_reminders", stdout=out)
        elapsed = time.perf_counter() - started
        sent = len(sms.outbox)
        expected = sum(counts.values())
        once = max(Counter((m.kind, m.phone) for m in sms.outbox).values()) == 1
        states = Counter(SmsMessage.objects.values_list("state", flat=True))
        rate = sent / elapsed
        print(out.getvalue().strip())
        print(
            f"send_reminders: {sent:,} messages in {elapsed:.2f}s = {rate:,.0f} messages/s "
            f"(target >= {RATE_TARGET:.0f})"
        )
        ok = rate >= RATE_TARGET and sent == expected and once and states == {"sent": expected}
        if not ok:
            print(f"MISSED: sent {sent} of {expected}, each once: {once}, states {dict(states)}")
        connections.close_all()
        return ok


def main() -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from fresh_database import fresh_database_run

    return fresh_database_run(PG_URL, PG_DATABASE, measure)


if __name__ == "__main__":
    sys.exit(main())
