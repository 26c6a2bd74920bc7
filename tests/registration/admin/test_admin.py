"""The Django admin: every model listed with masked numbers, nothing deleted, the audit log untouchable."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from stdnum.cn.ric import calc_check_digit

from registration.masking import mask_id_number, mask_phone
from registration.models import (
    AuditEntry,
    Birth,
    Division,
    Hospital,
    InsuranceAgency,
    IssuedTemporaryId,
    Material,
    Newborn,
    NumberSequence,
    Operator,
    Parent,
    Payment,
    Sex,
)
from registration.services.audit import audit_record
from tests import factories

TODAY = date(2026, 3, 2)

MODELS = (
    Division,
    InsuranceAgency,
    Hospital,
    Operator,
    Parent,
    Birth,
    Newborn,
    IssuedTemporaryId,
    Material,
    Payment,
    AuditEntry,
    NumberSequence,
)
MODEL_IDS = [model._meta.model_name for model in MODELS]


# Plain factories with fixed defaults (docs/testing.md); tests/factories.py may replace them later.


def id_number(*, region: str = "450103", born: str = "19900307", order: str = "002") -> str:
    """A valid resident ID; the third digit of `order` gives the sex (even female, odd male)."""
    body = region + born + order
    return body + calc_check_digit(body + "0")


def with_wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def village_make(code: str = "450103001001") -> Division:
    """A village with its four ancestors (each created once)."""
    return factories.division_chain(
        code, ("广西壮族自治区", "南宁市", "青秀区", "新竹街道", f"新竹社区{code[-3:]}")
    )


def hospital_make(code: str = "H45010300001", **overrides) -> Hospital:
    fields = {"name": f"南宁市第一人民医院{code[-2:]}", "division": village_make().parent.parent}
    fields.update(overrides)
    return Hospital.objects.create(code=code, **fields)


def user_make(username: str = "clerk"):
    return get_user_model().objects.create_user(username=username, password="test-pass-2026!")


def parent_make(number: str | None = None, **overrides) -> Parent:
    fields = {"name": "张三", "phone": "13877112345"}
    fields.update(overrides)
    return Parent.objects.create(id_number=number or id_number(), **fields)


def birth_make(*, parent: Parent, hospital: Hospital, clerk, **overrides) -> Birth:
    fields = {
        "registered_at": timezone.now(),
        "registered_on": TODAY,
        "route": Birth.Route.PARENT_ID,
        "parent_role": Birth.ParentRole.MOTHER,
        "mother_name": parent.name,
        "mother_id_number": parent.id_number,
        "mother_phone": parent.phone,
        "community": village_make(),
        "birth_hospital_name": hospital.name,
    }
    fields.update(overrides)
    return Birth.objects.create(parent=parent, hospital=hospital, clerk=clerk, **fields)


def newborn_make(
    *, birth: Birth, suffix: str = "X", personal_number: str = "4500000001", **overrides
) -> Newborn:
    """A registered girl with a temporary ID (parent's ID + suffix), entered in the register too."""
    fields = {
        "birth_order": 1,
        "name": f"{birth.parent.name}之女",
        "sex": Sex.FEMALE,
        "birth_date": TODAY - timedelta(days=4),
        "household_address": "广西南宁市青秀区新竹路1号",
        "household_type": "30",
        "phone": "13877112345",
        "last_day": date(2026, 5, 25),
        "state": Newborn.State.REGISTERED,
        "state_changed_at": timezone.now(),
        "registered_on": birth.registered_on,
    }
    fields.update(overrides)
    temp_id = birth.parent.id_number + suffix
    newborn = Newborn.objects.create(
        birth=birth, hospital_id=birth.hospital_id, temp_id=temp_id, personal_number=personal_number, **fields
    )
    IssuedTemporaryId.objects.create(
        number=temp_id, parent=birth.parent, suffix=suffix, newborn=newborn, issued_at=timezone.now()
    )
    return newborn


def world_make(i: int = 0) -> dict:
    """One row of every model, distinct per i, each in its own hospital, community and family."""
    village = village_make(f"450103001{i + 1:03d}")
    hospital = hospital_make(f"H450103{i:05d}")
    agency = InsuranceAgency.objects.create(code=f"A{i:05d}", name=f"医保中心{i}")
    agency.divisions.add(village.parent.parent)
    clerk = user_make(f"clerk{i}")
    operator = Operator.objects.create(
        user=clerk,
        hospital=hospital,
        real_name="李经办",
        id_number=id_number(born="19850101", order=f"{2 * i + 1:03d}"),
        phone=f"1397711{i:04d}",
        access=Operator.Access.GRANTED,
    )
    parent = parent_make(id_number(order=f"{2 * i + 2:03d}"), phone=f"1387711{i:04d}")
    birth = birth_make(parent=parent, hospital=hospital, clerk=clerk, community=village, agency=agency)
    newborn = newborn_make(birth=birth, personal_number=f"45{i:08d}")
    material = Material.objects.create(
        birth=birth,
        kind=Material.Kind.BIRTH_RECORD,
        file=f"materials/2026/03/private-scan-{i}.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="0" * 64,
        original_name="产时记录.pdf",
        uploaded_by=clerk,
    )
    payment = Payment.objects.create(
        newborn=newborn, paid_on=TODAY, years=[2026], amount=Decimal("400.00"), recorded_by=clerk
    )
    entry = audit_record(user=clerk, action=AuditEntry.Action.REGISTER, obj=newborn, hospital=hospital)
    NumberSequence.objects.create(name=f"personal_number_{i}", last_value=i)
    return {
        "village": village,
        "hospital": hospital,
        "operator": operator,
        "parent": parent,
        "birth": birth,
        "newborn": newborn,
        "material": material,
        "payment": payment,
        "entry": entry,
    }


def changelist(model) -> str:
    return reverse(f"admin:registration_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:registration_{obj._meta.model_name}_change", args=[obj.pk])


def full_numbers(world: dict) -> list[str]:
    """Every sensitive number of a world, as stored."""
    return [
        world["operator"].id_number,
        world["operator"].phone,
        world["parent"].id_number,
        world["parent"].phone,
        world["newborn"].temp_id,
    ]


# Lists


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_it_lists_every_model_without_a_full_number(admin_client, model):
    world = world_make()

    response = admin_client.get(changelist(model))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    content = response.content.decode()
    for number in full_numbers(world):
        assert number not in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "masked"),
    [
        (Operator, lambda w: [mask_id_number(w["operator"].id_number), mask_phone(w["operator"].phone)]),
        (Parent, lambda w: [mask_id_number(w["parent"].id_number), mask_phone(w["parent"].phone)]),
        (Birth, lambda w: [mask_id_number(w["parent"].id_number)]),
        (Newborn, lambda w: [mask_id_number(w["newborn"].temp_id)]),
        (IssuedTemporaryId, lambda w: [mask_id_number(w["newborn"].temp_id)]),
        (Payment, lambda w: [mask_id_number(w["newborn"].temp_id)]),
        (AuditEntry, lambda w: [mask_id_number(w["newborn"].temp_id)]),
    ],
    ids=["operator", "parent", "birth", "newborn", "issuedtemporaryid", "payment", "auditentry"],
)
def test_it_shows_numbers_masked_in_lists(admin_client, model, masked):
    world = world_make()

    content = admin_client.get(changelist(model)).content.decode()

    for value in masked(world):
        assert value in content


