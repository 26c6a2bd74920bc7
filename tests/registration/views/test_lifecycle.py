"""A record's lifecycle pages: payment, void by hand, formal enrollment, special group (issue 5)."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from registration.models import AuditEntry, IssuedTemporaryId, Newborn, Operator, Payment, Sex
from registration.services import lifecycle
from registration.services.lifecycle import (
    newborn_formalize,
    newborn_special_group_set,
    newborn_void,
    newborn_void_expired,
    payment_record,
)
from registration.services.newborns import BabyInput
from tests import factories

pytestmark = pytest.mark.django_db

ACTIONS = ("payment", "void", "formalize", "special-group")


def today():
    return timezone.localdate()


@pytest.fixture
def born():
    return today() - timedelta(days=20)


@pytest.fixture
def newborn(clerk, born):
    """A girl registered the day after her birth, twenty days ago: well inside her window."""
    birth = factories.register(clerk, babies=[BabyInput(Sex.FEMALE, born)], today=born + timedelta(days=1))
    return birth.newborns.get()


@pytest.fixture
def paid(newborn, clerk):
    payment_record(newborn=newborn, user=clerk, paid_on=today(), years={today().year})
    newborn.refresh_from_db()
    return newborn


@pytest.fixture
def logged_in(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def foreign_clerk(clerk):
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    return factories.operator_make(username="clerk_gl", hospital=hospital).user


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(newborn, action):
    return f"/newborns/{newborn.pk}/{action}"


# --- who may use the pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_gives_404_for_another_hospitals_record_on_every_action(
    client, foreign_clerk, newborn, action, method
):
    client.force_login(foreign_clerk)

    response = getattr(client, method)(url(newborn, action), {"reason": "x", "confirm": "yes"})

    assert response.status_code == 404
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED
    assert not AuditEntry.objects.filter(newborn=newborn).exclude(action=AuditEntry.Action.REGISTER).exists()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("access", [Operator.Access.REQUESTED, Operator.Access.WITHDRAWN])
def test_it_refuses_a_clerk_without_module_access_with_403(client, clerk, newborn, action, access):
    Operator.objects.filter(user=clerk).update(access=access)
    client.force_login(clerk)

    get = client.get(url(newborn, action))
    post = client.post(url(newborn, action), {"reason": "重复登记", "confirm": "yes"})

    assert get.status_code == post.status_code == 403
    assert "模块权限" in post.content.decode()
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED


@pytest.mark.parametrize("action", ACTIONS)
def test_it_sends_an_anonymous_visitor_to_the_login_page(client, newborn, action):
    response = client.post(url(newborn, action))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_lets_an_administrator_act_on_any_hospitals_record(client, newborn):
    admin = factories.user_make("admin", is_staff=True)
    client.force_login(admin)

    response = client.post(url(newborn, "void"), {"reason": "医保中心核实为重复登记", "confirm": "yes"})

    assert response.status_code == 302
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.VOID


@pytest.mark.parametrize("action", ACTIONS)
def test_it_shows_every_action_page_with_a_bounded_number_of_queries(
    logged_in, paid, action, django_assert_max_num_queries
):
    # Session read and save, user, operator and its hospital (access), the record; base page's hospital.
    with django_assert_max_num_queries(9):
        response = logged_in.get(url(paid, action))

    assert response.status_code == 200
    assert paid.name in response.content.decode()


# --- payment -------------------------------------------------------------------------------------------


def test_it_records_a_payment_and_shows_the_benefit_start_and_its_rule(logged_in, newborn, born):
    paid_on = today()
    years = [born.year] if born.year == paid_on.year else [born.year, paid_on.year]

    response = logged_in.post(
        url(newborn, "payment"),
        {"paid_on": paid_on.isoformat(), "years": years, "receipt_number": "GX2026001", "amount": "380"},
        REMOTE_ADDR="10.1.2.3",
    )

    assert response.status_code == 302 and response["Location"] == f"/newborns/{newborn.pk}/"
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.PAID and newborn.benefit_start == born
    assert any("缴费已录入" in message and "待遇享受起始日" in message for message in messages_of(response))
    payment = Payment.objects.get(newborn=newborn)
    assert (payment.receipt_number, str(payment.amount), payment.source) == ("GX2026001", "380.00", "manual")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PAYMENT, newborn=newborn)
    assert entry.ip == "10.1.2.3"
    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()
    assert "待遇享受起始日" in html and newborn.benefit_rule in html and "GX2026001" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"paid_on": "2099-01-01", "years": ["{year}"]}, "paid_on", "到账日期不能晚于今天"),
        ({"paid_on": "{today}"}, "years", "该字段是必填项"),
        ({"paid_on": "", "years": ["{year}"]}, "paid_on", "该字段是必填项"),
        ({"paid_on": "2026-02-30", "years": ["{year}"]}, "paid_on", "有效的日期"),
        ({"paid_on": "{today}", "years": ["1999"]}, "years", "有效的选项"),
        ({"paid_on": "{today}", "years": ["{year}"], "amount": "-5"}, "amount", "0.01"),
    ],
)
def test_it_refuses_a_bad_payment_next_to_the_field_keeping_what_was_typed(
    logged_in, newborn, data, field, message
):
    fill = {"today": today().isoformat(), "year": str(today().year)}
    data = {
        key: [v.format(**fill) for v in value] if isinstance(value, list) else value.format(**fill)
        for key, value in data.items()
    }
    data["receipt_number"] = "KEEP-ME-123"

    response = logged_in.post(url(newborn, "payment"), data)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="KEEP-ME-123"' in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize("receipt", ["=1+1\x1b[31m\x07", "GX\u202e2026", "GX\u200b2026"])
def test_it_refuses_a_receipt_number_with_hidden_characters_keeping_the_rest(logged_in, newborn, receipt):
    data = {
        "paid_on": today().isoformat(),
        "years": [today().year],
        "receipt_number": receipt,
        "amount": "380",
    }

    response = logged_in.post(url(newborn, "payment"), data)

    assert response.status_code == 400
    [message] = response.context["form"].errors["receipt_number"]
    assert message.startswith("不能包含控制字符或不可见字符（U+")
    assert 'value="380"' in response.content.decode()
    assert not Payment.objects.exists()


def test_it_refuses_the_same_payment_twice(logged_in, newborn):
    data = {"paid_on": today().isoformat(), "years": [today().year]}
    assert logged_in.post(url(newborn, "payment"), data).status_code == 302

    response = logged_in.post(url(newborn, "payment"), data)

    assert response.status_code == 400
    assert "已经录入过" in response.content.decode()
    assert Payment.objects.count() == 1


def test_it_offers_no_payment_on_a_record_voided_by_hand(logged_in, newborn, clerk):
    newborn_void(newborn=newborn, user=clerk, reason="重复登记")

    page = logged_in.get(url(newborn, "payment")).content.decode()
    response = logged_in.post(
        url(newborn, "payment"), {"paid_on": today().isoformat(), "years": [today().year]}
    )

    assert "手工作废" in page and '<form method="post" novalidate>' not in page
    assert response.status_code == 400 and "已作废" in response.content.decode()
    assert not Payment.objects.exists()


def _voided_by_the_job(clerk):
    born = today() - timedelta(days=120)
    newborn = factories.register(
        clerk, babies=[BabyInput(Sex.MALE, born)], parent_role="father", today=born + timedelta(days=1)
    ).newborns.get()
    newborn_void_expired(today=newborn.last_day + timedelta(days=1))
    newborn.refresh_from_db()
    assert newborn.voided_automatically
    return newborn


def test_money_that_arrived_by_the_last_day_reinstates_a_record_the_daily_job_voided(clerk, client):
    # docs/rules.md, A payment after the void: only the payment list came late.
    newborn = _voided_by_the_job(clerk)
    client.force_login(clerk)

    page = client.get(f"/newborns/{newborn.pk}/").content.decode()
    form = client.get(url(newborn, "payment")).content.decode()
    response = client.post(
        url(newborn, "payment"), {"paid_on": newborn.last_day.isoformat(), "years": [newborn.last_day.year]}
    )

    assert f'href="/newborns/{newborn.pk}/payment"' in page and "到期未缴费自动作废" in page
    assert "截止日以后才到账的缴费保留在记录中，但记录保持作废" in page
    assert "记录保持作废" in form and "到户籍所在地的医保经办机构办理正式参保登记" in form
    assert response.status_code == 302
    newborn.refresh_from_db()
    assert (newborn.state, newborn.voided_at, newborn.void_reason) == (Newborn.State.PAID, None, "")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PAYMENT, newborn=newborn)
    assert "恢复" in entry.reason and entry.detail["reinstated_from_void"]


def test_money_that_arrived_after_the_last_day_is_kept_and_the_family_is_sent_to_the_agency(clerk, client):
    newborn = _voided_by_the_job(clerk)
    client.force_login(clerk)
    arrived = newborn.last_day + timedelta(days=1)

    response = client.post(url(newborn, "payment"), {"paid_on": arrived.isoformat(), "years": [arrived.year]})
    page = client.get(f"/newborns/{newborn.pk}/").content.decode()

    assert response.status_code == 302
    assert any("缴费已录入，记录保持作废" in message for message in messages_of(response))
    newborn.refresh_from_db()
    assert (newborn.state, newborn.voided_automatically, newborn.benefit_start) == (
        Newborn.State.VOID,
        True,
        None,
    )
    assert Payment.objects.filter(newborn=newborn, paid_on=arrived).exists()
    waited = arrived + relativedelta(months=3)
    assert "data-late-payment" in page and "到户籍所在地的医保经办机构办理正式参保登记" in page
    assert f"自{waited.year}年{waited.month}月{waited.day}日起享受待遇" in page  # the waiting period's end
    assert "恢复为已缴费" not in page.split("data-late-payment")[1].split("</div>")[0]
    assert arrived.isoformat() in page  # the payment is on the record


# --- void by hand --------------------------------------------------------------------------------------


def test_it_asks_for_confirmation_and_a_reason_before_voiding(logged_in, newborn):
    page = logged_in.get(url(newborn, "void"))
    unconfirmed = logged_in.post(url(newborn, "void"), {"reason": "家长要求改用出生医学证明编号"})
    no_reason = logged_in.post(url(newborn, "void"), {"reason": "   ", "confirm": "yes"})

    assert page.status_code == 200 and "确认作废" in page.content.decode()
    assert unconfirmed.status_code == 400 and "请勾选确认" in unconfirmed.content.decode()
    assert "家长要求改用出生医学证明编号" in unconfirmed.content.decode()  # the reason typed stays
    assert no_reason.status_code == 400 and "该字段是必填项" in no_reason.content.decode()
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED


def test_it_voids_by_hand_with_the_reason_audited_and_the_number_kept_issued(logged_in, newborn):
    response = logged_in.post(
        url(newborn, "void"), {"reason": "重复登记", "confirm": "yes"}, REMOTE_ADDR="10.9.8.7"
    )

    assert response.status_code == 302 and response["Location"] == f"/newborns/{newborn.pk}/"
    assert any("记录已作废" in message for message in messages_of(response))
    newborn.refresh_from_db()
    assert (newborn.state, newborn.void_reason, newborn.voided_automatically) == ("void", "重复登记", False)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VOID, newborn=newborn)
    assert (entry.reason, entry.ip, entry.detail["automatic"]) == ("重复登记", "10.9.8.7", False)
    assert IssuedTemporaryId.objects.filter(number=newborn.temp_id, newborn=newborn).exists()
    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()
    assert "重复登记" in html and "经办人手工作废" in html
    assert f'href="/newborns/{newborn.pk}/void"' not in html
    assert f'href="/newborns/{newborn.pk}/payment"' not in html


@pytest.mark.parametrize("confirm", ["on", "true", "1", "2026-02-30", ""])
def test_only_the_confirmation_box_itself_confirms_a_void(logged_in, newborn, confirm):
    response = logged_in.post(url(newborn, "void"), {"reason": "重复登记", "confirm": confirm})

    assert response.status_code == 400 and "请勾选确认后再作废" in response.content.decode()
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED


@pytest.mark.parametrize("reason", ["重复\u202e登记", "重复\x1b[31m登记"])
def test_it_refuses_a_reason_with_control_or_format_characters(logged_in, newborn, reason):
    response = logged_in.post(url(newborn, "void"), {"reason": reason, "confirm": "yes"})

    assert response.status_code == 400 and "控制字符" in response.content.decode()
    newborn.refresh_from_db()
    assert newborn.state == Newborn.State.REGISTERED


def test_it_refuses_a_reason_longer_than_the_record_holds(logged_in, newborn):
    response = logged_in.post(url(newborn, "void"), {"reason": "重" * 201, "confirm": "yes"})

    assert response.status_code == 400 and "200" in response.content.decode()


def test_it_does_not_void_a_formalized_record(logged_in, paid, clerk):
    real_id = factories.id_number(born=paid.birth_date.strftime("%Y%m%d"), order="004")
    logged_in.post(url(paid, "formalize"), {"real_name": "张小花", "real_id_number": real_id})

    page = logged_in.get(url(paid, "void")).content.decode()
    response = logged_in.post(url(paid, "void"), {"reason": "误登记", "confirm": "yes"})

    assert "已正式参保，不能作废" in page
    assert response.status_code == 400 and "不能作废" in response.content.decode()
    paid.refresh_from_db()
    assert paid.state == Newborn.State.FORMALIZED


# --- formal enrollment ---------------------------------------------------------------------------------


def test_it_records_formal_enrollment_and_keeps_the_temporary_id_as_history(logged_in, paid):
    real_id = factories.id_number(born=paid.birth_date.strftime("%Y%m%d"), order="004")

    response = logged_in.post(url(paid, "formalize"), {"real_name": " 张小花 ", "real_id_number": real_id})

    assert response.status_code == 302
    assert any("已办理正式参保" in message for message in messages_of(response))
    paid.refresh_from_db()
    assert (paid.state, paid.real_name, paid.real_id_number) == ("formalized", "张小花", real_id)
    assert paid.temp_id and IssuedTemporaryId.objects.filter(number=paid.temp_id).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FORMALIZE, newborn=paid).count() == 1
    html = logged_in.get(f"/newborns/{paid.pk}/").content.decode()
    assert real_id in html and paid.temp_id in html and "原新生儿编码保留为历史记录" in html


@pytest.mark.parametrize(
    ("shift_days", "order", "expected"),
    [
        (1, "004", "身份证号码中的出生日期为"),  # a day later than the baby's birth
        (0, "003", "身份证号码第17位为3（男），与登记的性别（女）不一致"),
    ],
)
def test_it_shows_why_a_real_id_does_not_fit_the_baby_next_to_the_field(
    logged_in, paid, shift_days, order, expected
):
    born = paid.birth_date + timedelta(days=shift_days)
    real_id = factories.id_number(born=born.strftime("%Y%m%d"), order=order)

    response = logged_in.post(url(paid, "formalize"), {"real_name": "张小花", "real_id_number": real_id})

    assert response.status_code == 400
    errors = response.context["form"].errors["real_id_number"]
    assert any(expected in message for message in errors)
    html = response.content.decode()
    assert f'value="{real_id}"' in html and 'value="张小花"' in html
    assert "is-invalid" in html  # the message sits at the field
    paid.refresh_from_db()
    assert paid.state == Newborn.State.PAID and paid.real_id_number is None


def test_it_refuses_a_malformed_real_id(logged_in, paid):
    response = logged_in.post(
        url(paid, "formalize"), {"real_name": "张小花", "real_id_number": "45010320251"}
    )

    assert response.status_code == 400
    assert "应为18位" in " ".join(response.context["form"].errors["real_id_number"])


def test_it_offers_formal_enrollment_only_after_a_payment(logged_in, newborn):
    page = logged_in.get(url(newborn, "formalize")).content.decode()
    detail = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    assert "须先录入缴费" in page
    assert f'href="/newborns/{newborn.pk}/formalize"' not in detail


# --- special groups ------------------------------------------------------------------------------------


def test_it_flags_and_unflags_a_special_group_audited(logged_in, newborn):
    flagged = logged_in.post(
        url(newborn, "special-group"), {"special_group": "low_income", "reason": "低保证 123"}
    )
    newborn.refresh_from_db()
    assert flagged.status_code == 302 and newborn.special_group == "low_income"
    assert any("低保对象" in message for message in messages_of(flagged))
    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()
    assert "低保对象" in html and "特殊人群：无 → 低保对象" in html

    unflagged = logged_in.post(url(newborn, "special-group"), {"special_group": ""})

    newborn.refresh_from_db()
    assert unflagged.status_code == 302 and newborn.special_group == ""
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, newborn=newborn).order_by("pk")
    assert [(e.detail["old"], e.detail["new"]) for e in entries] == [("", "low_income"), ("low_income", "")]
    assert entries[0].reason == "低保证 123" and entries[0].ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("data", "message"),
    [({"special_group": ""}, "没有变化"), ({"special_group": "vip"}, "有效的选项")],
)
def test_it_refuses_an_unchanged_or_unknown_special_group(logged_in, newborn, data, message):
    response = logged_in.post(url(newborn, "special-group"), data)

    assert response.status_code == 400 and message in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


# --- the record's page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "shown", "hidden"),
    [
        ("registered", ["payment", "void", "special-group"], ["formalize"]),
        ("paid", ["payment", "void", "special-group", "formalize"], []),
    ],
)
def test_the_record_page_offers_the_actions_of_its_state(logged_in, newborn, clerk, state, shown, hidden):
    if state == "paid":
        payment_record(newborn=newborn, user=clerk, paid_on=today(), years={today().year})

    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    for action in shown:
        assert f'href="{url(newborn, action)}"' in html
    for action in hidden:
        assert f'href="{url(newborn, action)}"' not in html


def test_the_record_page_stays_bounded_with_payments_and_history(
    logged_in, newborn, clerk, django_assert_max_num_queries
):
    for days in range(5):
        payment_record(
            newborn=newborn, user=clerk, paid_on=today() - timedelta(days=days), years={today().year}
        )

    with django_assert_max_num_queries(14):
        html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    assert html.count("手工录入") == 5


def test_the_payment_import_is_in_the_menu_of_administrators_only(client, logged_in, newborn):
    assert "缴费导入" not in logged_in.get("/newborns/").content.decode()
    client.force_login(factories.user_make("admin", is_staff=True))

    assert "缴费导入" in client.get("/newborns/").content.decode()


# --- full numbers stay on the record's own page ---------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_the_action_pages_show_the_number_masked_and_audit_no_view(logged_in, newborn, action):
    from registration.masking import mask_id_number

    before = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID).count()

    page = logged_in.get(url(newborn, action))
    refused = logged_in.post(url(newborn, action), {"paid_on": "2026-02-30", "reason": "", "real_name": ""})

    for response in (page, refused):
        html = response.content.decode()
        assert newborn.temp_id not in html and newborn.birth.mother_id_number not in html
        assert mask_id_number(newborn.temp_id) in html
        assert newborn.personal_number in html  # not sensitive: the records list shows it too
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID).count() == before


def test_the_void_confirmation_names_the_baby_by_name_birth_date_and_masked_number(logged_in, newborn):
    from registration.masking import mask_id_number

    html = logged_in.get(url(newborn, "void")).content.decode()

    born = f"{newborn.birth_date.year}年{newborn.birth_date.month}月{newborn.birth_date.day}日出生"
    assert (
        f"确认作废 <strong>{newborn.name}</strong>（{born}，编码 {mask_id_number(newborn.temp_id)}）" in html
    )


def test_it_refuses_a_payment_dated_before_the_registration(logged_in, newborn, born):
    # Registered the day after the birth: a payment on the birth day predates the temporary ID.
    response = logged_in.post(url(newborn, "payment"), {"paid_on": born.isoformat(), "years": [born.year]})

    assert response.status_code == 400
    [message] = response.context["form"].errors["paid_on"]
    assert "早于预参保登记日期" in message and "尚未生成" in message
    assert not Payment.objects.exists()


def test_it_refuses_a_real_name_with_invisible_characters_next_to_the_field(logged_in, paid):
    real_id = factories.id_number(born=paid.birth_date.strftime("%Y%m%d"), order="004")

    response = logged_in.post(url(paid, "formalize"), {"real_name": "卢\u202e一", "real_id_number": real_id})

    assert response.status_code == 400
    assert "不能包含控制字符或不可见字符" in " ".join(response.context["form"].errors["real_name"])
    paid.refresh_from_db()
    assert paid.state == Newborn.State.PAID


@pytest.mark.parametrize("automatic", [True, False])
def test_a_void_records_page_says_neither_that_the_card_is_valid_nor_that_benefits_follow_payment(
    logged_in, newborn, clerk, automatic
):
    if automatic:
        newborn_void_expired(today=newborn.last_day + timedelta(days=1))
    else:
        newborn_void(newborn=newborn, user=clerk, reason="重复登记")

    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    assert "登记卡有效期至同日" not in html and "缴费后确定" not in html
    assert "登记卡不再有效" in html and "记录已作废，不能凭登记卡享受待遇" in html
    assert ("缴费截止日（含）前到账的缴费录入后，记录恢复为已缴费" in html) is automatic


def test_a_registered_records_page_still_says_when_the_card_ends_and_that_benefits_follow_payment(
    logged_in, newborn
):
    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    assert "登记卡有效期至同日" in html and "缴费后确定" in html


# --- the refusals: one message each, from the rules --------------------------------------------------


def _payment(newborn, user):
    payment_record(newborn=newborn, user=user, paid_on=today(), years={today().year})


def _void(newborn, user):
    newborn_void(newborn=newborn, user=user, reason="误登记")


def _formalize(newborn, user):
    real_id = factories.id_number(born=newborn.birth_date.strftime("%Y%m%d"), order="004")
    newborn_formalize(newborn=newborn, user=user, real_name="张小花", real_id_number=real_id)


def _special_group(newborn, user):
    newborn_special_group_set(newborn=newborn, user=user, special_group="low_income")


@pytest.mark.parametrize(
    ("voided", "action", "refusal", "service"),
    [
        (True, "payment", lifecycle.payment_refusal, _payment),
        (True, "void", lifecycle.void_refusal, _void),
        (False, "formalize", lifecycle.formalize_refusal, _formalize),
        (True, "formalize", lifecycle.formalize_refusal, _formalize),
        (True, "special-group", lifecycle.special_group_refusal, _special_group),
    ],
)
def test_the_page_and_the_service_refuse_with_the_rules_one_message(
    logged_in, newborn, clerk, voided, action, refusal, service
):
    if voided:
        newborn_void(newborn=newborn, user=clerk, reason="重复登记")
        newborn.refresh_from_db()
    message = refusal(newborn)

    page = logged_in.get(url(newborn, action)).content.decode()
    with pytest.raises(ValidationError) as raised:
        service(newborn, clerk)

    assert message and message in page
    assert raised.value.messages == [message]


# --- the record page says until when the card covers (docs/rules.md, Which days are covered) -------------


def test_a_paid_records_page_says_until_when_the_card_covers_and_the_year_to_pay_next(
    logged_in, clerk, today_is
):
    born = date(2026, 11, 28)  # last day 2027-02-27
    newborn = factories.register(clerk, babies=[BabyInput(Sex.FEMALE, born)], today=born).newborns.get()
    payment_record(
        newborn=newborn, user=clerk, paid_on=date(2026, 12, 10), years=[2026], today=date(2026, 12, 10)
    )
    today_is(date(2026, 12, 20))

    page = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    assert (
        "data-cover" in page
        and (
            "待遇自2026年11月28日起享受，可凭登记卡结算至2026年12月31日；2027年度保费尚未缴纳，"
            "请在2027年2月27日（含）前缴纳，2027年1月1日起的医疗费用才能凭登记卡结算。"
        )
        in page
    )

    payment_record(
        newborn=newborn, user=clerk, paid_on=date(2026, 12, 15), years=[2027], today=date(2026, 12, 15)
    )
    page = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()
    assert "可凭登记卡结算至2027年2月27日（登记卡最后有效日）。2028年度及以后的保费" in page
