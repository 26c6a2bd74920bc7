from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from registration.jobs import single_run
from registration.services import staging_cleanup
from registration.services.payment_uploads import payment_uploads_cleanup

JOB = "clean_staging"


class Command(BaseCommand):
    help = (
        "Remove uploads kept for a failed registration submit that nobody came back to (MEDIA_ROOT/staging) "
        "and payment lists uploaded but never confirmed (MEDIA_ROOT/payment_imports, after a day); "
        "safe to run hourly or daily from cron or a systemd timer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="remove staged files last written more than this many hours ago (default 24)",
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
        removed = staging_cleanup(older_than=timedelta(hours=hours))
        self.stdout.write(
            f"{removed} staging file(s) older than {hours} h removed (uploads and their sidecars)."
        )
        lists = payment_uploads_cleanup()
        self.stdout.write(f"{lists} unconfirmed payment-list file(s) older than a day removed.")