@pytest.mark.django_db
def test_it_masks_the_real_id_of_a_formalized_baby_in_the_list(admin_client):
    world = world_make()
    real_id = id_number(born="20260226", order="002")
    Newborn.objects.filter(pk=world["newborn"].pk).update(
        state=Newborn.State.FORMALIZED,
        benefit_start=TODAY,
        formalized_at=timezone.now(),
        real_name="张小花",
        real_id_number=real_id,
    )

    content = admin_client.get(changelist(Newborn)).content.decode()

    assert mask_id_number(real_id) in content
    assert real_id not in content


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_it_lists_twenty_rows_with_no_more_queries_than_one(
    admin_client, django_assert_max_num_queries, model
):
    world_make(0)
    admin_client.get(changelist(model))  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(changelist(model))
    for i in range(1, 20):
        world_make(i)

    with django_assert_max_num_queries(len(one_row)):
        response = admin_client.get(changelist(model))

    assert response.context["cl"].result_count >= 20


# Search


@pytest.mark.django_db
def test_it_finds_a_temp_id_by_exact_case_sensitive_search(admin_client):
    world = world_make()
    twin = newborn_make(birth=world["birth"], suffix="x", personal_number="4599999999", birth_order=2)
    big_x = world["newborn"]

    for wanted, other in ((big_x, twin), (twin, big_x)):
        response = admin_client.get(changelist(Newborn), {"q": wanted.temp_id})

        assert list(response.context["cl"].result_list) == [wanted], wanted.temp_id
        assert other not in response.context["cl"].result_list


