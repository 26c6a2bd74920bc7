"""Payment lists (缴费名单): reading CSV and XLSX, matching rows, the preview, applying it once, the pages."""

import codecs
import io
import threading
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from openpyxl import Workbook, load_workbook

from registration.models import AuditEntry, Newborn, Operator, Payment, Sex
from registration.services import payment_files, payments
from registration.services.kept_uploads import (
    kept_payment_list_get,
    kept_payment_list_store,
    kept_upload_read,
)
from registration.services.lifecycle import newborn_void, newborn_void_expired, payment_record
from registration.services.newborns import BabyInput, ParentInput
from registration.services.payment_files import TEMPLATE_HEADERS, payment_rows_read
from registration.services.payments import Outcome, PlanChanged, payment_import_apply, payment_import_plan
from tests import factories

pytestmark = pytest.mark.django_db

BORN = date(2026, 1, 10)  # last day 2026-04-09
TODAY = date(2026, 3, 1)
HEADER = ["新生儿编码", "出生医学证明编号", "个人编号", "到账日期", "缴费年度", "缴费凭证号"]
CERTIFICATE = "Q450123456"


@pytest.fixture
def admin(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def twins(clerk):
    """Twin girls under their mother's ID: …X and …x, two babies."""
    birth = factories.register(
        clerk, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.FEMALE, BORN)], today=date(2026, 1, 12)
    )
    return list(birth.newborns.order_by("birth_order"))


@pytest.fixture
def certified(clerk):
    """A boy registered by his birth medical certificate number."""
    birth = factories.register(
        clerk,
        route="birth_certificate",
        mother=ParentInput("韦丽", factories.id_number(order="112"), "13877112345"),
        babies=[BabyInput(Sex.MALE, BORN, birth_certificate_number=CERTIFICATE)],
        today=date(2026, 1, 12),
    )
    return birth.newborns.get()


def csv_bytes(rows, *, header=HEADER, encoding="utf-8", bom=False, delimiter=",") -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(str(cell) for cell in row) for row in rows)]
    text = "\r\n".join(lines) + "\r\n"
    content = text.encode(encoding)
    return codecs.BOM_UTF8 + content if bom else content


def xlsx_bytes(rows, *, header=HEADER, title=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(
    newborn=None, *, temp_id=None, certificate="", personal="", paid_on="2026-02-10", years="2026", receipt=""
):
    if temp_id is None:
        temp_id = (newborn.temp_id or "") if newborn is not None else ""
    return [temp_id, certificate, personal, paid_on, years, receipt]


def plan_of(content: bytes, user, today=TODAY):
    return payment_import_plan(user=user, rows=payment_rows_read(content), today=today)


def messages_of(plan) -> list[str]:
    return [message for planned in plan.rows for message in planned.messages]


# --- reading the file ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"encoding": "utf-8"},
        {"encoding": "utf-8", "bom": True},
        {"encoding": "gbk"},
        {"encoding": "gb18030"},
        {"encoding": "utf-16", "delimiter": "\t"},  # Excel's "Unicode 文本"
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16-tab"],
)
def test_it_reads_a_csv_in_every_encoding_a_chinese_spreadsheet_saves(kwargs):
    header = [*HEADER, "姓名"]
    content = csv_bytes(
        [["450103199003070025X", "", "", "2026/2/10", "2025、2026", "R1", "张三之女"]],
        header=header,
        **kwargs,
    )

    (parsed,) = payment_rows_read(content)

    assert parsed.number == 2
    assert parsed.cells["temp_id"] == "450103199003070025X"
    assert parsed.cells["name"] == "张三之女"
    assert parsed.cells["years"] == "2025、2026"


def test_it_reads_an_xlsx_with_date_and_number_cells_below_a_title_row():
    content = xlsx_bytes(
        [["", "", 4500000017, datetime(2026, 2, 10, 9, 30), 2026, 88001]], title="2026年2月缴费名单"
    )

    (parsed,) = payment_rows_read(content)

    assert parsed.number == 3  # the spreadsheet's own row number, title and header above it
    assert payment_files.cell_text(parsed.cells["personal_number"]) == "4500000017"
    assert payment_files.cell_date(parsed.cells["paid_on"]) == date(2026, 2, 10)
    assert payment_files.cell_years(parsed.cells["years"]) == [2026]
    assert payment_files.cell_text(parsed.cells["receipt_number"]) == "88001"


def test_it_ignores_other_columns_and_accepts_the_usual_header_variants():
    header = ["序号", " 新生儿编码 ", "缴费日期", "缴费年份", "金额", "备注"]
    content = csv_bytes([["1", "450103199003070025X", "2026-02-10", "2026", "380.00", "x"]], header=header)

    (parsed,) = payment_rows_read(content)

    assert set(parsed.cells) == {"temp_id", "paid_on", "years", "amount"}


