"""manage.py print_cards: a hospital's registration cards of a day, or chosen records, into one PDF file."""

from argparse import ArgumentTypeError
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cards.selectors import CARD_PREFETCH, CARD_RELATED
from cards.services import (
    PAGE_SIZES,
    CardRefused,
    card_state_refusal,
    render_cards,
)
from registration.access import newborns_of_hospital
from registration.models import Hospital, Newborn
from registration.services.audit import newborns_print_record

AUDIT_USERNAME = "print_cards"
LEFT_OUT = {
    "void": "is void",
    "formalized": "is formally enrolled (the card is replaced by the real ID)",
    "expired": "has expired (the card was valid until {last_day})",
}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"must be YYYY-MM-DD, got {value!r}") from None


def _ids(value: str) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(part) for part in value.split(",") if part.strip()))
    except ValueError:
        raise ArgumentTypeError(f"must be comma-separated record numbers (1,2,3), got {value!r}") from None
    if not ids:
        raise ArgumentTypeError("names no record")
    return ids


class Command(BaseCommand):
    help = (
        "Print registration cards (新生儿预参保登记卡) to a PDF file: a hospital's registrations of a day "
        "(--hospital CODE --date YYYY-MM-DD) or chosen records (--ids 1,2,3). Records whose card is no "
        "longer valid (void, formally enrolled, past the last day) are left out, each with a message; "
        "every printed card is audit-logged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            dest="day",
            metavar="YYYY-MM-DD",
            type=_date,
            help="registration date (参保日期), YYYY-MM-DD",
        )
        parser.add_argument("--ids", type=_ids, help="newborn record ids, comma-separated")
        parser.add_argument("--hospital", help="the registering hospital's code; required unless --ids")
        parser.add_argument("--size", default="A4", type=str.upper, choices=PAGE_SIZES, help="page size")
        parser.add_argument("--no-notice", action="store_true", help="leave out the family notice pages")
        parser.add_argument("--output", required=True, type=Path, help="the PDF file to write")

    def handle(self, *args, day, ids, hospital, size, no_notice, output, **options):
        if day is None and ids is None:
            raise CommandError("say which cards: --date YYYY-MM-DD (with --hospital) and/or --ids 1,2,3")
        if hospital is None and ids is None:
            raise CommandError("--hospital CODE is required unless --ids is given")
        if output.suffix.lower() != ".pdf":
            raise CommandError(f"--output must be a .pdf file, got {output}")
        if not output.parent.is_dir():
            raise CommandError(f"the folder of --output does not exist: {output.parent}")
        rows = (
            Newborn.objects.select_related(*CARD_RELATED)
            .prefetch_related(*CARD_PREFETCH)
            .order_by("birth__registered_at", "birth_order")
        )
        if hospital is not None:
            found = Hospital.objects.filter(code=hospital).first()
            if found is None:
                raise CommandError(f"no hospital has the code {hospital!r}")
            rows = newborns_of_hospital(rows, found.pk)
        if day is not None:
            rows = rows.filter(birth__registered_on=day)
        if ids is not None:
            by_pk = {newborn.pk: newborn for newborn in rows.filter(pk__in=ids)}
            missing = [pk for pk in ids if pk not in by_pk]
            if missing:
                where = " of that hospital" if hospital else ""
                where += " registered that day" if day else ""
                raise CommandError(f"no record{where} with id {', '.join(map(str, missing))}")
            rows = [by_pk[pk] for pk in ids]
        rows, today = list(rows), timezone.localdate()
        printable = []
        for newborn in rows:
            refusal = card_state_refusal(newborn, today=today)
            if refusal is None:
                printable.append(newborn)
            else:
                why = LEFT_OUT[refusal.reason].format(last_day=newborn.last_day.isoformat())
                self.stderr.write(
                    f"left out: record {newborn.pk} ({newborn.personal_number}) {why}: {refusal}"
                )
        if not printable:
            raise CommandError(
                "no card to print: " + ("every record chosen was left out" if rows else "no record")
            )
        try:
            pdf = render_cards(printable, with_notice=not no_notice, page_size=size, today=today)
        except CardRefused as refusal:
            raise CommandError(f"cannot print: {refusal}") from None
        try:
            output.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error}") from None
        newborns_print_record(
            user=None,
            username=AUDIT_USERNAME,
            newborns=printable,
            detail={"size": size, "notice": not no_notice, "cards": len(printable), "output": str(output)},
        )
        self.stdout.write(f"{len(printable)} card(s) written to {output} ({len(pdf) // 1024} KB)")
