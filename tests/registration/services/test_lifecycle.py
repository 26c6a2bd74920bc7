"""Payments, formal enrollment and void: the guide's benefit rules on real records, and every refusal."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from registration.models import AuditEntry, IssuedTemporaryId, Newborn
from registration.services import Sex
from registration.services.lifecycle import (
    newborn_formalize,
    newborn_special_group_set,
    newborn_void,
    newborn_void_expired,
    payment_record,
)
from registration.services.newborns import BabyInput
from tests import factories
from tests.factories import register

pytestmark = pytest.mark.django_db

BORN = date(2025, 12, 5)  # the 2026 guide's example 2: last day 2026-03-04


@pytest.fixture
def newborn(clerk):
    return register(clerk, babies=[BabyInput(Sex.FEMALE, BORN)], today=date(2025, 12, 8)).newborns.get()


def pay(newborn, user, paid_on, years, **kwargs):
    return payment_record(
        newborn=newborn, user=user, paid_on=paid_on, years=years, today=date(2026, 6, 30), **kwargs
    )


def test_paying_both_years_in_the_window_starts_benefits_at_birth(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2025, 2026})
    newborn.refresh_from_db()
    assert (newborn.state, newborn.benefit_start) == (Newborn.State.PAID, BORN)
    assert "补缴出生当年" in newborn.benefit_rule


def test_paying_only_the_payment_year_starts_benefits_on_new_years_day(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    newborn.refresh_from_db()
    assert newborn.benefit_start == date(2026, 1, 1)


def test_a_later_payment_for_the_birth_year_within_the_window_moves_the_start_to_birth(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    pay(newborn, clerk, date(2026, 2, 20), {2025})
    newborn.refresh_from_db()
    assert newborn.benefit_start == BORN


def test_money_that_arrived_after_the_last_day_voids_an_unpaid_record_the_job_has_not_reached(newborn, clerk):
    # docs/rules.md, A payment after the void: the record is void whether or not the daily job ran first.
    payment = pay(newborn, clerk, date(2026, 3, 5), {2026})
    newborn.refresh_from_db()
    assert (newborn.state, newborn.voided_automatically, newborn.benefit_start) == (
        Newborn.State.VOID,
        True,
        None,
    )
    assert "2026年3月4日" in newborn.void_reason
    assert list(newborn.payments.all()) == [payment]  # kept
    assert "正式参保登记" in newborn.benefit_rule and "预计自2026年6月5日起享受待遇" in newborn.benefit_rule
    void = AuditEntry.objects.get(action=AuditEntry.Action.VOID, newborn=newborn)
    assert void.detail == {"automatic": True, "late_payment": "2026-03-05"}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PAYMENT, newborn=newborn)
    assert entry.detail["kept_on_void"] is True and "保持作废" in entry.reason
    assert newborn_void_expired(today=date(2026, 3, 6)) == []  # nothing left for the job


def test_a_payment_is_audited(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026}, receipt_number="R1")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PAYMENT)
    assert entry.newborn == newborn and entry.detail["years"] == [2026]


@pytest.mark.parametrize(
    ("paid_on", "years", "field"),
    [
        (date(2026, 7, 1), {2026}, "paid_on"),  # after today
        (date(2025, 12, 1), {2025}, "paid_on"),  # before birth
        (date(2026, 2, 10), set(), "years"),
        (date(2026, 2, 10), {2024}, "years"),
        (date(2026, 2, 10), {2028}, "years"),
    ],
)
def test_impossible_payments_are_refused_by_field(newborn, clerk, paid_on, years, field):
    with pytest.raises(ValidationError) as excinfo:
        pay(newborn, clerk, paid_on, years)
    assert field in excinfo.value.message_dict
    assert not newborn.payments.exists()


def test_the_same_receipt_is_not_recorded_twice(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026}, receipt_number="R1")
    with pytest.raises(ValidationError, match="已经录入过"):
        pay(newborn, clerk, date(2026, 2, 10), {2026}, receipt_number="R1")
    assert newborn.payments.count() == 1


def test_the_void_job_voids_only_after_the_last_day_and_is_idempotent(newborn):
    assert newborn_void_expired(today=date(2026, 3, 4)) == []  # the last day itself
    assert [n.pk for n in newborn_void_expired(today=date(2026, 3, 5), dry_run=True)] == [newborn.pk]
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED  # a dry run changes nothing
    assert [n.pk for n in newborn_void_expired(today=date(2026, 3, 5))] == [newborn.pk]
    assert newborn_void_expired(today=date(2026, 3, 6)) == []
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.VOID and "2026年3月4日" in newborn.void_reason
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VOID, newborn=newborn).count() == 1
    assert IssuedTemporaryId.objects.filter(number=newborn.temp_id).exists()  # the number stays issued


def test_the_void_job_leaves_paid_records_alone(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    assert newborn_void_expired(today=date(2026, 4, 1)) == []


def test_a_void_record_takes_no_payment_and_keeps_its_letter(newborn, clerk):
    newborn_void(newborn=newborn, user=clerk, reason="重复登记")
    with pytest.raises(ValidationError, match="已作废"):
        pay(newborn, clerk, date(2026, 2, 10), {2026})
    again = register(clerk, babies=[BabyInput(Sex.FEMALE, BORN)], today=date(2025, 12, 9)).newborns.get()
    assert again.temp_id.endswith("x")


def test_voiding_by_hand_needs_a_reason(newborn, clerk):
    with pytest.raises(ValidationError, match="原因"):
        newborn_void(newborn=newborn, user=clerk, reason="  ")


def test_formal_enrollment_records_the_real_id_and_keeps_the_temporary_one(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    real_id = factories.id_number(born="20251205", order="004")
    newborn_formalize(
        newborn=newborn, user=clerk, real_name="张小花", real_id_number=real_id, today=date(2026, 3, 1)
    )
    newborn.refresh_from_db()
    assert (newborn.state, newborn.real_id_number, newborn.real_name) == (
        Newborn.State.FORMALIZED,
        real_id,
        "张小花",
    )
    assert newborn.temp_id.endswith("X")
    with pytest.raises(ValidationError, match="不能作废"):
        newborn_void(newborn=newborn, user=clerk, reason="x")


@pytest.mark.parametrize(
    ("real_id", "message"),
    [
        (factories.id_number(born="20251206", order="004"), "出生日期"),
        (factories.id_number(born="20251205", order="003"), "性别"),
        ("12345", "18位"),
    ],
)
def test_formal_enrollment_refuses_an_id_that_does_not_fit_the_baby(newborn, clerk, real_id, message):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    with pytest.raises(ValidationError, match=message):
        newborn_formalize(newborn=newborn, user=clerk, real_name="张小花", real_id_number=real_id)
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.PAID


def test_formal_enrollment_needs_a_payment_first(newborn, clerk):
    with pytest.raises(ValidationError, match="已缴费"):
        newborn_formalize(
            newborn=newborn,
            user=clerk,
            real_name="张小花",
            real_id_number=factories.id_number(born="20251205"),
        )


def test_the_void_job_boundary_on_the_month_end(clerk):
    # Born 2025-11-30: three-month date 2026-02-28, last day 2026-02-27 (docs/rules.md).
    born = date(2025, 11, 30)
    newborn = register(
        clerk, babies=[BabyInput(Sex.MALE, born)], parent_role="father", today=born + timedelta(1)
    )
    assert newborn_void_expired(today=date(2026, 2, 27)) == []
    assert len(newborn_void_expired(today=date(2026, 2, 28))) == 1
    assert newborn.newborns.get().state == Newborn.State.VOID


# --- the daily void job through its command, across the boundary day --------------------------------------


def run_void_expired(*args) -> str:
    out = StringIO()
    call_command("void_expired", *args, stdout=out)
    return out.getvalue()


def test_the_void_job_command_across_the_boundary_day_dry_run_then_for_real(newborn):
    # Born 2025-12-05: the last day is 2026-03-04 (the guide: pay "在2026年3月5日前").
    assert "0 record(s) would be voided as of 2026-03-04" in run_void_expired(
        "--dry-run", "--today", "2026-03-04"
    )
    assert "0 record(s) voided as of 2026-03-04" in run_void_expired("--today", "2026-03-04")
    for _ in range(2):  # a dry run is repeatable and changes nothing
        assert "1 record(s) would be voided as of 2026-03-05" in run_void_expired(
            "--dry-run", "--today", "2026-03-05"
        )
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VOID).exists()

    output = run_void_expired("--today", "2026-03-05")
    again = run_void_expired("--today", "2026-03-05")

    assert "1 record(s) voided" in output and newborn.temp_id not in output  # the number is masked
    assert "0 record(s) voided" in again
    newborn.refresh_from_db()
    assert (newborn.state, newborn.voided_automatically) == (Newborn.State.VOID, True)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VOID, newborn=newborn)
    assert (entry.user, entry.username, entry.detail) == (None, "void_expired", {"automatic": True})


def test_the_void_job_refuses_a_malformed_day():
    with pytest.raises(CommandError, match="--today"):
        run_void_expired("--today", "2026-02-30")


def test_voiding_by_hand_is_not_an_automatic_void(newborn, clerk):
    newborn_void(newborn=newborn, user=clerk, reason="重复登记")
    newborn.refresh_from_db()
    assert (newborn.state, newborn.voided_automatically) == (Newborn.State.VOID, False)


# --- a payment for a record the daily job voided (docs/rules.md, A payment after the void) ---------------


def test_a_payment_that_arrived_in_time_but_was_recorded_after_the_job_restores_benefits_from_birth(
    newborn, clerk
):
    # The guide's example 2: paid 2026-02-10 for 2025 and 2026; the payment list reached the hospital late.
    newborn_void_expired(today=date(2026, 3, 5))
    pay(newborn, clerk, date(2026, 2, 10), {2025, 2026})
    newborn.refresh_from_db()
    assert (newborn.state, newborn.benefit_start) == (Newborn.State.PAID, BORN)
    assert (newborn.voided_at, newborn.void_reason, newborn.voided_automatically) == (None, "", False)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PAYMENT, newborn=newborn)
    assert "2026年3月4日" in entry.detail["reinstated_from_void"]
    assert (
        AuditEntry.objects.filter(action=AuditEntry.Action.VOID, newborn=newborn).count() == 1
    )  # history kept


def test_a_late_payment_for_a_record_the_job_voided_is_kept_and_the_record_stays_void(newborn, clerk):
    # The notice, 二(一): the family enrolls formally at the agency, where the 2026 guide's waiting period
    # applies (paid 2026-03-10: from 2026-06-10, told as information).
    newborn_void_expired(today=date(2026, 3, 5))
    pay(newborn, clerk, date(2026, 3, 10), {2026})
    newborn.refresh_from_db()
    assert (newborn.state, newborn.voided_automatically, newborn.benefit_start) == (
        Newborn.State.VOID,
        True,
        None,
    )
    assert newborn.benefit_rule == (
        "缴费于2026年3月10日到账，晚于缴费截止日（2026年3月4日），预参保登记已作废，不能凭登记卡结算。"
        "请家属持相关材料到户籍所在地的医保经办机构办理正式参保登记；从缴费到账之日起计算3个月待遇等待期，"
        "预计自2026年6月10日起享受待遇（以医保经办机构核定为准）。"
    )
    assert (newborn.first_paid_on, newborn.paid_until) == (date(2026, 3, 10), None)
    assert newborn.payments.count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VOID, newborn=newborn).count() == 1


@pytest.mark.parametrize(
    ("paid_on", "state"),
    [
        (date(2026, 3, 3), Newborn.State.PAID),  # the day before the last day: only the list came late
        (date(2026, 3, 4), Newborn.State.PAID),  # the last day itself
        (date(2026, 3, 5), Newborn.State.VOID),  # the day after: formal enrollment at the agency
    ],
)
def test_a_payment_recorded_after_the_void_job_reinstates_only_money_that_arrived_by_the_last_day(
    newborn, clerk, paid_on, state
):
    newborn_void_expired(today=date(2026, 3, 5))
    pay(newborn, clerk, paid_on, {2025, 2026})
    newborn.refresh_from_db()
    assert newborn.state == state and newborn.payments.count() == 1
    if state == Newborn.State.PAID:
        assert (newborn.benefit_start, newborn.voided_at, newborn.voided_automatically) == (BORN, None, False)
        assert newborn.paid_until == date(2026, 12, 31)
    else:
        assert (newborn.benefit_start, newborn.voided_automatically) == (None, True)
        assert "预计自2026年6月5日起享受待遇" in newborn.benefit_rule


def test_money_in_time_recorded_after_a_late_payment_still_reinstates(newborn, clerk):
    newborn_void_expired(today=date(2026, 3, 5))
    pay(newborn, clerk, date(2026, 3, 20), {2026})  # late: kept, stays void
    pay(newborn, clerk, date(2026, 2, 10), {2025})  # in time, listed even later: reinstates
    newborn.refresh_from_db()
    assert (newborn.state, newborn.benefit_start, newborn.first_paid_on) == (
        Newborn.State.PAID,
        BORN,
        date(2026, 2, 10),
    )
    assert newborn.paid_until == date(2025, 12, 31)  # 2026 arrived after the last day: not the card's


def test_a_second_receipt_on_the_same_day_is_a_second_payment_but_the_same_payment_is_refused(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026}, receipt_number="R1")
    pay(newborn, clerk, date(2026, 2, 10), {2026}, receipt_number="R2")
    with pytest.raises(ValidationError, match="已经录入过"):
        pay(newborn, clerk, date(2026, 2, 10), {2026})  # no receipt: the same day and years as R1
    with pytest.raises(ValidationError, match="已用于另一笔缴费"):
        pay(newborn, clerk, date(2026, 2, 11), {2026}, receipt_number="R1")
    assert newborn.payments.count() == 2


# --- formal enrollment's reasons and special groups ------------------------------------------------


def test_formal_enrollment_says_what_the_mismatching_id_holds(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    with pytest.raises(ValidationError) as wrong_day:
        newborn_formalize(
            newborn=newborn,
            user=clerk,
            real_name="张小花",
            real_id_number=factories.id_number(born="20251206"),
        )
    with pytest.raises(ValidationError) as wrong_sex:
        newborn_formalize(
            newborn=newborn,
            user=clerk,
            real_name="张小花",
            real_id_number=factories.id_number(born="20251205", order="005"),
        )
    assert wrong_day.value.message_dict["real_id_number"] == [
        "身份证号码中的出生日期为2025年12月6日（第7-14位），与登记的出生日期2025年12月5日不一致。"
    ]
    assert wrong_sex.value.message_dict["real_id_number"] == [
        "身份证号码第17位为5（男），与登记的性别（女）不一致。"
    ]


def test_a_special_group_is_flagged_and_unflagged_with_an_audit_entry(newborn, clerk):
    newborn_special_group_set(
        newborn=newborn, user=clerk, special_group="orphan", reason="民政认定", ip="10.0.0.1"
    )
    newborn_special_group_set(newborn=newborn, user=clerk, special_group="")
    newborn.refresh_from_db()
    assert newborn.special_group == ""
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, newborn=newborn).order_by("pk")
    assert [entry.detail["summary"] for entry in entries] == ["特殊人群：无 → 孤儿", "特殊人群：孤儿 → 无"]
    assert (entries[0].reason, entries[0].ip) == ("民政认定", "10.0.0.1")


@pytest.mark.parametrize(("group", "message"), [("orphan", "已作废"), ("vip", "有效的特殊人群类别")])
def test_a_special_group_is_refused_on_a_void_record_or_an_unknown_category(newborn, clerk, group, message):
    if group == "orphan":
        newborn_void(newborn=newborn, user=clerk, reason="重复登记")
    with pytest.raises(ValidationError, match=message):
        newborn_special_group_set(newborn=newborn, user=clerk, special_group=group)


# --- the benefit start on real records: the years paid decide (docs/decisions.md) ----------------


def test_paying_in_the_birth_year_for_the_next_year_only_starts_benefits_on_its_new_years_day(clerk):
    born = date(2026, 11, 20)
    newborn = register(clerk, babies=[BabyInput(Sex.FEMALE, born)], today=date(2026, 11, 22)).newborns.get()
    payment_record(
        newborn=newborn, user=clerk, paid_on=date(2026, 11, 26), years={2027}, today=date(2026, 11, 26)
    )
    newborn.refresh_from_db()
    assert newborn.benefit_start == date(2027, 1, 1)
    assert "未缴纳出生当年（2026年）保费" in newborn.benefit_rule


def test_paying_next_year_for_the_birth_year_only_starts_at_birth_and_says_the_payment_year_is_unpaid(
    newborn, clerk
):
    pay(newborn, clerk, date(2026, 2, 10), {2025})
    newborn.refresh_from_db()
    assert newborn.benefit_start == BORN
    assert "2026年度保费尚未缴纳" in newborn.benefit_rule and "未补缴" not in newborn.benefit_rule


def test_paying_the_missing_year_later_drops_the_unpaid_note(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2025})
    pay(newborn, clerk, date(2026, 3, 1), {2026})
    newborn.refresh_from_db()
    assert newborn.benefit_start == BORN and "尚未缴纳" not in newborn.benefit_rule


# --- a payment must come after the registration that issued the numbers it was paid under ----------------


def test_a_payment_dated_before_the_registration_date_is_refused(clerk):
    # Born 2025-12-05, registered 2025-12-20: nothing could be paid under its numbers on 2025-12-10.
    birth = register(clerk, babies=[BabyInput(Sex.FEMALE, BORN)], today=date(2025, 12, 20))
    newborn = birth.newborns.get()

    with pytest.raises(ValidationError) as excinfo:
        pay(newborn, clerk, date(2025, 12, 10), {2025})

    [message] = excinfo.value.message_dict["paid_on"]
    assert "早于预参保登记日期（2025年12月20日）" in message and "尚未生成" in message
    assert not newborn.payments.exists()
    pay(newborn, clerk, date(2025, 12, 20), {2025})  # the registration day itself is fine
    assert newborn.payments.count() == 1


# --- one receipt, one baby ----------------------------------------------------------------------------------


def test_a_receipt_number_already_recorded_for_another_baby_is_refused(newborn, clerk):
    other = register(
        clerk, babies=[BabyInput(Sex.MALE, BORN)], parent_role="father", today=date(2025, 12, 8)
    ).newborns.get()
    pay(other, clerk, date(2026, 2, 10), {2026}, receipt_number="GX-001")

    with pytest.raises(ValidationError) as excinfo:
        pay(newborn, clerk, date(2026, 2, 10), {2026}, receipt_number="GX-001")

    [message] = excinfo.value.message_dict["receipt_number"]
    assert "已用于另一名新生儿" in message and other.name not in message  # names no one
    assert not newborn.payments.exists()


def test_the_database_refuses_one_receipt_number_on_two_babies(newborn, clerk):
    from django.db import IntegrityError, transaction

    from registration.models import Payment

    other = register(
        clerk, babies=[BabyInput(Sex.MALE, BORN)], parent_role="father", today=date(2025, 12, 8)
    ).newborns.get()
    pay(other, clerk, date(2026, 2, 10), {2026}, receipt_number="GX-002")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            newborn=newborn,
            paid_on=date(2026, 2, 10),
            years=[2026],
            receipt_number="GX-002",
            recorded_by=clerk,
        )


# --- the real name of formal enrollment --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["卢\u202e一", "卢\u200b一", "卢\x00一", "\u2066张小花", "张\ue000花"])
def test_formal_enrollment_refuses_invisible_or_control_characters_in_the_real_name(newborn, clerk, name):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    with pytest.raises(ValidationError) as excinfo:
        newborn_formalize(
            newborn=newborn,
            user=clerk,
            real_name=name,
            real_id_number=factories.id_number(born="20251205", order="004"),
            today=date(2026, 3, 1),
        )
    assert "不能包含控制字符或不可见字符" in excinfo.value.message_dict["real_name"][0]
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.PAID


def test_formal_enrollment_normalises_the_real_names_spaces(newborn, clerk):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    newborn_formalize(
        newborn=newborn,
        user=clerk,
        real_name="  阿依古丽 · 买买提  ",
        real_id_number=factories.id_number(born="20251205", order="004"),
        today=date(2026, 3, 1),
    )
    newborn.refresh_from_db()
    assert newborn.real_name == "阿依古丽 · 买买提"


@pytest.mark.parametrize(("name", "message"), [("  ", "请填写真实姓名"), ("张" * 51, "最多50个字")])
def test_formal_enrollment_needs_a_real_name_of_reasonable_length(newborn, clerk, name, message):
    pay(newborn, clerk, date(2026, 2, 10), {2026})
    with pytest.raises(ValidationError, match=message):
        newborn_formalize(
            newborn=newborn,
            user=clerk,
            real_name=name,
            real_id_number=factories.id_number(born="20251205", order="004"),
            today=date(2026, 3, 1),
        )