def test_it_skips_blank_rows_and_stops_after_a_long_run_of_them():
    blank = ["", "", "", "", "", ""]
    rows = [row(temp_id="450103199003070025X"), blank, row(temp_id="450103199003070025x")]
    rows += [blank] * (payment_files.MAX_EMPTY_RUN + 1) + [row(temp_id="450103199003070025A")]

    parsed = payment_rows_read(xlsx_bytes(rows))

    assert [r.number for r in parsed] == [2, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "上传的文件是空的"),
        (csv_bytes([]), "没有缴费记录"),
        (csv_bytes([], header=["新生儿编码", "到账日期"]), "表头缺少「缴费年度」列"),
        (
            csv_bytes([], header=["姓名", "到账日期", "缴费年度"]),
            "至少有「新生儿编码」「出生医学证明编号」「个人编号」中的一列",
        ),
        (
            csv_bytes([], header=["新生儿编码", "到账日期", "缴费日期", "缴费年度"]),
            "「到账日期」列出现了两次",
        ),
        ("姓名,电话\n张三,138\n".encode(), "没有找到表头"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "不是表格文件"),
        (b"%PDF-1.7\n%%EOF", "不是表格文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "旧版 Excel（.xls）"),
        (bytes(range(256)) * 4, "不是表格文件"),
        ("新生儿编码,到账日期,缴费年度\n\x00\x01\x02".encode(), "不是表格文件"),
        ("新生儿编码,".encode() + b"\x80\xff\n", "无法识别文件的文字编码"),
    ],
    ids=[
        "empty",
        "header-only",
        "missing-years",
        "no-identity",
        "duplicate-column",
        "no-header",
        "png",
        "pdf",
        "xls",
        "binary",
        "control-characters",
        "unknown-encoding",
    ],
)
def test_it_refuses_a_file_it_cannot_use_with_a_chinese_reason(content, message):
    with pytest.raises(ValidationError) as excinfo:
        payment_rows_read(content)

    assert message in " ".join(excinfo.value.messages)


def test_it_refuses_a_truncated_or_damaged_xlsx():
    content = xlsx_bytes([row(temp_id="450103199003070025X")] * 50)
    damaged = bytearray(content)
    damaged[len(content) // 2 : len(content) // 2 + 200] = bytes(200)

    for broken in (content[: len(content) // 2], content[:40], bytes(damaged)):
        with pytest.raises(ValidationError, match="XLSX 文件已损坏或不完整"):
            payment_rows_read(broken)


def test_it_refuses_a_zip_that_is_not_a_workbook_and_a_zip_bomb(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(ValidationError, match="不是 XLSX 表格"):
        payment_rows_read(buffer.getvalue())

    monkeypatch.setattr(payment_files, "XLSX_MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ValidationError, match="内容过大"):
        payment_rows_read(xlsx_bytes([row(temp_id="450103199003070025X")]))


def test_it_refuses_a_huge_file_and_too_many_rows(monkeypatch):
    with pytest.raises(ValidationError, match="MB"):
        payment_rows_read(b"a" * (payment_files.IMPORT_MAX_BYTES + 1))

    monkeypatch.setattr(payment_files, "IMPORT_MAX_ROWS", 3)
    with pytest.raises(ValidationError, match="最多导入3行"):
        payment_rows_read(csv_bytes([row(temp_id="450103199003070025X")] * 4))
    with pytest.raises(ValidationError, match="最多导入3行"):
        payment_rows_read(xlsx_bytes([row(temp_id="450103199003070025X")] * 20))


def test_it_refuses_a_csv_with_a_broken_quote_as_a_list_error_not_a_crash():
    content = b'a,"b\n' + csv_bytes([row(temp_id="450103199003070025X")])
    content = content.replace(b"\r\n", b"\n") + b'"' + b"x" * 200_000

    with pytest.raises(ValidationError):
        payment_rows_read(content)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-10", date(2026, 2, 10)),
        ("2026/2/10", date(2026, 2, 10)),
        ("2026.02.10", date(2026, 2, 10)),
        ("2026年2月10日", date(2026, 2, 10)),
        ("20260210", date(2026, 2, 10)),
        ("2026-02-10 15:04:05", date(2026, 2, 10)),
        ("２０２６－０２－１０", date(2026, 2, 10)),  # full-width, as a Chinese input method types
        (46063, date(2026, 2, 10)),  # a date cell left as Excel's serial number
        (datetime(2026, 2, 10, 8, 0), date(2026, 2, 10)),
    ],
)
def test_it_reads_the_dates_clerks_write(value, expected):
    assert payment_files.cell_date(value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "10/02/2026", "明天", "2026", "", None, 12])
def test_it_refuses_a_bad_date(value):
    with pytest.raises(ValueError, match="无法识别的日期"):
        payment_files.cell_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026", [2026]),
        (2026, [2026]),
        (2026.0, [2026]),
        ("2025、2026", [2025, 2026]),
        ("2026,2025", [2025, 2026]),
        ("2025年，2026年", [2025, 2026]),
        ("2025年度 2026年度", [2025, 2026]),
    ],
)
def test_it_reads_the_years(value, expected):
    assert payment_files.cell_years(value) == expected


