"""manage.py print_cards: a PDF file of a day's or chosen cards, audit-logged; clear errors otherwise."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from registration.models import AuditEntry, Birth
from registration.services import Sex
from registration.services.lifecycle import newborn_void
from registration.services.newborns import BabyInput
from tests.factories import TODAY, register

pytestmark = pytest.mark.django_db

HOSPITAL = "H45010300001"  # factories.hospital_make's code


@pytest.fixture
def twins(clerk):
    born = TODAY - timedelta(days=4)
    birth = register(clerk, babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.MALE, born)])
    return list(birth.newborns.order_by("birth_order"))


def run(*args, stderr: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("print_cards", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def test_it_writes_a_days_cards_to_a_pdf_file_and_audits_them(twins, tmp_path):
    output = tmp_path / "cards.pdf"
    message = run("--hospital", HOSPITAL, "--date", "2026-03-02", "--output", str(output))
    assert "2 card(s) written" in message
    reader = PdfReader(output)
    assert len(reader.pages) == 4  # two cards, each with its notice
    entries = list(AuditEntry.objects.filter(action=AuditEntry.Action.PRINT).order_by("pk"))
    assert [entry.newborn for entry in entries] == twins
    for entry in entries:
        assert entry.user is None and entry.username == "print_cards"
        assert entry.hospital.code == HOSPITAL
        assert entry.detail["size"] == "A4" and entry.detail["reprint"] is False


def test_it_prints_chosen_records_on_a6_without_notices_and_marks_reprints(twins, tmp_path):
    output = tmp_path / "chosen.pdf"
    run("--ids", str(twins[1].pk), "--output", str(output))
    run("--ids", f"{twins[1].pk},{twins[0].pk}", "--size", "a6", "--no-notice", "--output", str(output))
    reader = PdfReader(output)
    assert len(reader.pages) == 2
    assert round(float(reader.pages[0].mediabox.width) * 25.4 / 72) == 148
    last = AuditEntry.objects.filter(action=AuditEntry.Action.PRINT).order_by("-pk")[:2]
    assert {entry.newborn_id: entry.detail["reprint"] for entry in last} == {
        twins[1].pk: True,
        twins[0].pk: False,
    }
    assert {entry.detail["size"] for entry in last} == {"A6"}


def test_it_leaves_out_void_records_saying_so_for_each(twins, clerk, tmp_path):
    newborn_void(newborn=twins[0], user=clerk, reason="家属要求作废")
    output, stderr = tmp_path / "cards.pdf", io.StringIO()
    message = run("--hospital", HOSPITAL, "--date", "2026-03-02", "--output", str(output), stderr=stderr)
    assert "1 card(s) written" in message
    assert len(PdfReader(output).pages) == 2
    assert stderr.getvalue().startswith(
        f"left out: record {twins[0].pk} ({twins[0].personal_number}) is void: "
    )
    assert "已作废" in stderr.getvalue()
    with pytest.raises(CommandError, match="every record chosen was left out"):
        run("--ids", str(twins[0].pk), "--output", str(output))


def test_it_leaves_out_cards_past_their_last_day(twins, tmp_path, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 5, 26))
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="no card to print"):
        run("--ids", f"{twins[0].pk},{twins[1].pk}", "--output", str(tmp_path / "cards.pdf"), stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 2
    assert all("has expired (the card was valid until 2026-05-25)" in line for line in lines)
    assert not (tmp_path / "cards.pdf").exists()


def test_text_the_card_font_cannot_print_stops_the_command(twins, tmp_path):
    Birth.objects.filter(pk=twins[0].birth_id).update(father_name="王龘")
    with pytest.raises(CommandError, match="cannot print: 无法打印登记卡：.*父亲姓名中的「龘」"):
        run("--ids", str(twins[0].pk), "--output", str(tmp_path / "cards.pdf"))
    assert not (tmp_path / "cards.pdf").exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PRINT).exists()


def test_it_prints_a6_cards_with_their_two_page_notices(twins, tmp_path):
    output = tmp_path / "cards.pdf"
    run("--ids", f"{twins[0].pk},{twins[1].pk}", "--size", "A6", "--output", str(output))
    assert len(PdfReader(output).pages) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hospital", HOSPITAL], "say which cards"),
        (["--date", "2026-03-02"], "--hospital CODE is required"),
        (["--hospital", "NOPE", "--date", "2026-03-02"], "no hospital has the code"),
        (["--hospital", HOSPITAL, "--date", "2026-01-01"], "no card to print"),
        (["--ids", "999999"], "no record with id 999999"),
        (["--hospital", HOSPITAL, "--date", "2026-02-30"], "YYYY-MM-DD"),
        (["--ids", "1,x"], "comma-separated"),
        (["--hospital", HOSPITAL, "--date", "2026-03-02", "--size", "A5"], "invalid choice"),
    ],
)
def test_bad_arguments_are_command_errors(twins, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args, "--output", str(tmp_path / "cards.pdf"))
    assert not (tmp_path / "cards.pdf").exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PRINT).exists()


def test_it_needs_a_pdf_output_in_an_existing_folder(twins, tmp_path):
    with pytest.raises(CommandError, match="output"):
        run("--ids", str(twins[0].pk))
    with pytest.raises(CommandError, match=r"\.pdf"):
        run("--ids", str(twins[0].pk), "--output", str(tmp_path / "cards.txt"))
    with pytest.raises(CommandError, match="does not exist"):
        run("--ids", str(twins[0].pk), "--output", str(tmp_path / "missing" / "cards.pdf"))
