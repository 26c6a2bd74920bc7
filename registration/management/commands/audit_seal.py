from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registration.jobs import single_run
from registration.services.audit_chain import anchor_check, anchor_read, anchor_write, audit_seal

JOB = "audit_seal"


class Command(BaseCommand):
    help = (
        "Seal the audit entries written since the last run into the seal chain (every minute: "
        "deploy/systemd/newborn-audit-seal.timer); refuses entries without a valid MAC."
    )

    def handle(self, *args, **options):
        with single_run(JOB) as runs_here:
            if not runs_here:
                self.stdout.write(
                    f"{JOB} is running elsewhere (another node holds its lock): nothing done here."
                )
                return
            path = settings.AUDIT_ANCHOR_FILE
            try:
                problem = anchor_check(anchor_read(path))
            except ValueError as error:
                raise CommandError(str(error)) from None
            if problem:
                # The anchor is kept as it is, so that the next audit_verify says the same.
                raise CommandError(f"the audit log's seal chain lost its end: {problem}. Run audit_verify.")
            run = audit_seal()
            anchor_write(path, _head_of(run))
            if run.sealed:
                self.stdout.write(
                    f"{run.sealed} entr{'y' if run.sealed == 1 else 'ies'} sealed, chain at #{run.head}."
                )
            if run.refused:
                ids = ", ".join(str(entry_id) for entry_id in run.refused[:20])
                raise CommandError(
                    f"{len(run.refused)} audit entr{'y has' if len(run.refused) == 1 else 'ies have'} "
                    f"no valid MAC (not written by the application; id {ids}): left out of the chain. "
                    "Run audit_verify."
                )


def _head_of(run) -> tuple[int, str]:
    from registration.models import AuditSeal

    return AuditSeal.objects.filter(seq=run.head).values_list("seq", "mac").first() or (0, "")