@pytest.mark.parametrize("value", ["", "26", "2025-2026", "二〇二六", "2026.5"])
def test_it_refuses_bad_years(value):
    with pytest.raises(ValueError, match="缴费年度"):
        payment_files.cell_years(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("380", Decimal("380.00")), ("1,200.50元", Decimal("1200.50")), (380.5, Decimal("380.50")), ("", None)],
)
def test_it_reads_amounts(value, expected):
    assert payment_files.cell_amount(value) == expected


@pytest.mark.parametrize("value", ["-1", "0", "1.234", "abc", "NaN", "1e9"])
def test_it_refuses_bad_amounts(value):
    with pytest.raises(ValueError, match="金额"):
        payment_files.cell_amount(value)


# --- matching rows: the plan --------------------------------------------------------------------------


def test_it_matches_rows_by_temporary_id_certificate_and_personal_number(admin, twins, certified):
    content = csv_bytes(
        [
            row(twins[0], years="2026"),
            row(temp_id="", certificate=CERTIFICATE.lower()),
            row(temp_id="", personal=twins[1].personal_number, years="2026"),
        ]
    )

    plan = plan_of(content, admin)

    assert [r.outcome for r in plan.rows] == [Outcome.RECORD] * 3
    assert [r.newborn for r in plan.rows] == [twins[0], certified, twins[1]]
    assert plan.rows[0].benefit.startswith("2026年1月10日起")
    assert plan.counts == {Outcome.RECORD: 3, Outcome.RECORDED: 0, Outcome.ERROR: 0}
    assert twins[0].temp_id not in plan.rows[0].identity  # masked in the preview


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_receipt_number_with_hidden_characters_is_a_row_error(admin, twins, make):
    content = make([row(twins[0], receipt="GX\u202e2026"), row(twins[1], receipt="GX\ue0001")])

    plan = plan_of(content, admin)

    assert [r.outcome for r in plan.rows] == [Outcome.ERROR] * 2
    messages = messages_of(plan)
    assert "第2行「缴费凭证号」：不能包含控制字符或不可见字符（U+202E），请删除后重新输入。" in messages
    assert "第3行「缴费凭证号」：不能包含控制字符或不可见字符（U+E000），请删除后重新输入。" in messages


def test_it_tells_the_twins_apart_by_the_case_of_their_letter(admin, twins):
    girl_x, girl_small_x = twins
    assert girl_x.temp_id.endswith("X") and girl_small_x.temp_id.endswith("x")
    unknown = girl_x.temp_id[:-1] + "A"

    plan = plan_of(csv_bytes([row(temp_id=girl_small_x.temp_id), row(temp_id=unknown)]), admin)

    assert plan.rows[0].newborn == girl_small_x
    assert plan.rows[1].outcome == Outcome.ERROR
    assert plan.rows[1].messages == ("第3行「新生儿编码」：没有找到该号码的登记记录（编码区分大小写）。",)


def test_it_names_the_row_and_column_of_each_error(admin, twins):
    content = csv_bytes(
        [
            row(twins[0], paid_on="2026-02-30"),
            row(twins[0], years="明年"),
            row(temp_id="12345"),
            row(temp_id="", personal="4500000000"),
            row(temp_id=""),
            row(twins[0], paid_on="2026-03-02"),  # after TODAY
            row(twins[0], paid_on="2026-01-01"),  # before the birth
            row(twins[0], years="2024"),
        ]
    )

    plan = plan_of(content, admin)

    assert [r.outcome for r in plan.rows] == [Outcome.ERROR] * 8
    expected = [
        "第2行「到账日期」：无法识别的日期「2026-02-30」",
        "第3行「缴费年度」：无法识别的缴费年度「明年」",
        "第4行「新生儿编码」：新生儿编码应为父母身份证号码加1个字母",
        "第5行「个人编号」：",
        "第6行：新生儿编码、出生医学证明编号、个人编号至少要填一项",
        "第7行「到账日期」：到账日期不能晚于今天",
        "第8行「到账日期」：到账日期不能早于出生日期",
        "第9行「缴费年度」：缴费年度须在2026年至2027年之间",
    ]
    for planned, start in zip(plan.rows, expected, strict=True):
        assert planned.messages[0].startswith(start), planned.messages


