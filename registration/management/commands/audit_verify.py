from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registration.jobs import single_run
from registration.services.audit_chain import (
    anchor_check,
    anchor_read,
    anchor_write,
    audit_chain_verify,
    audit_seal,
)

JOB = "audit_verify"


class Command(BaseCommand):
    help = (
        "Check the audit log against its MACs and seal chain (daily: deploy/systemd/"
        "newborn-audit-verify.timer): says where an entry was inserted, changed or deleted. "
        "Exits 1 when the log was tampered with."
    )

    def handle(self, *args, **options):
        with single_run(JOB) as runs_here:
            if not runs_here:
                self.stdout.write(
                    f"{JOB} is running elsewhere (another node holds its lock): nothing done here."
                )
                return
            self._run()

    def _run(self):
        path = settings.AUDIT_ANCHOR_FILE
        try:
            anchor = anchor_read(path)
        except ValueError as error:
            raise CommandError(str(error)) from None
        anchor_problem = anchor_check(anchor)
        # Entries written since the last seal run (or that it missed) are sealed first, if genuine.
        sealed = audit_seal(lookback=None)
        report = audit_chain_verify()
        self.stdout.write(
            f"audit_verify: {report.links} link(s) checked; {sealed.sealed} entr"
            f"{'y' if sealed.sealed == 1 else 'ies'} sealed now; chain at #{report.head[0]}."
        )
        problems = [breach.describe() for breach in report.breaks]
        if anchor_problem:
            problems.append(anchor_problem)
        if problems:
            first = report.breaks[0] if report.breaks else None
            where = f" first at {first.describe().split(' (')[0]}" if first else ""
            self.stdout.write(f"THE AUDIT LOG WAS TAMPERED WITH:{where}")
            for problem in problems:
                self.stdout.write(f"  {problem}")
            raise CommandError(f"the audit log fails its check in {len(problems)} place(s): see above")
        anchor_write(path, report.head)
        self.stdout.write(
            "The audit log is intact: every entry is the application's, none changed or deleted."
        )
