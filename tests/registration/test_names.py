"""Names refuse digits (issue 14, item 4): an ID or phone number typed into a name box is refused on the
page, by the registration service and at formal enrollment; a minority name with `·` and a foreign parent's
Latin name stay accepted. The rule is validators.name_digits_refuse, called wherever a name is parsed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from registration import validators
from registration.models import Birth, Newborn, Sex
from registration.services.lifecycle import newborn_formalize, payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import MOTHER_ID, register
from tests.registration.views.test_register import form_data

ID_AS_NAME = "45010319900101123X"
REFUSED = [ID_AS_NAME, "13877112345", "张三1", "张三１", "王②", "李四 2"]
ACCEPTED = ["阿依古丽·买买提", "玛丽・安", "Marie-Claire O'Neil", "John Smith", "张三", "李一三"]


@pytest.mark.parametrize("name", REFUSED)
def test_the_rule_refuses_any_digit(name):
    with pytest.raises(ValidationError, match="不能含有数字") as refusal:
        validators.name_digits_refuse(name, label="母亲姓名")
    assert refusal.value.code == "name_digits"
    assert refusal.value.messages[0].startswith("母亲姓名不能含有数字")


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_rule_accepts_dotted_latin_and_numeral_names(name):
    assert validators.name_digits_refuse(name) == name


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["mother_name", "father_name"])
def test_the_page_refuses_an_id_number_as_a_parents_name(client, clerk, field):
    client.force_login(clerk)

    response = client.post("/register/", form_data(**{field: ID_AS_NAME}))

    assert response.status_code == 200
    label = "母亲姓名" if field == "mother_name" else "父亲姓名"
    assert f"{label}不能含有数字" in response.content.decode()
    assert not Birth.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["阿依古丽·买买提", "Marie-Claire O'Neil"])
def test_the_page_accepts_a_dotted_or_latin_name(client, clerk, name):
    client.force_login(clerk)

    response = client.post("/register/", form_data(mother_name=name))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Newborn.objects.get().name == f"{name}之女"


@pytest.mark.django_db
def test_the_service_refuses_digits_in_either_parents_name(clerk):
    with pytest.raises(ValidationError) as refusal:
        register(
            clerk,
            mother=ParentInput(ID_AS_NAME, MOTHER_ID, "13877112345"),
            father=ParentInput("李四8", factories.FATHER_ID, ""),
        )

    errors = refusal.value.message_dict
    assert "母亲姓名不能含有数字" in errors["mother.name"][0]
    assert "父亲姓名不能含有数字" in errors["father.name"][0]
    assert not Birth.objects.exists()


@pytest.mark.django_db
def test_the_service_accepts_a_dotted_name(clerk):
    birth = register(clerk, mother=ParentInput("阿依古丽·买买提", MOTHER_ID, "13877112345"))
    assert birth.newborns.get().name == "阿依古丽·买买提之女"


@pytest.fixture
def paid(clerk):
    born = date(2025, 12, 5)
    newborn = register(clerk, babies=[BabyInput(Sex.FEMALE, born)], today=date(2025, 12, 8)).newborns.get()
    payment_record(
        newborn=newborn, user=clerk, paid_on=date(2026, 2, 10), years={2026}, today=date(2026, 6, 30)
    )
    return newborn


def _formalize(newborn, clerk, name):
    return newborn_formalize(
        newborn=newborn,
        user=clerk,
        real_name=name,
        real_id_number=factories.id_number(born="20251205", order="004"),
        today=date(2026, 3, 1),
    )


@pytest.mark.django_db
def test_formal_enrollment_refuses_digits_in_the_real_name(paid, clerk):
    with pytest.raises(ValidationError, match="真实姓名不能含有数字"):
        _formalize(paid, clerk, "张小花2")
    paid.refresh_from_db()
    assert paid.state == Newborn.State.PAID


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["阿依古丽·买买提", "Anna Schmidt"])
def test_formal_enrollment_accepts_a_dotted_or_latin_real_name(paid, clerk, name):
    _formalize(paid, clerk, name)
    paid.refresh_from_db()
    assert (paid.state, paid.real_name) == (Newborn.State.FORMALIZED, name)


@pytest.mark.django_db
def test_the_formal_enrollment_page_refuses_digits(client, paid, clerk):
    client.force_login(clerk)
    response = client.post(
        f"/newborns/{paid.pk}/formalize",
        {"real_name": "13877112345", "real_id_number": factories.id_number(born="20251205", order="004")},
    )
    assert "真实姓名不能含有数字" in response.content.decode()
    paid.refresh_from_db()
    assert paid.state == Newborn.State.PAID