@pytest.mark.django_db
def test_it_does_not_find_a_temp_id_by_a_part_of_it(admin_client):
    world = world_make()

    response = admin_client.get(changelist(Newborn), {"q": world["newborn"].temp_id[-6:]})

    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_it_finds_issued_numbers_and_operators_by_full_number(admin_client):
    world = world_make()
    world_make(1)

    issued = admin_client.get(changelist(IssuedTemporaryId), {"q": world["newborn"].temp_id})
    operators = admin_client.get(changelist(Operator), {"q": world["operator"].id_number})

    assert list(issued.context["cl"].result_list) == [world["newborn"].issued_id]
    assert list(operators.context["cl"].result_list) == [world["operator"]]


@pytest.mark.django_db
def test_the_operators_list_leaves_out_an_api_clients_service_account(admin_client):
    from registration.services.api_clients import api_client_create

    world = world_make()
    client, _ = api_client_create(
        name="南宁HIS", hospital=world["operator"].hospital, scopes=["records:read"]
    )

    operators = admin_client.get(changelist(Operator))

    assert list(operators.context["cl"].result_list) == [world["operator"]]
    assert admin_client.get(change(client.user.operator)).status_code == 302  # to the index: no such operator


# Nothing is deleted


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_it_refuses_to_delete(admin_client, model):
    world_make()
    obj = model.objects.first()

    page = admin_client.get(reverse(f"admin:registration_{model._meta.model_name}_delete", args=[obj.pk]))
    action = admin_client.post(
        changelist(model), {"action": "delete_selected", "_selected_action": [obj.pk], "index": 0}
    )

    assert page.status_code == 403
    assert action.status_code in (200, 302, 403)
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_it_offers_no_delete_action(admin_client, model):
    world_make()

    response = admin_client.get(changelist(model))

    action_form = response.context["action_form"]
    choices = [name for name, _ in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in choices


# The audit log


@pytest.mark.django_db
def test_it_shows_an_audit_entry_without_a_save_button(admin_client):
    world = world_make()

    response = admin_client.get(change(world["entry"]))

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_to_change_or_add_an_audit_entry(admin_client):
    entry = world_make()["entry"]

    changed = admin_client.post(change(entry), {"action": "admin", "reason": "rewritten"})
    added = admin_client.get(reverse("admin:registration_auditentry_add"))

    assert changed.status_code == 403
    assert added.status_code == 403
    entry.refresh_from_db()
    assert (entry.action, entry.reason) == (AuditEntry.Action.REGISTER, "")


@pytest.mark.django_db
def test_it_filters_the_audit_log_by_action_and_hospital(admin_client):
    world = world_make()
    world_make(1)

    response = admin_client.get(
        changelist(AuditEntry), {"action__exact": "register", "hospital__id__exact": world["hospital"].pk}
    )

    assert list(response.context["cl"].result_list) == [world["entry"]]


@pytest.mark.django_db
def test_it_filters_newborns_and_payments_by_the_newborns_hospital(admin_client):
    world = world_make()
    world_make(1)
    hospital = world["hospital"].pk

    newborns = admin_client.get(changelist(Newborn), {"hospital__id__exact": hospital})
    payments = admin_client.get(changelist(Payment), {"newborn__hospital__id__exact": hospital})

    assert list(newborns.context["cl"].result_list) == [world["newborn"]]
    assert list(payments.context["cl"].result_list) == [world["payment"]]
    assert world["hospital"].name in newborns.content.decode()


# Full numbers are shown on a record's own page, and each view is logged


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["newborn", "birth"])
def test_it_logs_each_view_of_a_page_with_full_ids(admin_client, admin_user, key):
    world = world_make()
    obj = world[key]

    first = admin_client.get(change(obj))
    admin_client.get(change(obj))

    assert world["newborn"].temp_id[:18] in first.content.decode()
    views = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID, object_id=str(obj.pk))
    assert views.count() == 2
    entry = views.first()
    assert (entry.user, entry.hospital, entry.object_type) == (
        admin_user,
        world["hospital"],
        obj._meta.label_lower,
    )
    assert entry.ip == "127.0.0.1"
    assert world["newborn"].temp_id not in entry.object_repr


@pytest.mark.django_db
def test_it_shows_the_full_temp_id_on_the_newborns_page(admin_client):
    newborn = world_make()["newborn"]

    content = admin_client.get(change(newborn)).content.decode()

    assert newborn.temp_id in content
    assert AuditEntry.objects.get(action=AuditEntry.Action.VIEW_ID).newborn == newborn


