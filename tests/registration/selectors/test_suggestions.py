"""What the registration page offers to pick: the communities the clerk's hospital registered lately and
the hospitals a baby may have been born in (issue 24 item 16, issue 28 item 5)."""

from datetime import timedelta

import pytest

from registration.models import Division, Sex
from registration.selectors import birth_hospital_names, communities_recent_for_user, division_rows
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import TODAY

pytestmark = pytest.mark.django_db


def registered(clerk, village, *, days_ago: int, number: int):
    mother = ParentInput(factories.person_name("母亲", number), factories.id_number(order=f"{number:02d}2"))
    day = TODAY - timedelta(days=days_ago)
    baby = BabyInput(Sex.FEMALE, day - timedelta(days=1))
    factories.register(clerk, community=village, mother=mother, babies=[baby], today=day)


def test_the_hospitals_recent_communities_come_most_registered_first_and_only_its_own(clerk):
    xinzhu = Division.objects.get(code="450103001001")
    xingning = factories.division_chain(
        "450102001003", ("广西壮族自治区", "南宁市", "兴宁区", "民生街道", "兴宁社区")
    )
    old = factories.division_chain(
        "450102001004", ("广西壮族自治区", "南宁市", "兴宁区", "民生街道", "北宁社区")
    )
    elsewhere = factories.division_chain(
        "450102001006", ("广西壮族自治区", "南宁市", "兴宁区", "民生街道", "高峰社区")
    )
    registered(clerk, xinzhu, days_ago=1, number=1)
    registered(clerk, xingning, days_ago=2, number=2)
    registered(clerk, xingning, days_ago=3, number=3)
    registered(clerk, old, days_ago=120, number=4)  # longer ago than the suggestions look
    other_hospital = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    other_clerk = factories.operator_make(username="other", hospital=other_hospital).user
    for number in (5, 6, 7):
        registered(other_clerk, elsewhere, days_ago=1, number=number)  # never shown to this hospital

    assert communities_recent_for_user(user=clerk, today=TODAY) == [xingning, xinzhu]
    assert communities_recent_for_user(user=other_clerk, today=TODAY) == [elsewhere]
    assert communities_recent_for_user(user=clerk, today=TODAY, limit=1) == [xingning]


def test_the_birth_hospitals_start_with_the_registering_one_then_its_city(clerk):
    own = clerk.operator.hospital
    liuzhou = factories.division_chain(
        "450202001001", ("广西壮族自治区", "柳州市", "城中区", "某街道", "某社区")
    )
    factories.hospital_make(code="H45020200001", name="柳州市人民医院", division=liuzhou.parent.parent)
    factories.hospital_make(code="H45010300009", name="南宁市第二人民医院")
    factories.hospital_make(code="H45010300008", name="南宁市停用医院", is_active=False)
    guangdong = Division.objects.create(code="44", name="广东省", level=Division.Level.PROVINCE)
    factories.hospital_make(code="H44000000001", name="广州市某医院", division=guangdong)

    assert birth_hospital_names(hospital=own) == [own.name, "南宁市第二人民医院", "柳州市人民医院"]


def test_a_communitys_row_starts_its_household_address():
    village = factories.division_chain()
    Division.objects.filter(pk=village.pk).update(full_name="南宁市 青秀区 新竹街道 新竹社区居委会")
    village.refresh_from_db()

    [row] = division_rows([village])

    assert row["address_start"] == "广西壮族自治区南宁市青秀区新竹街道新竹社区"
    assert division_rows([village.parent])[0]["address_start"] == ""  # a street is no address