def test_it_marks_duplicate_rows_and_conflicting_receipts_within_the_file(admin, twins):
    content = csv_bytes(
        [
            row(twins[0], receipt="R1"),
            row(twins[0], receipt="R1"),
            row(twins[0], receipt="R1", paid_on="2026-02-11"),
            row(twins[1]),
            row(temp_id="", personal=twins[1].personal_number),  # the same payment, by another number
        ]
    )

    plan = plan_of(content, admin)

    assert [r.outcome for r in plan.rows] == ["record", "error", "error", "record", "error"]
    assert plan.rows[1].messages == ("第3行与第2行是同一笔缴费（重复行），不重复导入。",)
    assert "与第2行相同，但到账日期或缴费年度不同" in plan.rows[2].messages[0]
    assert "与第5行是同一笔缴费" in plan.rows[4].messages[0]


def test_it_skips_payments_already_recorded_and_flags_a_receipt_used_for_other_money(admin, clerk, twins):
    payment_record(newborn=twins[0], user=clerk, paid_on=date(2026, 2, 10), years={2026}, today=TODAY)
    payment_record(
        newborn=twins[1],
        user=clerk,
        paid_on=date(2026, 2, 10),
        years={2026},
        receipt_number="R9",
        today=TODAY,
    )
    content = csv_bytes([row(twins[0], receipt="R1"), row(twins[1], receipt="R9", years="2026、2027")])

    plan = plan_of(content, admin)

    assert plan.rows[0].outcome == Outcome.RECORDED  # recorded by hand without its receipt number
    assert plan.rows[1].outcome == Outcome.ERROR
    assert "缴费凭证号「R9」已用于另一笔缴费" in plan.rows[1].messages[0]


def test_it_checks_the_name_and_that_all_numbers_name_one_baby(admin, twins):
    header = [*HEADER, "姓名"]
    content = csv_bytes(
        [
            [*row(twins[0]), "张三之子"],
            [*row(twins[0], personal=twins[1].personal_number), ""],
            [*row(twins[1]), "张三之女"],
        ],
        header=header,
    )

    plan = plan_of(content, admin)

    assert "第2行「姓名」：与登记的姓名「张三之女」不一致。" in plan.rows[0].messages
    assert "不是同一名新生儿" in plan.rows[1].messages[0]
    assert plan.rows[2].outcome == Outcome.RECORD


def test_a_record_voided_by_hand_takes_no_payment_but_one_voided_for_want_of_payment_does(
    admin, clerk, twins
):
    newborn_void(newborn=twins[0], user=clerk, reason="重复登记")
    newborn_void_expired(today=date(2026, 4, 10))  # the day after the last day: voids the other twin
    late = date(2026, 4, 20)

    plan = plan_of(
        csv_bytes([row(twins[0], paid_on="2026-04-09"), row(twins[1], paid_on="2026-04-09")]), admin, late
    )

    assert plan.rows[0].outcome == Outcome.ERROR and "手工作废" in plan.rows[0].messages[0]
    assert plan.rows[1].outcome == Outcome.RECORD and plan.rows[1].reinstates  # arrived on the last day


# --- applying it --------------------------------------------------------------------------------------


def stored(user, content, name="缴费名单.csv"):
    return kept_payment_list_store(user=user, original_name=name, content=content)


def apply(user, upload, *, today=TODAY, digest=None):
    if digest is None:
        digest = plan_of(kept_upload_read(upload), user, today).digest
    return payment_import_apply(user=user, upload=upload, digest=digest, today=today, ip="10.0.0.9")


def test_it_applies_the_new_rows_in_one_transaction_and_audits_the_import(admin, twins, certified):
    content = csv_bytes(
        [row(twins[0], receipt="R1"), row(temp_id="", certificate=CERTIFICATE), row(temp_id="x")]
    )
    upload = stored(admin, content)

    result = apply(admin, upload)

    assert len(result.payments) == 2
    assert {p.newborn for p in Payment.objects.filter(source=Payment.Source.IMPORT)} == {twins[0], certified}
    twins[0].refresh_from_db()
    assert (twins[0].state, twins[0].benefit_start) == (Newborn.State.PAID, BORN)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert (entry.user, entry.ip, entry.detail["file"], entry.detail["rows"]) == (
        admin,
        "10.0.0.9",
        "缴费名单.csv",
        3,
    )
    assert (entry.detail["record"], entry.detail["error"], entry.detail["sha256"]) == (2, 1, upload.sha256)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PAYMENT, detail__source="import").count() == 2


