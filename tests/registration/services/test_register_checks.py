"""newborn_register's checks beyond eligibility: the required scans, the warnings the clerk confirms, and
scans added to a saved registration (birth_material_add)."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from registration.models import AuditEntry, Birth, Material, Newborn
from registration.rules import (
    HOUSEHOLD_PAGES,
    MATERIAL_BIRTH_CERTIFICATE,
    MATERIAL_BIRTH_RECORD,
    materials_missing,
)
from registration.services import Sex
from registration.services.birth_materials import MaterialInput, birth_material_add
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
from tests.factories import MOTHER_ID, TODAY, register

pytestmark = pytest.mark.django_db


def png_bytes(color="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def scans(*kinds) -> list[MaterialInput]:
    return [MaterialInput(kind, png_bytes(), f"{kind}.png") for kind in kinds]


def strict(**overrides) -> dict:
    """Registration arguments that neither defer the scans nor confirm any warning."""
    return {"materials_deferred": False, "confirmed_warnings": (), **overrides}


# --- materials_missing: the rule ---------------------------------------------------------------------


def test_the_rules_material_kinds_are_the_models():
    kinds = set(Material.Kind.values)
    assert HOUSEHOLD_PAGES | {"id_card", MATERIAL_BIRTH_RECORD, MATERIAL_BIRTH_CERTIFICATE} == kinds


@pytest.mark.parametrize(
    ("route", "kinds"),
    [
        ("parent_id", {"household_head", "household_parent", "birth_record"}),
        ("parent_id", {"id_card", "birth_record"}),
        ("parent_id", {"id_card", "birth_certificate"}),
        ("birth_certificate", {"household_head", "household_parent", "birth_certificate"}),
        ("birth_certificate", {"id_card", "birth_certificate", "birth_record"}),
    ],
)
def test_materials_missing_accepts_the_register_or_id_card_with_the_birth_document(route, kinds):
    assert materials_missing(route, kinds) == []


def test_materials_missing_names_everything_missing():
    assert materials_missing("parent_id", []) == [
        "请上传证件所属父（母）亲的户口簿（户主页及本人信息页）或身份证。",
        "请上传出生记录（产时记录、产科登记表）或出生医学证明。",
    ]


def test_materials_missing_wants_both_pages_of_the_household_register():
    [message] = materials_missing("parent_id", {"household_head", "birth_record"})
    assert "户主页和证件所属父（母）亲信息页两页" in message


def test_materials_missing_wants_the_certificate_itself_on_the_certificate_route():
    assert materials_missing("birth_certificate", {"id_card", "birth_record"}) == [
        "使用出生医学证明登记的，请上传出生医学证明。"
    ]


# --- the required scans in newborn_register -----------------------------------------------------------


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


# --- warnings: possible duplicates, a parent's name, the agency -----------------------------------------


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


# --- birth_material_add ---------------------------------------------------------------------------------


def test_a_scan_added_later_completes_the_registration_and_is_audited(clerk):
    newborn = register(clerk).newborns.get()
    for kind in ("household_head", "household_parent", "birth_record"):
        birth_material_add(user=clerk, newborn=newborn, material=scans(kind)[0], ip="10.0.0.7")

    assert materials_missing("parent_id", newborn.birth.materials.values_list("kind", flat=True)) == []
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, newborn=newborn)
    assert entries.count() == 3 and {entry.ip for entry in entries} == {"10.0.0.7"}
    assert {entry.detail["material_added"] for entry in entries} == {
        "household_head",
        "household_parent",
        "birth_record",
    }


def test_a_bad_scan_added_later_is_refused_and_stores_nothing(clerk):
    newborn = register(clerk).newborns.get()
    with pytest.raises(ValidationError, match="x.png"):
        birth_material_add(user=clerk, newborn=newborn, material=MaterialInput("id_card", b"%PDF-", "x.png"))
    assert not Material.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_a_void_registration_takes_no_scan(clerk):
    newborn = register(clerk).newborns.get()
    newborn_void(newborn=newborn, user=clerk, reason="登记错误")
    newborn.refresh_from_db()
    with pytest.raises(ValidationError, match="已作废"):
        birth_material_add(user=clerk, newborn=newborn, material=scans("id_card")[0])
    assert not Material.objects.exists()


# --- names the card cannot print -----------------------------------------------------------------------


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
