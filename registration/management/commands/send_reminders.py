"""manage.py send_reminders: the text messages' job (docs/sms.md)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from registration.jobs import single_run
from registration.masking import mask_phone
from registration.services.sms import (
    quiet_hours,
    reminders_due,
    sms_orphans_fail,
    sms_pending_due,
    sms_purge,
    sms_reminders_queue,
    sms_send_due,
)
from registration.sms import get_backend

JOB = "send_reminders"


class Command(BaseCommand):
    help = (
        "Queue the payment reminders due today and send the pending text messages (welcome, reminder, "
        "confirmation) through SMS_BACKEND, each at most once; purge old messages. Safe to run often."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be sent, change nothing")
        parser.add_argument("--batch", type=int, default=100, help="messages claimed at a time (default 100)")
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="run again every SECONDS until stopped (the demo); default: run once",
        )

    def handle(self, *args, dry_run, batch, every, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if every <= 0 or dry_run:
            self._once(dry_run=dry_run, batch=batch, quiet_log=False)
            return
        while True:
            try:
                self._once(dry_run=False, batch=batch, quiet_log=True)
            except DatabaseError as error:  # the demo's SQLite busy with the server: the next round
                self.stderr.write(f"{JOB}: {error}; trying again in {every}s")
            time.sleep(every)

    def _once(self, *, dry_run: bool, batch: int, quiet_log: bool):
        with single_run(JOB) as runs_here:
            if not runs_here:
                self.stdout.write(
                    f"{JOB} is running elsewhere (another node holds its lock): nothing done here."
                )
                return
            if dry_run:
                self._dry_run()
                return
            started = timezone.now()
            backend = get_backend()
            purged = sms_purge(now=started)
            orphans = sms_orphans_fail(before=started)
            queued = sms_reminders_queue(today=timezone.localdate(started), now=started)
            report = sms_send_due(backend=backend, batch=batch)
            elapsed = (timezone.now() - started).total_seconds()
            if quiet_log and not (
                purged or orphans or queued or report.sent or report.retried or report.failed
            ):
                return
            self.stdout.write(
                f"{queued} reminder(s) queued, {report.sent} message(s) sent, {report.retried} to retry, "
                f"{report.failed} failed, {orphans} interrupted marked failed, "
                f"{purged} old row(s) purged, in {elapsed:.2f}s."
            )
            if report.quiet:
                self.stdout.write(
                    "Quiet hours (SMS_QUIET_START to SMS_QUIET_END): the rest waits for the morning."
                )

    def _dry_run(self):
        now = timezone.now()
        due = reminders_due(today=timezone.localdate(now))
        for newborn, step in due:
            self.stdout.write(
                f"  reminder ({step} days before) {newborn.name} {mask_phone(newborn.phone)} "
                f"last day {newborn.last_day}"
            )
        pending = sms_pending_due(now=now)
        for message in pending:
            self.stdout.write(
                f"  {message.kind} {message.newborn.name} {mask_phone(message.phone)} "
                f"(attempt {message.attempts + 1})"
            )
        night = " (quiet hours now: they would wait for the morning)" if quiet_hours(now) else ""
        self.stdout.write(
            f"{len(due)} reminder(s) would be queued and {len(pending)} pending message(s) "
            f"would be sent{night}."
        )