@pytest.mark.parametrize(
    ("paid_on", "state", "reinstated"),
    [
        ("2026-04-08", Newborn.State.PAID, True),  # the day before the last day: only the list came late
        ("2026-04-09", Newborn.State.PAID, True),  # the last day itself
        ("2026-04-10", Newborn.State.VOID, False),  # the day after: kept, the family enrolls at the agency
    ],
)
def test_a_list_imported_after_the_void_job_reinstates_only_money_that_arrived_by_the_last_day(
    admin, twins, paid_on, state, reinstated
):
    # docs/rules.md, A payment after the void.
    newborn_void_expired(today=date(2026, 4, 10))
    content = csv_bytes([row(twins[0], paid_on=paid_on)])
    late = date(2026, 4, 20)

    plan = plan_of(content, admin, late)
    result = apply(admin, stored(admin, content), today=late)

    assert plan.rows[0].outcome == Outcome.RECORD and plan.rows[0].reinstates is reinstated
    if not reinstated:
        assert (
            "不能恢复为已缴费" in plan.rows[0].messages[0] and "办理正式参保登记" in plan.rows[0].messages[0]
        )
        assert "预计自2026年7月10日起享受待遇" in plan.rows[0].messages[0] and plan.rows[0].benefit == ""
    assert len(result.payments) == 1
    twins[0].refresh_from_db()
    assert twins[0].state == state and twins[0].payments.count() == 1


def test_a_late_row_for_an_unpaid_record_the_job_has_not_reached_says_the_record_will_be_void(admin, twins):
    content = csv_bytes([row(twins[0], paid_on="2026-04-10")])
    plan = plan_of(content, admin, date(2026, 4, 10))

    assert plan.rows[0].outcome == Outcome.RECORD and not plan.rows[0].reinstates
    assert "录入后该记录按规定作废" in plan.rows[0].messages[0]
    apply(admin, stored(admin, content), today=date(2026, 4, 10))
    twins[0].refresh_from_db()
    assert (twins[0].state, twins[0].voided_automatically) == (Newborn.State.VOID, True)


def test_importing_the_same_file_twice_changes_nothing(admin, twins, certified):
    content = xlsx_bytes(
        [row(twins[0], receipt="R1"), row(twins[1]), row(temp_id="", certificate=CERTIFICATE)]
    )
    apply(admin, stored(admin, content))
    before = list(Payment.objects.order_by("pk").values())
    states = list(Newborn.objects.order_by("pk").values_list("state", "benefit_start", "state_changed_at"))

    again = apply(admin, stored(admin, content, "again.xlsx"))

    assert again.payments == []
    assert again.plan.counts == {Outcome.RECORD: 0, Outcome.RECORDED: 3, Outcome.ERROR: 0}
    assert list(Payment.objects.order_by("pk").values()) == before
    assert (
        list(Newborn.objects.order_by("pk").values_list("state", "benefit_start", "state_changed_at"))
        == states
    )


def test_it_applies_nothing_when_the_records_changed_since_the_preview(admin, clerk, twins):
    upload = stored(admin, csv_bytes([row(twins[0]), row(twins[1])]))
    digest = plan_of(kept_upload_read(upload), admin).digest
    payment_record(newborn=twins[1], user=clerk, paid_on=date(2026, 2, 10), years={2026}, today=TODAY)

    with pytest.raises(PlanChanged) as excinfo:
        apply(admin, upload, digest=digest)

    assert [r.outcome for r in excinfo.value.plan.rows] == [Outcome.RECORD, Outcome.RECORDED]
    assert Payment.objects.count() == 1
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).exists()


def test_it_applies_all_rows_or_none(admin, twins, monkeypatch):
    upload = stored(admin, csv_bytes([row(twins[0]), row(twins[1])]))
    calls = []
    real = payments.payment_record

    def failing_second(**kwargs):
        calls.append(kwargs["newborn"])
        if len(calls) == 2:
            raise ValidationError({"paid_on": ["模拟的并发冲突"]})
        return real(**kwargs)

    monkeypatch.setattr(payments, "payment_record", failing_second)

    with pytest.raises(ValidationError, match="第3行无法录入.*整个文件未导入"):
        apply(admin, upload)

    assert len(calls) == 2
    assert not Payment.objects.exists()
    assert set(Newborn.objects.values_list("state", flat=True)) == {Newborn.State.REGISTERED}


def test_the_database_refuses_the_same_payment_without_a_receipt_twice(clerk, twins):
    payment_record(newborn=twins[0], user=clerk, paid_on=date(2026, 2, 10), years={2026, 2027}, today=TODAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            newborn=twins[0], paid_on=date(2026, 2, 10), years=[2026, 2027], recorded_by=clerk
        )
    Payment.objects.create(  # another receipt number is another payment
        newborn=twins[0],
        paid_on=date(2026, 2, 10),
        years=[2026, 2027],
        receipt_number="R2",
        recorded_by=clerk,
    )


# --- the pages ----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def upload_file(client, content, name="缴费名单.csv"):
    return client.post("/payments/import/", {"file": SimpleUploadedFile(name, content)})


