"""Fixtures and helpers shared by the selectors' tests: a small tree of divisions (places) and a cohort
of registrations for the reports."""

from datetime import date, timedelta

import pytest

from registration.models import Birth, Division, Newborn, Sex
from registration.services.lifecycle import newborn_formalize, newborn_void, payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories

PROVINCE = "广西壮族自治区"


def village(code: str, city: str, county: str, township: str, name: str) -> Division:
    """A community and its ancestors, with the full name the importer would store."""
    division = factories.division_chain(code, (PROVINCE, city, county, township, name))
    division.full_name = f"{city} {county} {township} {name}"
    division.save(update_fields=["full_name"])
    return division


@pytest.fixture
def places():
    return {
        "xinzhu": village("450103001005", "南宁市", "青秀区", "新竹街道", "新竹社区居委会"),
        "sixian": village("450103001006", "南宁市", "青秀区", "新竹街道", "思贤社区居委会"),
        "gema": village("450103001201", "南宁市", "青秀区", "新竹街道", "葛麻村委会"),
        "guilin_xinzhu": village("450304001008", "桂林市", "象山区", "南门街道", "新竹社区"),
        "hezhou_xinzhu": village("451122111213", "贺州市", "钟山县", "清塘镇", "新竹村委会"),
        "exact": village("450126101201", "南宁市", "宾阳县", "新桥镇", "新竹"),
        "changtang": village("450103104201", "南宁市", "青秀区", "长塘镇", "长塘社区居委会"),
    }


MONDAY = date(2026, 3, 2)  # factories.TODAY, a Monday


def mother(index: int) -> ParentInput:
    return ParentInput(
        factories.person_name("母亲", index), factories.id_number(order=f"{index:02d}2"), "13877112345"
    )


def registered(clerk, index: int, on: date, *, babies: int = 1) -> list[Newborn]:
    born = on - timedelta(days=4)
    birth = factories.register(
        clerk, mother=mother(index), babies=[BabyInput(Sex.FEMALE, born)] * babies, today=on
    )
    return list(birth.newborns.order_by("birth_order"))


def paid(newborn: Newborn, user, after_days: int) -> None:
    day = newborn.birth.registered_on + timedelta(days=after_days)
    payment_record(newborn=newborn, user=user, paid_on=day, years=[day.year], today=day)


@pytest.fixture
def foreign_clerk(clerk):
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    return factories.operator_make(username="clerk_gl", hospital=hospital).user


@pytest.fixture
def administrator(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def cohort(clerk):
    """Five babies registered 2-11 March 2026 (twins on the 2nd), one outside the range, in every state."""
    twins = registered(clerk, 1, MONDAY, babies=2)
    third = registered(clerk, 2, MONDAY + timedelta(days=2))[0]
    fourth = registered(clerk, 3, MONDAY + timedelta(days=9))[0]
    outside = registered(clerk, 4, MONDAY - timedelta(days=1))[0]
    paid(twins[0], clerk, 0)
    paid(twins[1], clerk, 2)
    paid(third, clerk, 5)
    paid(outside, clerk, 30)
    real_id = factories.id_number(born=twins[0].birth_date.strftime("%Y%m%d"), order="042")
    newborn_formalize(
        newborn=twins[0],
        user=clerk,
        real_name="张小花",
        real_id_number=real_id,
        today=MONDAY + timedelta(days=20),
    )
    newborn_void(newborn=fourth, user=clerk, reason="家长放弃预参保")
    return {"twins": twins, "third": third, "fourth": fourth, "outside": outside}


@pytest.fixture
def guilin(foreign_clerk):
    """Two newborns of the Guilin hospital whose 参保社区 is in 桂林市, under its agency."""
    community = factories.division_chain(
        "450302001001", ("广西壮族自治区", "桂林市", "秀峰区", "秀峰街道", "秀峰社区")
    )
    agency = factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))
    newborns = registered(foreign_clerk, 6, MONDAY + timedelta(days=1), babies=2)
    # Registered in 南宁's community (the factories'), then moved to 桂林's with its agency.
    Birth.objects.filter(pk=newborns[0].birth_id).update(community=community, agency=agency)
    paid(newborns[0], foreign_clerk, 3)
    return newborns
