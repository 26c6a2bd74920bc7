from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from registration.jobs import single_run
from registration.services.budgets import budget_counts_purge
from registration.services.kept_uploads import kept_uploads_clean

JOB = "clean_staging"


class Command(BaseCommand):
    help = (
        "Remove the uploads kept for a failed registration submit that nobody came back to and the payment "
        "lists uploaded but never confirmed (after a day): their rows and their files in the storage, and "
        "kept files left without a row; and the rate limits' counts of ended windows; safe to run hourly "
        "or daily from cron or a systemd timer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="remove scans kept for a failed submit more than this many hours ago (default 24)",
        )

    def handle(self, *args, **options):
        if options["hours"] < 1:
            raise CommandError("--hours must be at least 1: a clerk may still be correcting the form")
        with single_run(JOB) as runs_here:
            if not runs_here:
                self.stdout.write(
                    f"{JOB} is running elsewhere (another node holds its lock): nothing done here."
                )
                return
            self._run(**options)

    def _run(self, *, hours, **options):
        removed = kept_uploads_clean(scans_older_than=timedelta(hours=hours))
        self.stdout.write(f"{removed.scans} staging file(s) older than {hours} h removed.")
        self.stdout.write(
            f"{removed.payment_lists} unconfirmed payment-list file(s) older than a day removed."
        )
        if removed.orphans:
            self.stdout.write(f"{removed.orphans} kept file(s) without their row removed.")
        if counts := budget_counts_purge():
            self.stdout.write(f"{counts} rate-limit count(s) of ended windows removed.")
