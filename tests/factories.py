"""Plain factory functions with fixed defaults and **overrides (docs/testing.md)."""

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum.cn.ric import calc_check_digit

from registration.models import Division, Hospital, InsuranceAgency, Operator, Sex
from registration.services.newborns import newborn_register
from registration.services.registration_check import (
    WARNING_DUPLICATE,
    WARNING_PARENT_NAME,
    BabyInput,
    ParentInput,
    RegistrationRequest,
)

PASSWORD = "test-pass-2026!"
TODAY = date(2026, 3, 2)


def id_number(*, region: str = "450103", born: str = "19900307", order: str = "002") -> str:
    """A valid resident ID; the third digit of `order` gives the sex (even female, odd male)."""
    body = region + born + order
    return body + calc_check_digit(body + "0")


def person_name(prefix: str, number: int) -> str:
    """A distinct name per number without digits, which names refuse: person_name("母亲", 12) is 母亲一二."""
    return prefix + "".join("零一二三四五六七八九"[int(digit)] for digit in str(number))


MOTHER_ID = id_number(order="002")
FATHER_ID = id_number(born="19880511", order="013")


def division_chain(
    village_code: str = "450103001001",
    names: tuple[str, ...] = ("广西壮族自治区", "南宁市", "青秀区", "新竹街道", "新竹社区"),
) -> Division:
    """A village and its four ancestors (created once per code)."""
    parent = None
    for level, length in enumerate((2, 4, 6, 9, 12), start=1):
        parent, _ = Division.objects.get_or_create(
            code=village_code[:length],
            defaults={
                "name": names[level - 1],
                "level": level,
                "parent": parent,
                "full_name": names[level - 1],
            },
        )
    return parent


def agency_make(
    *, code: str = "450100", name: str = "南宁市医疗保障事业管理中心", covers=("4501",)
) -> InsuranceAgency:
    agency, _ = InsuranceAgency.objects.get_or_create(code=code, defaults={"name": name})
    for division_code in covers:
        division = Division.objects.filter(code=division_code).first()
        if division is not None:
            agency.divisions.add(division)
    return agency


def hospital_make(**overrides) -> Hospital:
    fields = {"code": "H45010300001", "name": "南宁市第一人民医院", "has_maternity_ward": True}
    fields.update(overrides)
    if "division" not in fields:
        fields["division"] = division_chain().parent.parent.parent  # 青秀区
    return Hospital.objects.create(**fields)


def user_make(username: str = "clerk", **overrides):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **overrides)


def operator_make(*, username: str = "clerk", hospital: Hospital | None = None, **overrides) -> Operator:
    fields = {
        "role": Operator.Role.CLERK,
        "real_name": "李经办",
        "id_number": id_number(born="19850101", order="024"),
        "phone": "13877112345",
        "access": Operator.Access.GRANTED,
    }
    fields.update(overrides)
    return Operator.objects.create(user=user_make(username), hospital=hospital or hospital_make(), **fields)


def registration_request(**overrides) -> RegistrationRequest:
    """A valid request for newborn_register: one girl, born four days before TODAY, mother's ID."""
    fields = {
        "route": "parent_id",
        "parent_role": "mother",
        "mother": ParentInput("张三", MOTHER_ID, "13877112345"),
        "father": ParentInput("李四", FATHER_ID, "13977154321"),
        "babies": [BabyInput(Sex.FEMALE, TODAY - timedelta(days=4))],
        "community": Division.objects.get(code="450103001001"),
        "household_address": "广西南宁市青秀区新竹路1号",
        "household_type": "30",
        "phone": "13877112345",
        "ethnicity": "08",
        "has_household_registration": False,
        "parent_has_guangxi_household": True,
        # The scans and the duplicate warnings are their own tests' business (test_services,
        # test_views_register): deferred and confirmed here, so that a test can register a mother twice.
        "materials_deferred": True,
        "confirmed_warnings": (WARNING_DUPLICATE, WARNING_PARENT_NAME),
    }
    fields.update(overrides)
    fields["babies"] = tuple(fields["babies"])
    fields["materials"] = tuple(fields.get("materials", ()))
    fields["confirmed_warnings"] = frozenset(fields["confirmed_warnings"])
    return RegistrationRequest(**fields)


def register(clerk, *, today: date = TODAY, request_key: uuid.UUID | None = None, **overrides):
    """Register a birth through the real service, with valid defaults (registration_request's fields)."""
    return newborn_register(
        clerk=clerk, registration=registration_request(**overrides), request_key=request_key, today=today
    )


def register_paid(clerk, born: date, payments=(), **overrides):
    """One girl born on `born` and registered that day, then each (arrival day, years) payment recorded on
    its arrival day: the newborn."""
    from registration.services.lifecycle import payment_record

    babies = [BabyInput(Sex.FEMALE, born)]
    newborn = register(clerk, babies=babies, today=born, **overrides).newborns.get()
    for paid_on, years in payments:
        payment_record(newborn=newborn, user=clerk, paid_on=paid_on, years=years, today=paid_on)
    newborn.refresh_from_db()
    return newborn


def register_post_data(
    *,
    community: Division | int | str | None = None,
    babies: Sequence[tuple[Sex | int | str, date]] | None = None,
    **overrides,
) -> dict[str, str]:
    """The registration page's POST as a browser sends it: by default one girl born four days before the
    real today (the page's), the mother's ID, both parents named, the scans deferred, a new request key.

    `community`: a Division (its id and name), an id as typed, or None for the factories' community
    (450103001001, from the database); `babies`: (sex, birth date) in birth order. An override of None
    leaves the field out, as a browser leaves out an unchecked box.
    """
    if community is None:
        community = Division.objects.get(code="450103001001")
    if isinstance(community, Division):
        community_id, community_text = str(community.pk), community.name
    else:
        community_id, community_text = str(community), "新竹社区"
    if babies is None:
        babies = [(Sex.FEMALE, timezone.localdate() - timedelta(days=4))]
    data = {
        "request_key": str(uuid.uuid4()),
        "community": community_id,
        "community_text": community_text,
        "route": "parent_id",
        "parent_role": "mother",
        "mother_name": "张三",
        "mother_id_number": MOTHER_ID,
        "mother_phone": "13877112345",
        "father_name": "李四",
        "father_id_number": FATHER_ID,
        "father_phone": "",
        "ethnicity": "08",
        "nationality": "CHN",
        "household_type": "30",
        "household_address": "广西南宁市青秀区新竹路1号",
        "phone": "13877112345",
        "birth_hospital_name": "南宁市第一人民医院",
        "no_household_registration": "on",
        "parent_has_guangxi_household": "on",
        "materials_deferred": "on",  # the tests of uploads send files and leave this out
        "babies-TOTAL_FORMS": str(len(babies)),
        "babies-INITIAL_FORMS": "0",
        "babies-MIN_NUM_FORMS": "1",
        "babies-MAX_NUM_FORMS": "8",
    }
    for index, (sex, born) in enumerate(babies):
        data[f"babies-{index}-sex"] = str(int(sex))
        data[f"babies-{index}-birth_date"] = born.isoformat()
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
