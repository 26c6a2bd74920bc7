"""newborn_register: the happy paths, every refusal, the constraints behind it, idempotency."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from registration.models import AuditEntry, Birth, IssuedTemporaryId, Material, Newborn, Operator, Parent
from registration.rules import SUFFIXES
from registration.services import Sex
from registration.services.birth_materials import MaterialInput
from registration.services.lifecycle import newborn_void
from registration.services.newborns import (
    WARNING_AGENCY,
    WARNING_CODES,
    WARNING_DUPLICATE,
    WARNING_PARENT_NAME,
    AgencyWarning,
    BabyInput,
    ParentInput,
    RegistrationWarning,
)
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID, TODAY, register
from tests.registration.services.conftest import png_bytes, scans

pytestmark = pytest.mark.django_db


def girls(count):
    return [BabyInput(Sex.FEMALE, TODAY - timedelta(days=4))] * count


def test_it_registers_a_single_girl_with_X_and_her_name(clerk):
    birth = register(clerk)
    [newborn] = birth.newborns.all()
    assert newborn.temp_id == MOTHER_ID + "X"
    assert newborn.name == "张三之女"
    assert newborn.state == Newborn.State.REGISTERED
    assert newborn.last_day == date(2026, 5, 25)  # born 2026-02-26
    assert len(newborn.personal_number) == 10
    assert birth.hospital == clerk.operator.hospital
    assert birth.mother_id_number == MOTHER_ID and birth.father_id_number == FATHER_ID


def test_it_registers_twin_girls_X_then_x_in_birth_order(clerk):
    birth = register(clerk, babies=girls(2))
    assert [(n.birth_order, n.temp_id[-1]) for n in birth.newborns.order_by("birth_order")] == [
        (1, "X"),
        (2, "x"),
    ]


def test_it_gives_a_mothers_next_daughter_x_even_at_another_hospital(clerk):
    register(clerk)
    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45010300002", name="广西妇幼保健院")
    ).user
    birth = register(other, today=TODAY + timedelta(days=1))
    assert birth.newborns.get().temp_id == MOTHER_ID + "x"


def test_each_baby_carries_its_births_hospital(clerk):
    # Newborn.hospital is the birth's, denormalized: the scope and the lists' indexes read it.
    other = factories.operator_make(
        username="other", hospital=factories.hospital_make(code="H45010300002", name="广西妇幼保健院")
    ).user
    births = [register(clerk, babies=girls(2)), register(other, today=TODAY + timedelta(days=1))]

    for birth, user in zip(births, (clerk, other), strict=True):
        assert {newborn.hospital_id for newborn in birth.newborns.all()} == {user.operator.hospital_id}
        assert birth.hospital_id == user.operator.hospital_id


@pytest.mark.postgres
@pytest.mark.parametrize("row", ["newborn", "birth"])
def test_the_composite_key_refuses_a_newborn_whose_hospital_is_not_its_births(clerk, row):
    # Migration 0018: (birth_id, hospital_id) references the birth's (id, hospital_id), so neither a newborn
    # moved to another hospital nor a birth moved without its newborns can be saved.
    newborn = register(clerk).newborns.get()
    other = factories.hospital_make(code="H45010300002", name="广西妇幼保健院")
    changed = (
        Newborn.objects.filter(pk=newborn.pk)
        if row == "newborn"
        else Birth.objects.filter(pk=newborn.birth_id)
    )
    with pytest.raises(IntegrityError, match="registration_newborn_birth_hospital_fk"), transaction.atomic():
        changed.update(hospital=other)
    newborn.refresh_from_db()
    assert newborn.hospital_id == newborn.birth.hospital_id == clerk.operator.hospital_id


def test_it_uses_the_fathers_id_and_name_for_a_boy(clerk):
    birth = register(clerk, parent_role="father", babies=[BabyInput(Sex.MALE, TODAY)])
    newborn = birth.newborns.get()
    assert (newborn.temp_id, newborn.name) == (FATHER_ID + "Y", "李四之子")
    assert birth.parent.id_number == FATHER_ID


def test_it_skips_letters_issued_outside_the_system(clerk):
    parent = Parent.objects.create(id_number=MOTHER_ID, name="张三")
    IssuedTemporaryId.objects.create(
        number=MOTHER_ID + "X", parent=parent, suffix="X", issued_at="2024-01-01T00:00Z"
    )
    assert register(clerk).newborns.get().temp_id == MOTHER_ID + "x"


def test_it_refuses_when_every_letter_is_used(clerk):
    parent = Parent.objects.create(id_number=MOTHER_ID, name="张三")
    for letter in SUFFIXES[Sex.FEMALE]:
        IssuedTemporaryId.objects.create(
            number=MOTHER_ID + letter, parent=parent, suffix=letter, issued_at="2024-01-01T00:00Z"
        )
    with pytest.raises(ValidationError, match="已全部签发"):
        register(clerk)
    assert not Newborn.objects.exists() and not Birth.objects.exists()


def test_it_issues_distinct_personal_numbers_and_audits_each_baby(clerk):
    register(clerk, babies=girls(3))
    numbers = set(Newborn.objects.values_list("personal_number", flat=True))
    assert len(numbers) == 3
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REGISTER)
    assert entries.count() == 3
    assert all(MOTHER_ID not in entry.object_repr and "*****" in entry.object_repr for entry in entries)
    assert {entry.user for entry in entries} == {clerk}


def test_it_registers_by_birth_certificate_without_a_letter(clerk):
    birth = register(
        clerk,
        route="birth_certificate",
        babies=[BabyInput(Sex.MALE, TODAY, "q450123456"), BabyInput(Sex.FEMALE, TODAY, "Q450123457")],
    )
    assert [(n.temp_id, n.birth_certificate_number) for n in birth.newborns.order_by("birth_order")] == [
        (None, "Q450123456"),
        (None, "Q450123457"),
    ]
    assert not IssuedTemporaryId.objects.exists()


def test_it_refuses_a_birth_certificate_number_registered_before(clerk):
    register(clerk, route="birth_certificate", babies=[BabyInput(Sex.MALE, TODAY, "Q450123456")])
    with pytest.raises(ValidationError, match="已经登记过"):
        register(clerk, route="birth_certificate", babies=[BabyInput(Sex.MALE, TODAY, "Q450123456")])


def test_it_lists_every_problem_at_once_by_field(clerk):
    with pytest.raises(ValidationError) as excinfo:
        register(
            clerk,
            mother=ParentInput("", FATHER_ID, "123"),
            babies=[
                BabyInput(Sex.FEMALE, TODAY - timedelta(days=200)),
                BabyInput(Sex.FEMALE, TODAY + timedelta(1)),
            ],
            has_household_registration=True,
            parent_has_guangxi_household=False,
        )
    errors = excinfo.value.message_dict
    assert set(errors) == {
        "mother.id_number",
        "mother.name",
        "mother.phone",
        "babies.0.birth_date",
        "babies.1.birth_date",
        "has_household_registration",
        "parent_has_guangxi_household",
    }
    assert (
        "第1名新生儿" in errors["babies.0.birth_date"][0]
        and "不属于预参保登记范围" in errors["babies.0.birth_date"][0]
    )
    assert not Birth.objects.exists()


def test_it_refuses_a_hospital_without_a_maternity_ward(clerk):
    hospital = clerk.operator.hospital
    hospital.has_maternity_ward = False
    hospital.save(update_fields=["has_maternity_ward"])
    with pytest.raises(ValidationError, match="未设产科"):
        register(clerk)


def test_it_refuses_a_user_without_module_access(clerk):
    Operator.objects.filter(user=clerk).update(access=Operator.Access.REQUESTED)
    clerk.refresh_from_db()
    with pytest.raises(PermissionDenied, match="尚未开通"):
        register(clerk)


def test_it_refuses_a_user_who_is_no_operator():
    factories.division_chain()
    with pytest.raises(PermissionDenied):
        register(factories.user_make("admin", is_staff=True))


def test_it_warns_of_an_agency_mismatch_until_the_clerk_confirms(clerk):
    # A mother whose ID was issued in Guilin (450300) registering her baby in a Nanning community.
    guilin_mother = factories.id_number(region="450302", order="002")
    factories.division_chain("450302001001", ("广西壮族自治区", "桂林市", "秀峰区", "秀峰街道", "某社区"))
    factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))
    kwargs = {"mother": ParentInput("张三", guilin_mother)}
    with pytest.raises(AgencyWarning, match="桂林市医疗保障事业管理中心"):
        register(clerk, **kwargs)
    assert not Birth.objects.exists()
    birth = register(clerk, confirmed_warnings=WARNING_CODES, **kwargs)
    assert birth.agency.code == "450100" and birth.parent_agency.code == "450300"
    assert birth.agency_warning_confirmed


def test_it_warns_when_no_agency_is_found_for_the_parent(clerk):
    with pytest.raises(AgencyWarning, match="未能根据"):
        register(clerk, mother=ParentInput("张三", factories.id_number(region="110101", order="002")))


def test_a_repeated_request_key_registers_the_birth_once(clerk):
    key = uuid.uuid4()
    first = register(clerk, request_key=key, babies=girls(2))
    again = register(clerk, request_key=key, babies=girls(2))
    assert again.pk == first.pk
    assert Newborn.objects.count() == 2


def test_another_clerks_request_key_is_refused(clerk):
    key = uuid.uuid4()
    register(clerk, request_key=key)
    other = factories.operator_make(username="other", hospital=clerk.operator.hospital).user
    with pytest.raises(ValidationError, match="提交标识无效"):
        register(other, request_key=key)


def test_it_stores_materials_by_content_under_a_random_name(clerk):
    content = png_bytes()
    birth = register(clerk, materials=[MaterialInput("household_head", content, "张三户口本.jpg")])
    material = birth.materials.get()
    assert material.content_type == "image/png" and material.size == len(content)
    assert "张三" not in material.file.name and material.file.name.endswith(".png")
    with default_storage.open(material.file.name) as stored:
        assert stored.read() == content


def test_a_bad_material_refuses_the_registration_and_stores_nothing(clerk):
    with pytest.raises(ValidationError) as excinfo:
        register(
            clerk,
            materials=[
                MaterialInput("household_head", png_bytes(), "a.png"),
                MaterialInput("birth_record", b"GIF89a...", "b.gif"),
            ],
        )
    assert "b.gif：只能上传" in excinfo.value.message_dict["materials.1"][0]
    assert not Material.objects.exists()
    assert not default_storage.exists("materials") or not any(default_storage.listdir("materials")[0])


def test_a_failure_inside_the_transaction_removes_the_stored_files(clerk, monkeypatch):
    from registration.services import newborns

    def explode(**kwargs):
        raise IntegrityError("simulated")

    # The audit entries are the transaction's last rows: the birth and its babies are written by then.
    monkeypatch.setattr(newborns, "audit_entries_build", explode)
    with pytest.raises(ValidationError, match="未保存任何内容"):
        register(clerk, materials=[MaterialInput("household_head", png_bytes(), "a.png")])
    assert not Birth.objects.exists()
    stored = [name for name in _walk("materials")]
    assert stored == []


def _walk(path):
    if not default_storage.exists(path):
        return
    dirs, files = default_storage.listdir(path)
    yield from (f"{path}/{name}" for name in files)
    for directory in dirs:
        yield from _walk(f"{path}/{directory}")


# The database constraints behind the services (both SQLite and PostgreSQL run these).


def test_temp_ids_differing_only_in_case_are_two_babies_but_a_repeat_is_refused(clerk):
    newborn = register(clerk).newborns.get()
    twin = Newborn.objects.get(pk=newborn.pk)
    twin.pk, twin.birth_order, twin.temp_id, twin.personal_number = None, 2, MOTHER_ID + "x", "4500000999"
    twin.save()
    assert Newborn.objects.filter(temp_id=MOTHER_ID + "x").count() == 1
    assert Newborn.objects.filter(temp_id=MOTHER_ID + "X").count() == 1
    twin.pk, twin.birth_order, twin.temp_id, twin.personal_number = None, 3, MOTHER_ID + "X", "4500000998"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_register_refuses_a_number_issued_twice_but_keeps_case_apart(clerk):
    parent = Parent.objects.create(id_number=MOTHER_ID, name="张三")
    IssuedTemporaryId.objects.create(
        number=MOTHER_ID + "X", parent=parent, suffix="X", issued_at="2024-01-01T00:00Z"
    )
    IssuedTemporaryId.objects.create(
        number=MOTHER_ID + "x", parent=parent, suffix="x", issued_at="2024-01-01T00:00Z"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedTemporaryId.objects.create(
            number=MOTHER_ID + "X", parent=parent, suffix="X", issued_at="2024-01-01T00:00Z"
        )


def test_the_register_refuses_a_suffix_that_is_not_the_numbers_last_letter(clerk):
    parent = Parent.objects.create(id_number=MOTHER_ID, name="张三")
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedTemporaryId.objects.create(
            number=MOTHER_ID + "X", parent=parent, suffix="x", issued_at="2024-01-01T00:00Z"
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"state": "void"},  # void without a reason
        {"state": "formalized"},  # formalized without a real ID
        {"state": "paid"},  # paid without a benefit start
        {"temp_id": None},  # neither identity
        {"personal_number": "123"},
        {"sex": 3},
    ],
)
def test_the_newborn_constraints_refuse_inconsistent_rows(clerk, changes):
    newborn = register(clerk).newborns.get()
    for field, value in changes.items():
        setattr(newborn, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        newborn.save()


def strict(**overrides) -> dict:
    """Registration arguments that neither defer the scans nor confirm any warning."""
    return {"materials_deferred": False, "confirmed_warnings": (), **overrides}


def test_it_refuses_a_registration_without_scans_unless_deferred(clerk):
    with pytest.raises(ValidationError) as raised:
        register(clerk, **strict())
    assert len(raised.value.message_dict["materials"]) == 2
    assert not Birth.objects.exists()

    birth = register(clerk, **strict(materials_deferred=True))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTER)
    assert birth.materials.count() == 0 and entry.detail["materials_deferred"] is True


def test_it_registers_with_the_id_card_and_the_birth_record(clerk):
    birth = register(clerk, **strict(materials=scans("id_card", "birth_record")))

    assert sorted(birth.materials.values_list("kind", flat=True)) == ["birth_record", "id_card"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTER)
    assert entry.detail["materials"] == 2 and entry.detail["materials_deferred"] is False


def test_a_bad_scan_does_not_count_towards_the_required_ones(clerk):
    materials = [
        *scans("household_head", "household_parent"),
        MaterialInput("birth_record", b"<html>", "x.png"),
    ]
    with pytest.raises(ValidationError) as raised:
        register(clerk, **strict(materials=materials))
    errors = raised.value.message_dict
    assert "materials.2" in errors
    assert errors["materials"] == ["请上传出生记录（产时记录、产科登记表）或出生医学证明。"]


def test_it_warns_of_a_possible_duplicate_and_registers_once_confirmed(clerk):
    first = register(clerk).newborns.get()
    with pytest.raises(RegistrationWarning) as raised:
        register(clerk, **strict(materials_deferred=True))
    assert raised.value.codes == [WARNING_DUPLICATE]
    message = raised.value.messages[0]
    assert "可能重复登记" in message and first.personal_number in message and first.name in message
    assert Newborn.objects.count() == 1

    second = register(clerk, **strict(materials_deferred=True, confirmed_warnings=[WARNING_DUPLICATE]))
    assert second.newborns.get().temp_id == MOTHER_ID + "x"


def test_a_duplicate_is_found_through_the_other_parents_id_too(clerk):
    register(clerk)  # the mother's ID; the father's is recorded too
    kwargs = strict(
        materials_deferred=True,
        parent_role="father",
        babies=[BabyInput(Sex.MALE, TODAY - timedelta(days=4))],
    )
    with pytest.raises(RegistrationWarning) as raised:
        register(clerk, **kwargs)
    assert raised.value.codes == [WARNING_DUPLICATE]


def test_no_duplicate_warning_for_another_birth_date_or_a_void_registration(clerk):
    first = register(clerk).newborns.get()
    register(
        clerk, **strict(materials_deferred=True, babies=[BabyInput(Sex.FEMALE, TODAY - timedelta(days=5))])
    )

    newborn_void(newborn=first, user=clerk, reason="登记错误")
    other = factories.operator_make(username="other", hospital=clerk.operator.hospital).user
    assert register(other, **strict(materials_deferred=True)).newborns.count() == 1


def test_it_warns_when_the_parents_name_differs_from_the_earlier_registration(clerk):
    register(clerk)
    kwargs = strict(
        materials_deferred=True,
        mother=ParentInput("张叁", MOTHER_ID, "13877112345"),
        babies=[BabyInput(Sex.FEMALE, TODAY - timedelta(days=10))],
    )
    with pytest.raises(RegistrationWarning) as raised:
        register(clerk, **kwargs)
    assert raised.value.codes == [WARNING_PARENT_NAME]
    assert "「张叁」" in raised.value.messages[0] and "张三" not in raised.value.messages[0]

    birth = register(clerk, **{**kwargs, "confirmed_warnings": [WARNING_PARENT_NAME]})
    assert birth.newborns.get().name == "张叁之女"


def test_every_warning_comes_at_once_and_the_agencys_keeps_its_class(clerk):
    guilin_mother = factories.id_number(region="450302", order="002")
    factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))
    kwargs = {"mother": ParentInput("张三", guilin_mother), "confirmed_warnings": WARNING_CODES}
    register(clerk, **kwargs)
    kwargs = strict(materials_deferred=True, mother=ParentInput("王五", guilin_mother))

    with pytest.raises(AgencyWarning) as raised:
        register(clerk, **kwargs)
    assert raised.value.codes == [WARNING_AGENCY, WARNING_DUPLICATE, WARNING_PARENT_NAME]

    with pytest.raises(RegistrationWarning) as raised:
        register(clerk, **{**kwargs, "confirmed_warnings": [WARNING_AGENCY, WARNING_DUPLICATE]})
    assert not isinstance(raised.value, AgencyWarning) and raised.value.codes == [WARNING_PARENT_NAME]

    confirmed = [WARNING_AGENCY, WARNING_DUPLICATE, WARNING_PARENT_NAME]
    birth = register(clerk, **{**kwargs, "confirmed_warnings": confirmed})
    assert birth.agency_warning_confirmed


def test_a_parents_name_the_card_cannot_print_is_refused(clerk):
    with pytest.raises(ValidationError) as raised:
        register(clerk, mother=ParentInput("陳美玲\U0001f600", MOTHER_ID, "13877112345"))
    [message] = raised.value.message_dict["mother.name"]
    assert "「陳」" in message and "「\U0001f600」" in message and "无法打印在登记卡上" in message
    assert not Birth.objects.exists()


def test_the_rare_characters_of_guangxi_names_are_accepted(clerk):
    birth = register(clerk, mother=ParentInput("禤\U00020bb7覃", MOTHER_ID, "13877112345"))
    assert birth.newborns.get().name == "禤\U00020bb7覃之女"


def test_a_saved_submit_sent_again_returns_its_registration_whatever_it_now_lacks(clerk):
    # The first submit moved its scans and issued the numbers; the same submit again would be a duplicate
    # without scans: the request key makes it the same registration.
    key = uuid.uuid4()
    first = register(clerk, **strict(materials=scans("id_card", "birth_record"), request_key=key))
    again = register(clerk, **strict(request_key=key))

    assert again.pk == first.pk
    assert Newborn.objects.count() == 1 and Material.objects.count() == 2


ELSEWHERE = "该父（母）亲身份证号码在其他医疗机构已有同一出生日期的新生儿登记，请与家属核实后再继续"


def strict_deferred(**overrides) -> dict:
    return {"materials_deferred": True, "confirmed_warnings": (), **overrides}


def _leaks(message: str, newborn) -> list[str]:
    """What of the other hospital's record a message names."""
    stored = [
        newborn.name,
        newborn.personal_number,
        newborn.birth.hospital.name,
        newborn.get_state_display(),
        f"{newborn.birth_date.month}月{newborn.birth_date.day}日",
        newborn.temp_id,
    ]
    return [value for value in stored if value and value in message]