def preview_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_it_uploads_previews_and_applies_a_list(admin_client, admin, twins):
    content = csv_bytes(
        [row(twins[0], receipt="R1"), row(temp_id=twins[1].temp_id[:-1] + "B")], encoding="gbk"
    )

    url = preview_url(upload_file(admin_client, content))
    preview = admin_client.get(url)
    html = preview.content.decode()

    assert preview.status_code == 200
    assert "将录入 1" in html and "有错误，不导入 1" in html and "没有找到该号码的登记记录" in html
    assert "确认导入 1 笔缴费" in html and twins[0].temp_id not in html
    assert 'name="digest"' in html and "R1" in html

    done = admin_client.post(url, {"digest": preview.context["plan"].digest}, REMOTE_ADDR="10.2.3.4")

    assert done.status_code == 302 and done["Location"] == "/payments/import/"
    assert any("新录入 1 笔缴费" in str(m) for m in get_messages(done.wsgi_request))
    assert Payment.objects.get().receipt_number == "R1"
    assert AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).ip == "10.2.3.4"
    assert admin_client.get(url).status_code == 302  # the kept file is gone once applied


def test_uploading_the_same_list_again_offers_nothing_to_record(admin_client, twins):
    content = xlsx_bytes([row(twins[0]), row(twins[1])])
    first = preview_url(upload_file(admin_client, content, "名单.xlsx"))
    admin_client.post(first, {"digest": admin_client.get(first).context["plan"].digest})

    second = preview_url(upload_file(admin_client, content, "名单.xlsx"))
    page = admin_client.get(second)
    forced = admin_client.post(second, {"digest": page.context["plan"].digest})

    assert "已录入，跳过 2" in page.content.decode() and "没有需要录入的缴费" in page.content.decode()
    assert forced.status_code == 302
    assert Payment.objects.count() == 2


def test_it_does_not_trust_the_confirming_form(admin_client, twins):
    url = preview_url(upload_file(admin_client, csv_bytes([row(twins[0])])))

    forged = admin_client.post(url, {"digest": "0" * 64, "paid_on": "2026-01-01", "newborn": twins[1].pk})

    assert forged.status_code == 409
    assert "发生了变化" in forged.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "上传的文件是空的"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "scan.png", "不是表格文件"),
        (xlsx_bytes([["x"] * 6])[:300], "cut.xlsx", "XLSX 文件已损坏或不完整"),
        (csv_bytes([], header=["新生儿编码", "缴费年度"]), "list.csv", "表头缺少「到账日期」列"),
    ],
)
def test_it_refuses_a_bad_upload_on_the_upload_page(admin_client, content, name, message):
    response = upload_file(admin_client, content, name)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_it_asks_for_a_file(admin_client):
    response = admin_client.post("/payments/import/", {})

    assert response.status_code == 400 and "请选择要导入的缴费名单文件" in response.content.decode()


def test_another_administrators_upload_is_not_found(client, admin, twins):
    upload = stored(admin, csv_bytes([row(twins[0])]))
    other = factories.user_make("admin2", is_staff=True)
    client.force_login(other)

    for token in (upload.token, "0" * 32, "not-a-token"):
        response = client.post(f"/payments/import/{token}/", {"digest": "x"})
        assert response.status_code == 302 and response["Location"] == "/payments/import/"
        assert "上传的文件已失效或不存在" in str(list(get_messages(response.wsgi_request))[0])
    assert client.get("/payments/import/../../etc/passwd/").status_code == 404
    assert kept_payment_list_get(user=admin, token=upload.token) is not None
    assert not Payment.objects.exists()


@pytest.mark.parametrize("role", [Operator.Role.CLERK, Operator.Role.SUPERVISOR])
def test_it_refuses_hospital_staff_with_403_on_every_import_page(client, clerk, admin, twins, role):
    Operator.objects.filter(user=clerk).update(role=role)
    upload = stored(admin, csv_bytes([row(twins[0])]))
    client.force_login(clerk)

    for response in (
        client.get("/payments/import/"),
        upload_file(client, csv_bytes([row(twins[0])])),
        client.get(f"/payments/import/{upload.token}/"),
        client.post(f"/payments/import/{upload.token}/", {"digest": "x"}),
        client.get("/payments/import/template.xlsx"),
    ):
        assert response.status_code == 403
        assert "只有医保中心管理员" in response.content.decode()
    assert not Payment.objects.exists()


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    assert client.get("/payments/import/")["Location"].startswith("/login/")


