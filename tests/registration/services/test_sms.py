"""services/sms.py: text messages to families (docs/sms.md): what is queued when, sent by the job at most
once, never at night, never to a family that declined; retries, failures, purge."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from registration import sms
from registration.models import AuditEntry, Newborn, SmsMessage
from registration.reference import Sex
from registration.services.lifecycle import newborn_formalize, newborn_void, payment_record
from registration.services.registration_check import BabyInput
from registration.services.sms import (
    ORPHAN_REASON,
    quiet_hours,
    sms_claim,
    sms_orphans_fail,
    sms_purge,
    sms_reminders_queue,
    sms_send_due,
)
from registration.sms import SmsPermanentError, SmsTemporaryError
from registration.sms.texts import TEMPLATES
from tests import factories
from tests.registration.sms_records import born_for_last_day_in, registered, run

State, Kind = SmsMessage.State, SmsMessage.Kind
pytestmark = pytest.mark.usefixtures("sms_locmem")


def kinds_sent(newborn: Newborn | None = None) -> list[str]:
    return [m.kind for m in sms.outbox if newborn is None or newborn.name in m.text]


# --- What is queued at registration ---------------------------------------------------------------------


def test_registration_writes_the_welcome_as_a_row_and_sends_nothing_itself(clerk):
    birth = factories.register(clerk, babies=[BabyInput(Sex.FEMALE, factories.TODAY - timedelta(days=4))])
    newborn = birth.newborns.get()

    assert sms.outbox == []  # registration never waits for a gateway
    message = SmsMessage.objects.get()
    assert (message.newborn, message.kind, message.state) == (newborn, Kind.WELCOME, State.PENDING)
    assert message.phone == "13877112345"
    assert message.template_code == "SMS_WELCOME"
    assert message.params == {
        "name": "张三之女",
        "code": factories.MOTHER_ID[:6] + "*****" + factories.MOTHER_ID[-4:] + newborn.temp_id[-1],
        "last_day": "2026年5月25日",
        "channels": "“南宁医保”微信公众号、“广西税务”微信公众号、微信城市服务等",
    }
    assert message.text.startswith("【新生儿参保】张三之女已办理新生儿医保预参保登记")
    assert "2026年5月25日" in message.text and "缴费渠道" in message.text
    assert factories.MOTHER_ID not in message.text and newborn.temp_id not in message.text


def test_the_job_sends_the_welcome_once_however_often_it_runs(clerk):
    registered(clerk, born=timezone.localdate() - timedelta(days=2))

    run()
    run()

    assert kinds_sent() == [Kind.WELCOME]
    message = SmsMessage.objects.get()
    assert message.state == State.SENT and message.gateway_id.startswith("locmem-")
    assert message.attempts == 1 and message.sent_at is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SMS)
    assert entry.newborn_id == message.newborn_id
    assert entry.detail["phone"] == "138****2345" and entry.detail["state"] == State.SENT
    assert "13877112345" not in str(entry.detail)


# --- Reminders ----------------------------------------------------------------------------------------


def test_a_record_due_in_7_days_gets_the_7_day_reminder_once(clerk):
    newborn = registered(clerk, born=born_for_last_day_in(7))

    run()
    run()

    reminders = [m for m in sms.outbox if m.kind == Kind.REMINDER]
    assert len(reminders) == 1
    assert "还剩7天" in reminders[0].text and newborn.name in reminders[0].text
    assert SmsMessage.objects.get(kind=Kind.REMINDER).step == 7


@pytest.mark.parametrize(("days_left", "step"), [(30, 30), (20, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1)])
def test_a_record_is_at_the_step_its_days_left_fall_in(clerk, days_left, step):
    registered(clerk, born=born_for_last_day_in(days_left))

    assert sms_reminders_queue(today=timezone.localdate()) == 1
    assert SmsMessage.objects.get(kind=Kind.REMINDER).step == step
    assert sms_reminders_queue(today=timezone.localdate()) == 0  # once per step


def test_no_reminder_long_before_the_last_day_or_for_a_step_that_began_before_registration(clerk):
    registered(clerk, born=born_for_last_day_in(45))
    late = registered(
        clerk,
        born=born_for_last_day_in(20),
        mother=factories.ParentInput("王五", factories.id_number(order="024"), "13877112346"),
        phone="13877112346",
    )
    Newborn.objects.filter(pk=late.pk).update(registered_on=late.last_day - timedelta(days=20))

    assert sms_reminders_queue(today=timezone.localdate()) == 0


def test_a_paid_record_gets_no_reminder_and_a_confirmation_with_its_benefit_start(clerk):
    born = born_for_last_day_in(7)
    newborn = registered(clerk, born=born)
    today = timezone.localdate()
    payment_record(newborn=newborn, user=clerk, paid_on=today, years=[born.year, today.year], today=today)

    run()

    assert sorted(kinds_sent()) == [Kind.CONFIRMATION, Kind.WELCOME]
    (confirmation,) = [m for m in sms.outbox if m.kind == Kind.CONFIRMATION]
    assert f"待遇自{born.year}年{born.month}月{born.day}日起享受" in confirmation.text
    assert "户籍登记" in confirmation.text and "正式参保登记" in confirmation.text
    assert not SmsMessage.objects.filter(kind=Kind.REMINDER).exists()


def test_a_reminder_queued_before_the_payment_is_not_sent_after_it(clerk):
    newborn = registered(clerk, born=born_for_last_day_in(7))
    sms_reminders_queue(today=timezone.localdate())
    today = timezone.localdate()
    payment_record(newborn=newborn, user=clerk, paid_on=today, years=[today.year], today=today)

    run()

    assert Kind.REMINDER not in kinds_sent()
    assert SmsMessage.objects.get(kind=Kind.REMINDER).state == State.CANCELLED


def test_void_and_formally_enrolled_records_get_nothing(clerk):
    void = registered(clerk, born=born_for_last_day_in(7))
    sms_reminders_queue(today=timezone.localdate())
    newborn_void(newborn=void, user=clerk, reason="家长放弃")
    paid = registered(
        clerk,
        born=born_for_last_day_in(7),
        mother=factories.ParentInput("王五", factories.id_number(order="024"), "13877112346"),
    )
    today = timezone.localdate()
    payment_record(newborn=paid, user=clerk, paid_on=today, years=[today.year], today=today)
    paid.refresh_from_db()
    real_id = factories.id_number(born=paid.birth_date.strftime("%Y%m%d"), order="022")
    newborn_formalize(newborn=paid, user=clerk, real_name="王小花", real_id_number=real_id)

    run()

    assert sms.outbox == []
    assert set(SmsMessage.objects.values_list("state", flat=True)) <= {State.CANCELLED}


# --- Night, decline ------------------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_nothing_goes_between_21_and_8_and_the_night_s_messages_go_in_the_morning(clerk, settings):
    settings.SMS_QUIET_START, settings.SMS_QUIET_END = 21, 8
    registered(clerk, born=timezone.localdate() - timedelta(days=1))
    day = timezone.localdate()
    assert quiet_hours(local(day, 21)) and quiet_hours(local(day, 23, 59)) and quiet_hours(local(day, 7, 59))
    assert not quiet_hours(local(day, 8)) and not quiet_hours(local(day, 20, 59))

    night = sms_send_due(backend=sms.get_backend(), now=local(day, 22, 30))

    assert night.quiet and sms.outbox == []
    assert SmsMessage.objects.get().state == State.PENDING
    morning = sms_send_due(backend=sms.get_backend(), now=local(day + timedelta(days=1), 8, 5))
    assert morning.sent == 1 and kinds_sent() == [Kind.WELCOME]


def test_a_family_that_declined_at_registration_gets_nothing(clerk):
    newborn = registered(clerk, born=born_for_last_day_in(7), sms_declined=True)

    run()

    assert sms.outbox == []
    assert newborn.sms_declined_at is not None and newborn.sms_declined_by == clerk
    assert SmsMessage.objects.get(kind=Kind.WELCOME).state == State.DECLINED
    assert not SmsMessage.objects.filter(kind=Kind.REMINDER).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SMS_DECLINE)
    assert entry.newborn == newborn and entry.user == clerk


# --- Failures, retries, at most once ---------------------------------------------------------------------


class Scripted(sms.SmsBackend):
    """A backend answering with the errors it was given, then ids."""

    def __init__(self, *errors):
        self.errors, self.sent = list(errors), []

    def send(self, message):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)
        return f"id-{len(self.sent)}"


def test_a_temporary_error_is_retried_with_back_off_and_a_permanent_one_never(clerk, settings):
    settings.SMS_RETRY_MINUTES = 10
    registered(clerk, born=timezone.localdate() - timedelta(days=1))
    message = SmsMessage.objects.get()
    now = timezone.now()

    report = sms_send_due(backend=Scripted(SmsTemporaryError("短信网关限流，请稍后重试。")), now=now)

    message.refresh_from_db()
    assert report.retried == 1 and message.state == State.PENDING and message.attempts == 1
    assert message.last_error == "短信网关限流，请稍后重试。"
    assert message.next_attempt_at == now + timedelta(minutes=10)
    assert sms_send_due(backend=Scripted(), now=now + timedelta(minutes=5)).sent == 0  # not yet
    report = sms_send_due(backend=Scripted(SmsTemporaryError("网关超时")), now=now + timedelta(minutes=11))
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at > now + timedelta(minutes=30)

    report = sms_send_due(backend=Scripted(SmsPermanentError("手机号码无效。")), now=now + timedelta(hours=1))
    message.refresh_from_db()
    assert report.failed == 1 and message.state == State.FAILED and message.last_error == "手机号码无效。"
    assert sms_send_due(backend=Scripted(), now=now + timedelta(days=1)).sent == 0  # never again


def test_too_many_temporary_errors_fail_the_message(clerk, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    registered(clerk, born=timezone.localdate() - timedelta(days=1))
    now = timezone.now()
    sms_send_due(backend=Scripted(SmsTemporaryError("网关错误")), now=now)
    sms_send_due(backend=Scripted(SmsTemporaryError("网关错误")), now=now + timedelta(days=1))
    assert SmsMessage.objects.get().state == State.FAILED


def test_a_claimed_message_is_not_claimed_again_and_an_interrupted_one_is_failed_not_resent(clerk):
    registered(clerk, born=timezone.localdate() - timedelta(days=1))
    now = timezone.now()
    (claimed,) = sms_claim(now=now, batch=10)
    assert sms_claim(now=now, batch=10) == []  # a second run finds it sending

    # The run died here (after the gateway took it, before the outcome was recorded).
    assert sms_orphans_fail(before=now + timedelta(seconds=1)) == 1
    run()

    assert sms.outbox == []
    claimed.refresh_from_db()
    assert claimed.state == State.FAILED and claimed.last_error == ORPHAN_REASON


def test_old_rows_are_purged(clerk, settings):
    settings.SMS_KEEP_DAYS = 30
    registered(clerk, born=timezone.localdate() - timedelta(days=1))
    SmsMessage.objects.update(created_at=timezone.now() - timedelta(days=31))
    registered(
        clerk,
        born=timezone.localdate() - timedelta(days=1),
        mother=factories.ParentInput("王五", factories.id_number(order="024"), "13877112346"),
    )
    assert sms_purge() == 1
    assert SmsMessage.objects.count() == 1


def test_dry_run_lists_what_would_go_and_changes_nothing(clerk):
    newborn = registered(clerk, born=born_for_last_day_in(7))

    out = run("--dry-run")

    assert "reminder (7 days before) 张三之女 138****2345" in out
    assert "welcome 张三之女" in out
    assert "1 reminder(s) would be queued and 1 pending message(s) would be sent" in out
    assert sms.outbox == [] and SmsMessage.objects.filter(newborn=newborn).count() == 1


def test_the_backend_gets_the_parameters_in_their_template_s_order(clerk):
    # Tencent numbers a template's parameters {1}, {2}, …; PostgreSQL's jsonb keeps the keys in its order.
    registered(clerk, born=timezone.localdate() - timedelta(days=1))
    backend = Scripted()

    sms_send_due(backend=backend)

    (message,) = backend.sent
    assert list(message.params) == list(TEMPLATES["welcome"].params)


def test_the_channels_fit_a_gateway_s_parameter(clerk, settings, tmp_path):
    from registration.services.sms import channels_short
    from registration.sms.texts import PARAM_MAX_LENGTH

    newborn = registered(clerk, born=timezone.localdate() - timedelta(days=1))
    assert len(channels_short(newborn)) <= PARAM_MAX_LENGTH
    long_names = tmp_path / "channels.toml"
    long_names.write_text(
        '[4501]\ncity = "南宁市"\nsource = "x"\naccount = ""\noffline = []\n'
        'online = ["一个名字很长很长很长很长的线上缴费渠道甲", "一个名字很长很长很长很长的线上缴费渠道乙"]\n',
        encoding="utf-8",
    )
    settings.PAYMENT_CHANNELS_FILE = long_names

    assert channels_short(newborn) == "一个名字很长很长很长很长的线上缴费渠道甲等"
