"""Issue 29, items 1-5: the admin obeys the application's rules, and its audit entries say what changed.

Every form is opened and submitted as a browser would (tests/registration/admin/browser.py): the page's own
values, the CSRF token from the page, one field changed.
"""

from datetime import date
from decimal import Decimal

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cards.services import card_refusal
from registration.masking import mask_id_number, mask_phone
from registration.models import AuditEntry, Newborn, Operator, Payment
from registration.services.lifecycle import newborn_void
from tests.registration.admin.browser import REMOVE, AdminBrowser, form_errors
from tests.registration.admin.test_admin import change, id_number, world_make

pytestmark = pytest.mark.django_db

UNPRINTABLE_HOSPITAL = "南宁市劉氏婦産醫院🏥"


@pytest.fixture
def browser(admin_user) -> AdminBrowser:
    return AdminBrowser(admin_user)


def admin_entries():
    return AuditEntry.objects.filter(action=AuditEntry.Action.ADMIN)


# --- 1. the special group: the record page's rule, through its service --------------------------------


def test_a_void_record_cannot_be_flagged_as_a_special_group(browser, admin_user):
    newborn = world_make()["newborn"]
    newborn_void(newborn=newborn, user=admin_user, reason="重复登记")

    response = browser.submit(change(newborn), {"special_group": "low_income"})

    assert response.status_code == 200
    assert form_errors(response)["special_group"] == ["该记录已作废，不能标记特殊人群。"]
    newborn.refresh_from_db()
    assert newborn.special_group == ""
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()
    assert not admin_entries().exists()


def test_a_special_group_is_set_through_its_service_with_the_note(browser, admin_user):
    newborn = world_make()["newborn"]

    response = browser.submit(
        change(newborn), {"special_group": "orphan", "special_group_reason": "民政局认定书 2026-18号"}
    )

    assert response.status_code == 302, form_errors(response)
    newborn.refresh_from_db()
    assert newborn.special_group == "orphan"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert (entry.user, entry.newborn, entry.reason) == (admin_user, newborn, "民政局认定书 2026-18号")
    assert entry.detail["summary"] == "特殊人群：无 → 孤儿"
    assert not admin_entries().exists()  # nothing else changed


def test_a_record_voided_after_the_form_was_checked_is_refused_by_the_service(browser, admin_user):
    # The race the form cannot see: the service refuses under the record's lock, the whole save is undone.
    from registration.admin import records

    newborn = world_make()["newborn"]
    original = records.special_group_refusal
    records.special_group_refusal = lambda newborn: None  # the form's check passes, as before the void
    try:
        newborn_void(newborn=newborn, user=admin_user, reason="重复登记")
        response = browser.submit(
            change(newborn), {"special_group": "orphan", "household_address": "广西南宁市青秀区新竹路9号"}
        )
    finally:
        records.special_group_refusal = original

    assert response.status_code == 302 and response["Location"] == change(newborn)
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == ["该记录已作废，不能标记特殊人群。"]
    newborn.refresh_from_db()
    assert (newborn.special_group, newborn.household_address) == ("", "广西南宁市青秀区新竹路1号")


def test_the_newborns_page_says_where_its_read_only_lifecycle_is_done(browser):
    newborn = world_make()["newborn"]

    html = browser.open(change(newborn)).content.decode()

    assert "状态、缴费、作废和正式参保只能在登记记录页办理" in html
    assert f'href="/newborns/{newborn.pk}/void"' in html and f'href="/newborns/{newborn.pk}/payment"' in html


# --- 2. every name the card prints: the card's characters --------------------------------------------


def test_a_birth_hospital_the_card_cannot_print_is_refused(browser):
    world = world_make()
    birth = world["birth"]

    response = browser.submit(change(birth), {"birth_hospital_name": UNPRINTABLE_HOSPITAL})

    assert response.status_code == 200
    [message] = form_errors(response)["birth_hospital_name"]
    assert "「劉」、「婦」、「産」、「醫」、「🏥」无法打印在登记卡上" in message
    birth.refresh_from_db()
    assert birth.birth_hospital_name == world["hospital"].name
    assert card_refusal(world["newborn"], today=date(2026, 3, 2)) is None  # the card still prints
    assert not admin_entries().exists()