def test_the_templates_download_with_the_expected_headers(admin_client, twins):
    xlsx = admin_client.get("/payments/import/template.xlsx")
    csv = admin_client.get("/payments/import/template.csv")
    missing = admin_client.get("/payments/import/template.pdf")

    workbook = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert [cell for cell in next(workbook.worksheets[0].iter_rows(values_only=True))] == TEMPLATE_HEADERS
    assert "区分大小写" in str(next(workbook.worksheets[1].iter_rows(values_only=True))[0])
    assert "attachment" in xlsx["Content-Disposition"]
    assert csv.content.startswith(codecs.BOM_UTF8)
    assert csv.content.decode("utf-8-sig").splitlines()[0].split(",") == TEMPLATE_HEADERS
    assert missing.status_code == 404
    # A filled template reads back.
    filled = csv.content + ",".join([twins[0].temp_id, "", "", "", "2026-02-10", "2026", "", ""]).encode()
    assert payment_rows_read(filled)[0].cells["temp_id"] == twins[0].temp_id


@pytest.mark.parametrize("count", [1, 30])
def test_the_preview_takes_a_bounded_number_of_queries(
    admin_client, clerk, count, django_assert_max_num_queries
):
    newborns = [
        factories.register(
            clerk,
            mother=ParentInput(factories.person_name("母亲", i), factories.id_number(order=f"{i:02d}2"), ""),
            babies=[BabyInput(Sex.FEMALE, BORN)],
            today=date(2026, 1, 12),
        ).newborns.get()
        for i in range(count)
    ]
    url = preview_url(upload_file(admin_client, csv_bytes([row(newborn) for newborn in newborns])))

    # Session read and save, user, operator check, the kept list's row, the records with birth and
    # hospital, their payments.
    with django_assert_max_num_queries(9):
        response = admin_client.get(url)

    assert response.context["counts"][Outcome.RECORD] == count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_payment_by_hand", [False, True])
def test_a_double_confirmation_records_each_payment_once(with_payment_by_hand):
    assert connection.vendor == "postgresql"
    factories.division_chain()
    factories.agency_make()
    clerk = factories.operator_make().user
    admin = factories.user_make("admin", is_staff=True)
    newborns = [
        factories.register(
            clerk,
            mother=ParentInput(factories.person_name("母亲", i), factories.id_number(order=f"{i:02d}2"), ""),
            babies=[BabyInput(Sex.FEMALE, BORN)],
            today=date(2026, 1, 12),
        ).newborns.get()
        for i in range(10)
    ]
    upload = stored(admin, csv_bytes([row(newborn) for newborn in newborns]))
    digest = plan_of(kept_upload_read(upload), admin).digest
    barrier = threading.Barrier(3 if with_payment_by_hand else 2)
    outcomes = []

    def confirm():
        try:
            barrier.wait()
            outcomes.append(len(apply(admin, upload, digest=digest).payments))
        except (ValidationError, PlanChanged) as refused:  # the other confirmation, or the clerk, won
            outcomes.append(type(refused).__name__)
        finally:
            connection.close()

    def by_hand():
        try:
            barrier.wait()
            payment_record(
                newborn=newborns[-1], user=clerk, paid_on=date(2026, 2, 10), years={2026}, today=TODAY
            )
            outcomes.append("by hand")
        except ValidationError:
            outcomes.append("by hand refused")
        finally:
            connection.close()

    targets = (confirm, confirm, by_hand) if with_payment_by_hand else (confirm, confirm)
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == len(targets)
    imported = [outcome for outcome in outcomes if isinstance(outcome, int)]
    paid = sorted(Payment.objects.values_list("newborn_id", flat=True))
    assert len(paid) == len(set(paid))  # never two payments for one baby
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == len(imported) <= 1
    if imported:  # all or nothing
        assert imported == [10] and paid == sorted(newborn.pk for newborn in newborns)
    else:
        assert paid == [newborns[-1].pk] and "by hand" in outcomes
    if not with_payment_by_hand:
        assert imported == [10]  # one of the two confirmations goes through


# --- rows refused by the same rules as a payment entered by hand ----------------------------------------


def test_a_row_paid_before_the_registration_date_is_refused(admin, twins):
    # Registered 2026-01-12: the temporary ID did not exist on 2026-01-11.
    plan = plan_of(
        csv_bytes([row(twins[0], paid_on="2026-01-11"), row(twins[1], paid_on="2026-01-12")]), admin
    )

    assert [r.outcome for r in plan.rows] == [Outcome.ERROR, Outcome.RECORD]
    [message] = plan.rows[0].messages
    assert message.startswith("第2行「到账日期」：到账日期早于预参保登记日期（2026年1月12日）")


