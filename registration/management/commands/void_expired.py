from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registration.masking import mask_id_number
from registration.services import newborn_void_expired


class Command(BaseCommand):
    help = "Void every pre-enrollment still unpaid after its last day (safe to run daily; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be voided, change nothing"
        )
        parser.add_argument(
            "--today", help="the day to judge by, YYYY-MM-DD (default: today in Asia/Shanghai)"
        )

    def handle(self, *args, dry_run, today, **options):
        try:
            day = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today must be a date like 2026-03-05, got {today!r}") from None
        newborns = newborn_void_expired(today=day, dry_run=dry_run)
        for newborn in newborns:
            self.stdout.write(
                f"  {newborn.name} {mask_id_number(newborn.identity_number)} last day {newborn.last_day}"
            )
        verb = "would be voided" if dry_run else "voided"
        self.stdout.write(f"{len(newborns)} record(s) {verb} as of {day}.")