@pytest.mark.django_db
def test_it_logs_a_view_of_an_issued_number_without_storing_it(admin_client):
    newborn = world_make()["newborn"]

    content = admin_client.get(change(newborn.issued_id)).content.decode()

    assert newborn.temp_id in content
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_ID)
    assert entry.newborn == newborn
    assert newborn.temp_id[:18] not in entry.object_repr


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Newborn, Birth, Payment])
def test_it_refuses_to_add_records_that_only_services_create(admin_client, model):
    response = admin_client.get(reverse(f"admin:registration_{model._meta.model_name}_add"))

    assert response.status_code == 403


@pytest.mark.django_db
def test_it_keeps_identity_and_state_of_a_newborn_read_only(admin_client, admin_user):
    newborn = world_make()["newborn"]
    data = {
        "ethnicity": "01",
        "nationality": "CHN",
        "household_address": "广西南宁市青秀区新竹路2号",
        "household_type": "30",
        "phone": "139 7711 5432",
        "special_group": "low_income",
        "temp_id": newborn.temp_id[:-1] + "A",
        "personal_number": "4512345678",
        "state": Newborn.State.VOID,
        "payments-TOTAL_FORMS": "1",
        "payments-INITIAL_FORMS": "1",
        "payments-MIN_NUM_FORMS": "0",
        "payments-MAX_NUM_FORMS": "1000",
    }

    response = admin_client.post(change(newborn), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    saved = Newborn.objects.get(pk=newborn.pk)
    assert (saved.temp_id, saved.personal_number, saved.state) == (
        newborn.temp_id,
        newborn.personal_number,
        Newborn.State.REGISTERED,
    )
    assert (saved.household_address, saved.phone, saved.special_group) == (
        "广西南宁市青秀区新竹路2号",
        "13977115432",
        "low_income",
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADMIN)
    assert entry.user == admin_user
    assert entry.newborn == saved
    assert entry.detail["fields"] == ["household_address", "phone"]
    # The special group is saved through its service, which writes its own entry (as the record's page).
    flagged = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert (flagged.detail["old"], flagged.detail["new"]) == ("", "low_income")


@pytest.mark.django_db
def test_an_admin_save_writes_only_what_its_form_changed(admin_user, rf):
    from types import SimpleNamespace

    from django.contrib import admin

    from registration.admin.records import NewbornAdmin

    newborn = world_make()["newborn"]
    stale = Newborn.objects.get(pk=newborn.pk)  # as the change page's request read it
    # Meanwhile another request records a payment: the state and the reports' copy of its day change.
    Newborn.objects.filter(pk=newborn.pk).update(
        state=Newborn.State.PAID, benefit_start=newborn.birth_date, first_paid_on=date(2026, 5, 1)
    )
    stale.phone = "13977115432"
    request = rf.post("/admin/")
    request.user = admin_user

    form = SimpleNamespace(changed_data=["phone"], initial={"phone": newborn.phone}, cleaned_data={})
    NewbornAdmin(Newborn, admin.site).save_model(request, stale, form, change=True)

    saved = Newborn.objects.get(pk=newborn.pk)
    assert (saved.phone, saved.state, saved.first_paid_on) == (
        "13977115432",
        Newborn.State.PAID,
        date(2026, 5, 1),
    )


INLINE_EMPTY = [
    ("TOTAL_FORMS", "0"),
    ("INITIAL_FORMS", "0"),
    ("MIN_NUM_FORMS", "0"),
    ("MAX_NUM_FORMS", "1000"),
]


@pytest.mark.django_db
def test_a_births_hospital_stays_read_only_so_its_newborns_never_differ(admin_client):
    # Newborn.hospital is the birth's, denormalized: no page may move a birth to another hospital.
    world, other = world_make(), world_make(1)
    birth = world["birth"]
    data = {
        "hospital": other["hospital"].pk,
        "mother_phone": "13877110000",
        "father_phone": "",
        "birth_hospital_name": birth.birth_hospital_name,
        **{f"{prefix}-{key}": value for prefix in ("newborns", "materials") for key, value in INLINE_EMPTY},
    }
    data["newborns-TOTAL_FORMS"] = data["newborns-INITIAL_FORMS"] = "1"
    data["materials-TOTAL_FORMS"] = data["materials-INITIAL_FORMS"] = "1"

    response = admin_client.post(change(birth), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    birth.refresh_from_db()
    assert birth.mother_phone == "13877110000"
    assert birth.hospital == world["hospital"]
    assert set(birth.newborns.values_list("hospital_id", flat=True)) == {world["hospital"].pk}


@pytest.mark.django_db
def test_it_never_links_to_a_materials_file(admin_client):
    material = world_make()["material"]

    for url in (changelist(Material), change(material), change(material.birth)):
        content = admin_client.get(url).content.decode()

        assert "private-scan" not in content, url
        assert material.original_name in content, url


# Operators


def operator_data(operator: Operator, **changes) -> dict:
    data = {
        "hospital": operator.hospital.pk,
        "role": operator.role,
        "real_name": operator.real_name,
        "id_number": operator.id_number,
        "phone": operator.phone,
        "access": operator.access,
        "remark": operator.remark,
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_it_logs_a_change_of_module_access(admin_client, admin_user):
    operator = world_make()["operator"]

    response = admin_client.post(
        change(operator),
        operator_data(operator, access=Operator.Access.WITHDRAWN, access_change_reason="离职"),
    )

    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.access == Operator.Access.WITHDRAWN
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS)
    assert (entry.user, entry.hospital, entry.object_id) == (admin_user, operator.hospital, str(operator.pk))
    assert entry.detail == {"from": "granted", "to": "withdrawn"}
    assert entry.reason == operator.access_reason == "离职"
    # Nothing else changed: the ACCESS entry is the whole story.
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ADMIN).exists()


@pytest.mark.django_db
def test_it_logs_no_access_change_when_access_stays(admin_client):
    operator = world_make()["operator"]

    response = admin_client.post(change(operator), operator_data(operator, remark="产科"))

    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).exists()
    assert AuditEntry.objects.get(action=AuditEntry.Action.ADMIN).detail["fields"] == ["remark"]


