"""manage.py backup_data PATH: the database (pg_dump or SQLite's backup API) and the stored files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registration.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the stored files into a new directory PATH (docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a directory that does not exist yet")

    def handle(self, *, path, **options):
        try:
            summary = backup_create(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backed up the {summary.vendor} database ({summary.database_bytes} bytes) and "
            f"{summary.media_files} stored files into {summary.path}"
        )