@pytest.mark.parametrize(
    ("key", "field", "value", "label"),
    [
        ("hospital", "name", "南宁市第一人民医院🏥", "机构名称"),
        ("village", "name", "新竹社區", "名称"),
        ("village", "full_name", "广西壮族自治区 南宁市 青秀区 新竹街道 新竹社區", "全称"),
        ("agency", "name", "南寧市醫療保障事業管理中心", "机构名称"),
        ("parent", "name", "劉小梅", "姓名"),
    ],
    ids=["hospital", "division", "division full name", "agency", "parent"],
)
def test_every_name_the_card_prints_is_refused_when_the_card_cannot_print_it(
    browser, key, field, value, label
):
    world = world_make()
    obj = world["birth"].agency if key == "agency" else world[key]
    before = getattr(obj, field)

    response = browser.submit(change(obj), {field: value})

    assert response.status_code == 200
    [message] = form_errors(response)[field]
    assert message.startswith(f"{label}中的") and "无法打印在登记卡上" in message
    obj.refresh_from_db()
    assert getattr(obj, field) == before


def test_a_name_the_card_prints_saves_when_every_character_prints(browser):
    world = world_make()

    response = browser.submit(
        change(world["birth"]), {"birth_hospital_name": "广西壮族自治区妇幼保健院（东院）"}
    )

    assert response.status_code == 302, form_errors(response)
    world["birth"].refresh_from_db()
    assert world["birth"].birth_hospital_name == "广西壮族自治区妇幼保健院（东院）"


# --- 3. names are names: no digits ------------------------------------------------------------------


def test_an_operators_name_with_a_phone_number_in_it_is_refused(browser):
    operator = world_make()["operator"]

    response = browser.submit(change(operator), {"real_name": "黄晓燕13977101234"})

    assert response.status_code == 200
    [message] = form_errors(response)["real_name"]
    assert message.startswith("经办人姓名不能含有数字")
    operator.refresh_from_db()
    assert operator.real_name == "李经办"


def test_a_parents_name_with_digits_is_refused(browser):
    parent = world_make()["parent"]

    response = browser.submit(change(parent), {"name": "张三450103"})

    assert "不能含有数字" in form_errors(response)["name"][0]
    parent.refresh_from_db()
    assert parent.name == "张三"


def test_an_operators_id_number_already_at_the_hospital_is_refused(browser):
    world = world_make()
    operator = world["operator"]
    colleague = Operator.objects.create(
        user=operator.user.__class__.objects.create_user("colleague"),
        hospital=operator.hospital,
        real_name="王经办",
        id_number=id_number(born="19860202", order="013"),
        phone="13977110001",
    )

    response = browser.submit(change(colleague), {"id_number": operator.id_number})

    assert form_errors(response)["id_number"] == ["该身份证号码的经办人员已在该医疗机构登记。"]


def test_withdrawing_access_in_the_admin_needs_a_reason(browser):
    operator = world_make()["operator"]

    refused = browser.submit(change(operator), {"access": "withdrawn"})
    done = browser.submit(change(operator), {"access": "withdrawn", "access_change_reason": "离职"})

    assert form_errors(refused)["access_change_reason"] == ["撤销模块权限必须填写原因。"]
    assert done.status_code == 302
    operator.refresh_from_db()
    assert (operator.access, operator.access_reason) == (Operator.Access.WITHDRAWN, "离职")
    assert AuditEntry.objects.get(action=AuditEntry.Action.ACCESS).reason == "离职"


# --- 4. amounts: never negative, in the admin, the model and the database ------------------------------


def test_a_negative_payment_amount_is_refused(browser):
    payment = world_make()["payment"]

    response = browser.submit(change(payment), {"amount": "-380.00"})

    assert response.status_code == 200
    assert form_errors(response)["amount"] == ["缴费金额须大于0元；不知道金额时请留空。"]
    payment.refresh_from_db()
    assert payment.amount == Decimal("400.00")


def test_an_amount_is_corrected_and_the_entry_keeps_both_amounts(browser):
    payment = world_make()["payment"]

    response = browser.submit(change(payment), {"amount": "380.00"})

    assert response.status_code == 302, form_errors(response)
    payment.refresh_from_db()
    assert payment.amount == Decimal("380.00")
    entry = admin_entries().get()
    assert entry.detail["changes"] == {"amount": ["400.00", "380.00"]}
    assert entry.detail["summary"] == "修改缴费记录：金额（元）：400.00 → 380.00"