@pytest.mark.django_db
def test_it_refuses_an_operator_with_an_invalid_id_number(admin_client):
    operator = world_make()["operator"]
    wrong = with_wrong_check_digit(operator.id_number)

    response = admin_client.post(change(operator), operator_data(operator, id_number=wrong))

    assert response.status_code == 200
    assert "id_number" in response.context["adminform"].form.errors
    operator.refresh_from_db()
    assert operator.id_number != wrong


# The register of issued numbers


def issued_data(number: str) -> dict:
    return {"number": number, "issued_at_0": "2025-06-01", "issued_at_1": "10:00:00", "note": "外系统签发"}


@pytest.mark.django_db
def test_it_adds_a_number_issued_outside_the_system(admin_client):
    parent = world_make()["parent"]

    response = admin_client.post(
        reverse("admin:registration_issuedtemporaryid_add"), issued_data(parent.id_number + "x")
    )

    assert response.status_code == 302
    issued = IssuedTemporaryId.objects.get(number=parent.id_number + "x")
    assert (issued.parent, issued.suffix, issued.newborn) == (parent, "x", None)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADMIN)
    assert parent.id_number not in entry.object_repr
    assert entry.detail["model"] == "registration.issuedtemporaryid"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "number",
    [
        pytest.param(id_number(order="998") + "A", id="unknown parent"),
        pytest.param(id_number(order="002") + "X", id="already issued"),
        pytest.param(id_number(order="002") + "1", id="no letter"),
        pytest.param(with_wrong_check_digit(id_number(order="002")) + "A", id="bad checksum"),
        pytest.param(id_number(order="002"), id="no suffix"),
    ],
)
def test_it_refuses_an_invalid_issued_number(admin_client, number):
    world_make()
    before = IssuedTemporaryId.objects.count()

    response = admin_client.post(reverse("admin:registration_issuedtemporaryid_add"), issued_data(number))

    assert response.status_code == 200
    assert "number" in response.context["adminform"].form.errors
    assert IssuedTemporaryId.objects.count() == before


@pytest.mark.django_db
def test_it_lets_only_the_note_of_an_issued_number_change(admin_client):
    issued = world_make()["newborn"].issued_id

    response = admin_client.post(change(issued), {"number": "450103199003070029A", "note": "核对过"})

    assert response.status_code == 302
    issued.refresh_from_db()
    assert (issued.note, issued.number[-1]) == ("核对过", "X")