def test_another_hospitals_duplicate_is_said_to_exist_never_described(clerk, other_clerk):
    first = register(clerk).newborns.get()  # 张三's daughter at the first hospital

    with pytest.raises(RegistrationWarning) as raised:
        register(other_clerk, **strict_deferred())

    assert raised.value.codes == [WARNING_DUPLICATE]
    message = raised.value.messages[0]
    assert ELSEWHERE in message
    assert _leaks(message, first) == []


def test_the_own_hospitals_duplicate_is_still_described(clerk):
    first = register(clerk).newborns.get()
    colleague = factories.operator_make(username="colleague", hospital=clerk.operator.hospital).user

    with pytest.raises(RegistrationWarning) as raised:
        register(colleague, **strict_deferred())

    message = raised.value.messages[0]
    assert first.personal_number in message and first.name in message and ELSEWHERE not in message


def test_another_hospitals_history_stays_hidden_when_the_name_disagrees(clerk, other_clerk):
    first = register(clerk).newborns.get()
    kwargs = strict_deferred(mother=ParentInput("王五", MOTHER_ID, ""), father=ParentInput("", "", ""))

    with pytest.raises(RegistrationWarning) as raised:
        register(other_clerk, **kwargs)

    # The ID card is to be checked; no duplicate, no earlier name: nothing of the record.
    assert raised.value.codes == [WARNING_PARENT_NAME]
    message = raised.value.messages[0]
    assert "「王五」" in message and "张三" not in message and _leaks(message, first) == []
    # Eight candidate birth dates tell nothing either.
    babies = [BabyInput(Sex.FEMALE, TODAY - timedelta(days=days)) for days in range(1, 9)]
    with pytest.raises(RegistrationWarning) as raised:
        register(other_clerk, **{**kwargs, "babies": babies})
    assert raised.value.codes == [WARNING_PARENT_NAME]


def test_a_duplicate_through_the_other_parent_needs_that_parents_name_to_agree(clerk, other_clerk):
    register(clerk)  # the father 李四 recorded with his number
    kwargs = strict_deferred(parent_role="father", mother=ParentInput("", "", ""))

    with pytest.raises(RegistrationWarning) as raised:
        register(other_clerk, **{**kwargs, "father": ParentInput("李四", FATHER_ID, "")})
    assert raised.value.codes == [WARNING_DUPLICATE] and ELSEWHERE in raised.value.messages[0]

    birth = register(other_clerk, **{**kwargs, "father": ParentInput("赵六", FATHER_ID, "")})
    assert birth.newborns.count() == 1  # his number's history elsewhere stays unseen