def test_the_model_and_the_database_refuse_a_negative_amount():
    payment = world_make()["payment"]
    payment.amount = Decimal("-380.00")

    with pytest.raises(ValidationError) as caught:
        payment.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("-380.00"))

    assert "缴费金额不能为负数。" in caught.value.message_dict["amount"]


def test_the_payments_page_shows_years_in_words_and_why_the_rest_is_read_only(browser):
    payment = world_make()["payment"]
    Payment.objects.filter(pk=payment.pk).update(years=[2025, 2026])

    page = browser.open(change(payment)).content.decode()
    listing = browser.open("/admin/registration/payment/").content.decode()

    assert "2025、2026年度" in page and "2025、2026年度" in listing
    assert "[2025, 2026]" not in page and "[2025, 2026]" not in listing
    assert "到账日期和缴费年度决定待遇享受起始日，不能在后台修改" in page


# --- 5. an admin edit's entry keeps each changed field's old and new value, masked ----------------------


def test_the_hospital_switch_is_logged_with_its_old_and_new_value(browser, admin_user):
    hospital = world_make()["hospital"]

    response = browser.submit(change(hospital), {"is_active": REMOVE})

    assert response.status_code == 302, form_errors(response)
    hospital.refresh_from_db()
    assert hospital.is_active is False
    entry = admin_entries().get()
    assert (entry.user, entry.object_id, entry.hospital) == (admin_user, str(hospital.pk), None)
    assert entry.detail["changes"] == {"is_active": [True, False]}
    assert entry.detail["summary"] == "修改定点医疗机构：启用：是 → 否"


def test_a_changed_phone_and_id_number_are_logged_masked(browser):
    world = world_make()
    operator = world["operator"]
    new_id = id_number(born="19850101", order="033")

    response = browser.submit(
        change(operator), {"id_number": new_id, "phone": "13977115432", "remark": "产科"}
    )

    assert response.status_code == 302, form_errors(response)
    entry = admin_entries().get()
    assert entry.detail["changes"] == {
        "id_number": [mask_id_number(world["operator"].id_number), mask_id_number(new_id)],
        "phone": [mask_phone(world["operator"].phone), mask_phone("13977115432")],
        "remark": ["", "产科"],
    }
    stored = str(entry.detail) + entry.reason + entry.object_repr
    for full in (operator.id_number, new_id, operator.phone, "13977115432"):
        assert full not in stored


def test_a_births_phone_and_hospital_name_changes_are_logged_old_and_new(browser):
    world = world_make()
    birth = world["birth"]

    browser.submit(change(birth), {"mother_phone": "13977115432", "birth_hospital_name": "南宁市妇幼保健院"})

    entry = admin_entries().get()
    assert entry.detail["changes"] == {
        "mother_phone": [mask_phone(birth.mother_phone), "139****5432"],
        "birth_hospital_name": [world["hospital"].name, "南宁市妇幼保健院"],
    }
    assert entry.newborn is None and entry.hospital == world["hospital"]


def test_a_new_row_is_logged_with_its_values(browser):
    world = world_make()

    response = browser.submit(
        "/admin/registration/insuranceagency/add/",
        {"code": "A45010300", "name": "青秀区医保中心", "divisions": [world["village"].parent.parent.pk]},
    )

    assert response.status_code == 302, form_errors(response)
    entry = admin_entries().get()
    assert entry.detail["added"] is True
    assert entry.detail["changes"]["name"] == [None, "青秀区医保中心"]
    assert entry.detail["changes"]["divisions"] == {
        "added": [str(world["village"].parent.parent)],
        "removed": [],
    }


def test_a_newborns_full_numbers_never_reach_the_entry(browser):
    newborn = world_make()["newborn"]

    browser.submit(change(newborn), {"phone": "13977115432"})

    entry = admin_entries().get()
    assert entry.detail["changes"] == {"phone": [mask_phone(newborn.phone), "139****5432"]}
    assert newborn.temp_id not in str(entry.detail)


def test_an_unchanged_form_writes_no_entry(browser):
    hospital = world_make()["hospital"]
    before = timezone.now()

    response = browser.submit(change(hospital))

    assert response.status_code == 302
    assert not admin_entries().filter(at__gte=before).exists()


