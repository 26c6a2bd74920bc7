from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registration.jobs import single_run
from registration.masking import mask_id_number
from registration.services.lifecycle import newborn_void_expired

JOB = "void_expired"


class Command(BaseCommand):
    help = "Void every pre-enrollment still unpaid after its last day (safe to run daily; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be voided, change nothing"
        )
        parser.add_argument(
            "--today",
            help="the day to judge by, YYYY-MM-DD, not after today unless --dry-run "
            "(default: today in Asia/Shanghai)",
        )

    def handle(self, *args, **options):
        with single_run(JOB) as runs_here:
            if not runs_here:
                self.stdout.write(
                    f"{JOB} is running elsewhere (another node holds its lock): nothing done here."
                )
                return
            self._run(**options)

    def _run(self, *, dry_run, today, **options):
        actual = timezone.localdate()
        try:
            day = date.fromisoformat(today) if today else actual
        except ValueError:
            raise CommandError(f"--today must be a date like 2026-03-05, got {today!r}") from None
        if day > actual and not dry_run:
            # Judging by a later day would void records whose last day has not passed yet. A dry run
            # changes nothing, so it may look ahead ("what will be void next week?").
            raise CommandError(
                f"--today {day} is after today's date ({actual}, {timezone.get_current_timezone_name()}): "
                "that would void records that still have days left to pay. Use today or an earlier day, "
                "or --dry-run to see what a later day would void."
            )
        newborns = newborn_void_expired(today=day, dry_run=dry_run)
        for newborn in newborns:
            self.stdout.write(
                f"  {newborn.name} {mask_id_number(newborn.identity_number)} last day {newborn.last_day}"
            )
        verb = "would be voided" if dry_run else "voided"
        self.stdout.write(f"{len(newborns)} record(s) {verb} as of {day}.")
