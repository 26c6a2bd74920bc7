"""manage.py restore_data PATH: the database and the stored files replaced by a backup's (checksums first)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registration.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Replace the database and the files of the storage with the backup in PATH, after verifying every "
        "checksum. "
        "Stop the application first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a directory written by backup_data")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *, path, yes, **options):
        if not yes:
            answer = input(
                f"Replace the database and every uploaded material with the backup in {path}? [y/N] "
            )
            if answer.strip().lower() not in {"y", "yes"}:
                raise CommandError("Nothing restored.")
        try:
            summary = backup_restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored the {summary.vendor} database and {summary.media_files} stored files "
            f"from {summary.path}"
        )
