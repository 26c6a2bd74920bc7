"""Text messages seen from the pages, the API and the audit log (docs/sms.md): a family's decline on the
record's page, the registration page and the API, failures shown to the clerks, the texts rendered from
their templates and the console backend. What is queued and sent is services/sms.py's
(tests/registration/services/test_sms.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from registration import sms
from registration.models import AuditEntry, Newborn, SmsMessage
from registration.reference import Sex
from registration.services.registration_check import BabyInput
from registration.services.sms import sms_reminders_queue
from registration.sms.texts import TEMPLATES, render
from tests import factories
from tests.registration.sms_records import born_for_last_day_in, registered, run

State, Kind = SmsMessage.State, SmsMessage.Kind
pytestmark = pytest.mark.usefixtures("sms_locmem")


def test_the_texts_are_rendered_from_their_templates_with_every_parameter():
    for kind, template in TEMPLATES.items():
        params = {name: f"<{name}>" for name in template.params}
        text = render(kind, params, sign_name="签名")
        assert text.startswith("【签名】")
        assert all(f"<{name}>" in text for name in template.params)
        assert "${" not in text
        with pytest.raises(KeyError):
            render(kind, {}, sign_name="签名")


def test_a_family_declines_later_on_the_record_s_page(client, clerk):
    birth = factories.register(
        clerk,
        babies=[BabyInput(Sex.FEMALE, timezone.localdate() - timedelta(days=2))] * 2,
        today=timezone.localdate() - timedelta(days=2),
    )
    first, second = birth.newborns.order_by("birth_order")
    client.force_login(clerk)

    response = client.post(reverse("newborn_sms_decline", args=[first.pk]))

    assert response.status_code == 302
    for newborn in (first, second):  # the family: every baby of the birth
        newborn.refresh_from_db()
        assert newborn.sms_declined_by == clerk and newborn.sms_declined_at is not None
    assert set(SmsMessage.objects.values_list("state", flat=True)) == {State.DECLINED}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SMS_DECLINE).count() == 2
    run()
    assert sms.outbox == []
    page = client.get(reverse("newborn_detail", args=[first.pk])).content.decode()
    assert "家长拒收短信（clerk登记于" in page


def test_the_registration_page_s_checkbox_records_the_decline(client, clerk):
    client.force_login(clerk)
    assert "家长不愿接收短信通知" in client.get("/register/").content.decode()
    born = [("2", timezone.localdate() - timedelta(days=4))]

    response = client.post("/register/", factories.register_post_data(babies=born, sms_declined="on"))

    assert response.status_code == 302, response.content.decode()[:2000]
    newborn = Newborn.objects.get()
    assert newborn.sms_declined_by == clerk
    assert SmsMessage.objects.get().state == State.DECLINED


def test_the_api_s_sms_declined_records_the_decline(db, settings):
    from registration.services.api_clients import api_client_create
    from tests.api.conftest import bearer, birth_body

    factories.division_chain()
    factories.agency_make()
    client, key = api_client_create(
        name="一院HIS", hospital=factories.hospital_make(), scopes=["births:write"]
    )
    born = (timezone.localdate() - timedelta(days=4)).isoformat()
    babies = [{"sex": "female", "birth_date": born}]

    response = bearer(key).post("/api/v1/births", birth_body(sms_declined=True, babies=babies), format="json")

    assert response.status_code == 201, response.content
    newborn = Newborn.objects.get()
    assert newborn.sms_declined_by == client.user and newborn.sms_declined_at is not None
    assert SmsMessage.objects.get().state == State.DECLINED


def test_failures_show_on_the_record_page_and_in_the_follow_up_list_s_filter(client, clerk):
    failed = registered(clerk, born=born_for_last_day_in(20))
    registered(
        clerk,
        born=born_for_last_day_in(20),
        mother=factories.ParentInput("王五", factories.id_number(order="024"), "13877112346"),
    )
    SmsMessage.objects.all().delete()
    sms_reminders_queue(today=timezone.localdate())
    SmsMessage.objects.filter(newborn=failed).update(state=State.FAILED, last_error="手机号码无效。")
    client.force_login(clerk)

    listing = client.get(reverse("followup") + "?sms_failed=1").content.decode()
    assert "待跟进：短信发送失败" in listing
    assert failed.name in listing and "王五之女" not in listing
    everyone = client.get(reverse("followup")).content.decode()
    assert 'data-count="sms_failed">1<' in everyone and "data-sms-failed" in everyone
    page = client.get(reverse("newborn_detail", args=[failed.pk])).content.decode()
    assert "发送失败" in page and "手机号码无效。" in page and "138****2345" in page


def test_the_audit_log_reads_each_send_and_decline_in_words(clerk):
    from registration.selectors.audit_words import entry_details

    registered(clerk, born=timezone.localdate() - timedelta(days=1), sms_declined=True)
    registered(
        clerk,
        born=timezone.localdate() - timedelta(days=1),
        mother=factories.ParentInput("王五", factories.id_number(order="024"), "13877112346"),
    )
    run()

    decline = AuditEntry.objects.get(action=AuditEntry.Action.SMS_DECLINE)
    assert entry_details(decline) == "家长拒收短信（登记时）"
    send = AuditEntry.objects.get(action=AuditEntry.Action.SMS)
    assert entry_details(send).startswith(
        "短信：登记告知，发往 138****2345，已发送，第1次，网关消息ID locmem-"
    )


def test_the_console_backend_logs_a_registration_s_welcome_with_the_phone_masked(
    client, clerk, settings, caplog
):
    settings.SMS_BACKEND = "console"  # the development default, as `make demo` runs it
    client.force_login(clerk)
    born = [("2", timezone.localdate() - timedelta(days=4))]
    assert client.post("/register/", factories.register_post_data(babies=born)).status_code == 302

    with caplog.at_level("INFO", logger="registration.sms"):
        run()

    (record,) = [r for r in caplog.records if r.name == "registration.sms"]
    line = record.getMessage()
    assert "SMS welcome to 138****2345" in line and "已办理新生儿医保预参保登记" in line
    assert "13877112345" not in line and sms.outbox == []