def test_a_receipt_number_on_two_babies_rows_refuses_both_rows(admin, twins, certified):
    content = csv_bytes(
        [
            row(twins[0], receipt="GX-9"),
            row(twins[1], receipt="GX-9"),
            row(temp_id="", certificate=CERTIFICATE, receipt="GX-10"),
        ]
    )

    plan = plan_of(content, admin)

    assert [r.outcome for r in plan.rows] == [Outcome.ERROR, Outcome.ERROR, Outcome.RECORD]
    assert plan.rows[0].messages == ("第2行「缴费凭证号」：与第3行相同，但对应的是另一名新生儿。",)
    assert plan.rows[1].messages == ("第3行「缴费凭证号」：与第2行相同，但对应的是另一名新生儿。",)


def test_a_receipt_number_already_recorded_for_another_baby_refuses_the_row(admin, clerk, twins):
    payment_record(
        newborn=twins[1],
        user=clerk,
        paid_on=date(2026, 2, 10),
        years={2026},
        receipt_number="GX-7",
        today=TODAY,
    )

    plan = plan_of(csv_bytes([row(twins[0], receipt="GX-7")]), admin)

    assert plan.rows[0].outcome == Outcome.ERROR
    assert plan.rows[0].messages == (
        "第2行「缴费凭证号」：缴费凭证号「GX-7」已用于另一名新生儿的缴费，一张缴费凭证只对应一名新生儿，请核对。",
    )


def test_the_same_receipt_for_the_same_baby_on_its_recorded_payment_is_skipped_not_refused(
    admin, clerk, twins
):
    payment_record(
        newborn=twins[0],
        user=clerk,
        paid_on=date(2026, 2, 10),
        years={2026},
        receipt_number="GX-8",
        today=TODAY,
    )

    plan = plan_of(csv_bytes([row(twins[0], receipt="GX-8")]), admin)

    assert plan.rows[0].outcome == Outcome.RECORDED


def test_the_preview_shows_a_personal_number_in_full_and_id_numbers_masked(admin_client, twins, certified):
    content = csv_bytes(
        [
            row(temp_id="", personal=twins[0].personal_number),
            row(twins[1]),
            row(temp_id="", certificate=CERTIFICATE),
        ]
    )

    html = admin_client.get(preview_url(upload_file(admin_client, content))).content.decode()

    assert twins[0].personal_number in html  # not sensitive: the records list shows it too
    assert twins[1].temp_id not in html and twins[1].temp_id[:6] + "*****" in html
    assert CERTIFICATE not in html


# --- XLSX formula cells ------------------------------------------------------------------------------------


def xlsx_with_formulas(rows, *, cached: dict[str, str] | None = None) -> bytes:
    """An XLSX whose cells may hold formulas; `cached` writes a computed result into the named cells, as Excel
    and WPS do when they save (openpyxl itself saves formulas without results)."""
    content = xlsx_bytes(rows)
    if not cached:
        return content
    source = zipfile.ZipFile(io.BytesIO(content))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    for reference, value in cached.items():
        start = sheet.index(f'<c r="{reference}"')
        end = sheet.index("</c>", start)
        cell = sheet[start:end]
        formula = cell[cell.index("<f>") : cell.index("</f>") + 4]
        cell_type = ' t="str"' if not value.replace(".", "").isdigit() else ""
        sheet = sheet[:start] + f'<c r="{reference}"{cell_type}>{formula}<v>{value}</v>' + sheet[end:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = (
                sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            )
            target.writestr(item, data)
    return buffer.getvalue()


def test_a_formula_cell_is_read_as_its_saved_result(admin, twins):
    content = xlsx_with_formulas(
        [row(twins[0], years="=2025+1", receipt='=CONCATENATE("GX","-1")')],
        cached={"E2": "2026", "F2": "GX-1"},
    )

    [planned] = plan_of(content, admin).rows

    assert planned.outcome == Outcome.RECORD
    assert (planned.years, planned.receipt_number) == ((2026,), "GX-1")


def test_a_formula_cell_without_a_saved_result_is_refused_not_read_as_empty(admin, twins):
    content = xlsx_with_formulas(
        [row(twins[0], paid_on="=DATE(2026,2,10)", receipt='=CONCATENATE("GX","-1")')]
    )

    [planned] = plan_of(content, admin).rows

    assert planned.outcome == Outcome.ERROR
    assert planned.messages[0].startswith(
        "第2行「到账日期」：该单元格是公式（=DATE(2026,2,10)），文件中没有保存计算结果"
    )
    assert planned.messages[1].startswith("第2行「缴费凭证号」：该单元格是公式")
    assert not any("不能为空" in message for message in planned.messages)


def test_an_identity_formula_without_a_saved_result_is_refused_by_its_column(admin, twins):
    content = xlsx_with_formulas([row(temp_id="=A1", personal=twins[0].personal_number)])

    [planned] = plan_of(content, admin).rows

    assert planned.outcome == Outcome.ERROR
    assert planned.messages[0].startswith("第2行「新生儿编码」：该单元格是公式（=A1）")
    assert not any("至少要填一项" in message for message in planned.messages)
