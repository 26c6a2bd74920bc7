"""services/payments.py: matching a payment list's rows to records (the plan) and applying it once."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from registration.models import AuditEntry, Newborn, Payment, Sex
from registration.services import payments
from registration.services.kept_uploads import kept_upload_read
from registration.services.lifecycle import newborn_void, newborn_void_expired, payment_record
from registration.services.newborns import BabyInput, ParentInput
from registration.services.payments import Outcome, PlanChanged, payment_import_apply
from tests import factories
from tests.registration.services.conftest import (
    BORN,
    CERTIFICATE,
    HEADER,
    TODAY,
    csv_bytes,
    plan_of,
    row,
    stored,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def messages_of(plan) -> list[str]:
    return [message for planned in plan.rows for message in planned.messages]


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
