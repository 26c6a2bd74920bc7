"""The rule of disclosure (docs/privacy.md): what a hospital's clerk learns of another hospital's records
through the registration check and the live preview. Another hospital's record is used, never shown: a
warning says what to check with the family; the parent's history shows itself only when the typed ID
number and name agree with the earlier registration."""

from datetime import timedelta

import pytest

from registration.services import Sex
from registration.services.newborns import (
    WARNING_DUPLICATE,
    WARNING_PARENT_NAME,
    BabyInput,
    ParentInput,
    RegistrationWarning,
)
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID, TODAY, register

pytestmark = pytest.mark.django_db

PREVIEW = "/register/preview"
ELSEWHERE = "该父（母）亲身份证号码在其他医疗机构已有同一出生日期的新生儿登记，请与家属核实后再继续"


@pytest.fixture
def other_clerk(clerk):
    """A clerk of a second hospital (same city, same agency)."""
    hospital = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    return factories.operator_make(username="other", hospital=hospital).user


def strict(**overrides) -> dict:
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
        register(other_clerk, **strict())

    assert raised.value.codes == [WARNING_DUPLICATE]
    message = raised.value.messages[0]
    assert ELSEWHERE in message
    assert _leaks(message, first) == []


def test_the_own_hospitals_duplicate_is_still_described(clerk):
    first = register(clerk).newborns.get()
    colleague = factories.operator_make(username="colleague", hospital=clerk.operator.hospital).user

    with pytest.raises(RegistrationWarning) as raised:
        register(colleague, **strict())

    message = raised.value.messages[0]
    assert first.personal_number in message and first.name in message and ELSEWHERE not in message


def test_another_hospitals_history_stays_hidden_when_the_name_disagrees(clerk, other_clerk):
    first = register(clerk).newborns.get()
    kwargs = strict(mother=ParentInput("王五", MOTHER_ID, ""), father=ParentInput("", "", ""))

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
    kwargs = strict(parent_role="father", mother=ParentInput("", "", ""))

    with pytest.raises(RegistrationWarning) as raised:
        register(other_clerk, **{**kwargs, "father": ParentInput("李四", FATHER_ID, "")})
    assert raised.value.codes == [WARNING_DUPLICATE] and ELSEWHERE in raised.value.messages[0]

    birth = register(other_clerk, **{**kwargs, "father": ParentInput("赵六", FATHER_ID, "")})
    assert birth.newborns.count() == 1  # his number's history elsewhere stays unseen


# --- the live preview ---------------------------------------------------------------------------------


def _letters(client, **data) -> list[str]:
    response = client.post(PREVIEW, {"role": "mother", "sexes": "2", **data})
    assert response.status_code == 200, response.content
    return [baby["letter"] for baby in response.json()["babies"]]


def test_the_preview_shows_another_hospitals_letters_only_with_the_agreeing_name(client, clerk, other_clerk):
    register(clerk)  # the first hospital issued X
    client.force_login(other_clerk)

    assert _letters(client, parent_id=MOTHER_ID) == ["X"]  # no name: nothing of her history
    assert _letters(client, parent_id=MOTHER_ID, parent_name="王五") == ["X"]
    assert _letters(client, parent_id=MOTHER_ID, parent_name="张三") == ["x"]


def test_the_preview_shows_the_own_hospitals_letters_whatever_the_name(client, clerk):
    register(clerk)
    client.force_login(clerk)

    assert _letters(client, parent_id=MOTHER_ID) == ["x"]