# Divisions: 16,000+ rows, never loaded into a select box


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        lambda w: change(w["hospital"]),
        lambda w: reverse("admin:registration_hospital_add"),
        lambda w: change(w["village"]),
        lambda w: reverse("admin:registration_insuranceagency_add"),
    ],
    ids=["hospital", "hospital add", "division", "agency add"],
)
def test_it_picks_divisions_by_autocomplete(admin_client, url):
    world = world_make()
    unrelated = village_make("450103001999")

    response = admin_client.get(url(world))

    assert response.status_code == 200
    content = response.content.decode()
    assert "admin-autocomplete" in content
    assert unrelated.full_name not in content


@pytest.mark.django_db
def test_it_finds_a_division_by_code_prefix_in_the_autocomplete(admin_client):
    world = world_make()
    query = {"app_label": "registration", "model_name": "hospital", "field_name": "division"}

    response = admin_client.get(reverse("admin:autocomplete"), {**query, "term": "450103001"})

    found = {result["id"] for result in response.json()["results"]}
    assert str(world["village"].pk) in found
    assert str(world["village"].parent.parent.pk) not in found


@pytest.mark.django_db
def test_it_shows_the_admin_index(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "新生儿预参保登记" in response.content.decode()


# --- django-axes in Chinese (issue 14, item 12) ---------------------------------------------------------

LOCALE_DIR = Path(__file__).resolve().parents[3] / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.django_db
def test_the_axes_models_are_named_in_chinese_in_the_admin(admin_client):
    index = admin_client.get("/admin/").content.decode()
    for name in ("登录限制（失败登录与锁定）", "登录失败计数", "登录失败记录", "登录记录"):
        assert name in index, name
    assert "Access attempts" not in index and "Access logs" not in index and ">Axes<" not in index

    from axes.models import AccessAttempt, AccessLog

    request = {"username": "clerk", "ip_address": "10.0.0.1", "user_agent": "ua", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        **request, path_info="/login/", get_data="", post_data="", failures_since_start=2
    )
    AccessLog.objects.create(**request, path_info="/login/")
    attempts = admin_client.get("/admin/axes/accessattempt/").content.decode()
    for column in ("尝试时间", "IP 地址", "用户名", "路径", "失败次数"):
        assert column in attempts, column
    assert "3 次尝试机会剩余" in attempts  # AXES_FAILURE_LIMIT 5, 2 failures
    assert "Attempt Time" not in attempts and "Failed Logins" not in attempts
    logs = admin_client.get("/admin/axes/accesslog/").content.decode()
    assert "退出时间" in logs and "Logout Time" not in logs


def test_the_compiled_catalog_matches_its_source():
    # Django reads only the .mo: it must hold exactly what the committed .po says.
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    with open(LOCALE_DIR / "django.po", "rb") as po, open(LOCALE_DIR / "django.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    expected = {message.id: message.string for message in source if message.id}
    assert {message.id: message.string for message in compiled if message.id} == expected
    assert all(expected.values())


@pytest.mark.django_db
def test_a_changelist_search_is_posted_and_its_url_holds_a_token_not_the_number(admin_client):
    # Issue 23, item 4: the admin's search box takes ID numbers too (docs/privacy.md, Logs and URLs).
    world = world_make()
    world_make(1)
    wanted = world["newborn"]

    form = admin_client.get(changelist(Newborn)).content.decode()
    posted = admin_client.post(
        changelist(Newborn), {"q": wanted.temp_id, "_search_post": "1", "state": "registered"}
    )

    assert 'id="changelist-search" method="post"' in form
    assert posted.status_code == 302
    location = posted["Location"]
    assert wanted.temp_id not in location and "search=" in location and "state=registered" in location
    found = admin_client.get(location)
    assert list(found.context["cl"].result_list) == [wanted]
    links = found.content.decode()
    assert f"q={wanted.temp_id}" not in links  # pages, filters and sorting carry the token
    assert found.context["cl"].get_query_string({"p": 2}).count("search=") == 1


def test_a_scans_kind_changed_in_the_admin_says_whether_its_registration_still_lacks_one(admin_client):
    # The quality page counts the registrations still lacking a scan from Birth.materials_pending.
    world = world_make()
    material, birth = world["material"], world["birth"]
    Material.objects.create(
        birth=birth,
        kind=Material.Kind.BIRTH_RECORD,
        file="materials/2026/03/second.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="1" * 64,
        uploaded_by=material.uploaded_by,
    )

    response = admin_client.post(change(material), {"kind": Material.Kind.ID_CARD})

    assert response.status_code == 302
    birth.refresh_from_db()
    assert birth.materials_pending is False
    admin_client.post(change(material), {"kind": Material.Kind.BIRTH_RECORD})
    birth.refresh_from_db()
    assert birth.materials_pending is True
