"""Where the baby was born (issue 28, item 5): the birth hospital asked for, and a birth outside Guangxi's
hospitals or at home warned of until the clerk confirms it."""

import pytest

from registration.models import Birth, Division
from registration.services.birth_place import HOME_BIRTH, birth_place_resolve
from registration.services.newborns import WARNING_BIRTH_PLACE, RegistrationWarning
from tests import factories
from tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital(clerk):
    return clerk.operator.hospital


def test_an_empty_name_or_the_registering_hospitals_own_is_that_hospital(hospital):
    for name in ("", "  ", hospital.name):
        assert birth_place_resolve(hospital=hospital, name=name).hospital == hospital
        assert birth_place_resolve(hospital=hospital, name=name).warning == ""
    assert birth_place_resolve(hospital=hospital, name="").name == hospital.name


def test_another_guangxi_hospital_known_to_the_system_is_recorded_without_a_warning(hospital):
    other = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")

    place = birth_place_resolve(hospital=hospital, name="南宁市第二人民医院")

    assert (place.name, place.hospital, place.warning) == ("南宁市第二人民医院", other, "")


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (HOME_BIRTH, "新生儿在医疗机构外（家中或途中）出生"),
        ("某某镇卫生院", "出生医院「某某镇卫生院」不在本系统的广西定点医疗机构名单中"),
        ("广州市某医院", "出生医院「广州市某医院」是自治区外的医疗机构"),
    ],
)
def test_a_birth_outside_guangxis_hospitals_or_at_home_is_a_warning(hospital, name, said):
    guangdong = Division.objects.create(code="44", name="广东省", level=Division.Level.PROVINCE)
    factories.hospital_make(code="H44010600001", name="广州市某医院", division=guangdong)

    place = birth_place_resolve(hospital=hospital, name=name)

    assert place.warning.startswith(said)
    assert "请核对出生医学证明或出生记录上的出生地点" in place.warning
    assert place.hospital is None or not place.hospital.division.code.startswith("45")


def test_a_home_birth_is_registered_only_once_the_warning_is_confirmed(clerk):
    # Before issue 28 item 5 any text was saved as the birth hospital without a word.
    with pytest.raises(RegistrationWarning) as raised:
        register(clerk, birth_hospital_name=HOME_BIRTH)
    assert raised.value.codes == [WARNING_BIRTH_PLACE]
    assert not Birth.objects.exists()

    birth = register(clerk, birth_hospital_name=HOME_BIRTH, confirmed_warnings=[WARNING_BIRTH_PLACE])

    assert birth.birth_hospital_name == HOME_BIRTH and birth.birth_hospital is None


def test_the_birth_hospital_is_recorded_as_the_system_knows_it(clerk):
    other = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")

    assert register(clerk).birth_hospital == clerk.operator.hospital  # none given: the registering one
    birth = register(clerk, birth_hospital_name="南宁市第二人民医院")

    assert birth.birth_hospital == other and birth.birth_hospital_name == "南宁市第二人民医院"