def test_a_newborn_state_can_not_be_changed_by_posting_it(browser):
    newborn = world_make()["newborn"]

    browser.submit(change(newborn), {"state": Newborn.State.VOID, "personal_number": "4512345678"})

    newborn.refresh_from_db()
    assert (newborn.state, newborn.personal_number) == (Newborn.State.REGISTERED, "4500000000")


# --- 10. the smaller things: Chinese labels, the revoke button, help texts -------------------------------


def api_client(hospital):
    from registration.services.api_clients import api_client_create

    client, _ = api_client_create(
        name="南宁HIS", hospital=hospital, scopes=["births:write", "records:read", "coverage:read"]
    )
    return client


def test_an_api_clients_scopes_read_as_chinese_labels(browser):
    client = api_client(world_make()["hospital"])

    listing = browser.open("/admin/registration/apiclient/").content.decode()
    page = browser.open(change(client)).content.decode()

    for html in (listing, page):
        assert "登记新生儿、补传材料、查询本院登记记录、核验登记卡参保状态" in html
        assert "records:read" not in html and "[&quot;" not in html


def test_an_api_client_is_revoked_from_its_own_page(browser, admin_user):
    client = api_client(world_make()["hospital"])
    page = browser.open(change(client)).content.decode()
    revoke_url = f"/admin/registration/apiclient/{client.pk}/revoke/"

    assert f'href="{revoke_url}"' in page
    confirm = browser.open(revoke_url).content.decode()
    assert "确认撤销" in confirm
    client.refresh_from_db()
    assert client.is_active  # opening the confirmation changes nothing

    # The confirmation's own form (the header's logout form comes first), with its CSRF token.
    [form] = [form for form in lxml.html.fromstring(confirm).forms if form.action in (None, "", revoke_url)]
    response = browser.client.post(revoke_url, dict(form.form_values()))

    assert response.status_code == 302 and response["Location"] == change(client)
    client.refresh_from_db()
    client.user.refresh_from_db()
    assert not client.is_active and not client.user.is_active
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADMIN, detail__revoked=True)
    assert entry.user == admin_user
    assert "撤销此接口客户端" not in browser.open(change(client)).content.decode()


def test_the_number_sequences_columns_are_in_chinese(browser):
    world_make()

    html = browser.open("/admin/registration/numbersequence/").content.decode()

    assert "序列名称" in html and "当前值" in html
    assert ">Name<" not in html and "Last value" not in html


def test_the_hospital_page_explains_its_two_switches(browser):
    hospital = world_make()["hospital"]

    html = browser.open(change(hospital)).content.decode()

    assert "只有设有产科的定点医疗机构可以办理新生儿预参保登记" in html
    assert "停用后，该机构的经办人员、主管和接口客户端不能再使用本模块" in html


# --- hidden characters: the admin's forms run the app's one check -------------------------------------

HIDDEN = "不能包含控制字符或不可见字符"


@pytest.mark.parametrize(
    ("key", "field", "value"),
    [
        ("hospital", "name", "桂林市演示人民医院\x0b\x1b[31m"),
        ("operator", "real_name", "李经\u202e办"),
        ("operator", "remark", "备注\x07"),
        ("parent", "name", "张\u200b三"),
        ("birth", "birth_hospital_name", "南宁市第一人民医院\x1b[31m"),
        ("agency", "name", "医保中心\ue000"),
    ],
    ids=["hospital", "operator name", "operator remark", "parent", "birth hospital", "agency"],
)
def test_a_text_with_hidden_characters_is_refused_in_every_admin_form(browser, key, field, value):
    world = world_make()
    obj = world["birth"].agency if key == "agency" else world[key]
    before = getattr(obj, field)

    response = browser.submit(change(obj), {field: value})

    assert response.status_code == 200
    assert any(HIDDEN in message for message in form_errors(response)[field])
    obj.refresh_from_db()
    assert getattr(obj, field) == before


def test_a_users_name_with_hidden_characters_is_refused(browser):
    user = world_make()["operator"].user

    response = browser.submit(
        reverse_admin_user(user), {"first_name": "经办\x1b[31m", "last_name": "李\u202e"}
    )

    errors = form_errors(response)
    assert HIDDEN in errors["first_name"][0] and HIDDEN in errors["last_name"][0]
    user.refresh_from_db()
    assert user.first_name == "" and user.last_name == ""


def reverse_admin_user(user) -> str:
    from django.urls import reverse

    return reverse("admin:auth_user_change", args=[user.pk])
