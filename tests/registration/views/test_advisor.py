"""The 新生儿出生一件事 advisor: the 2026 guide's conditions for the joint handling, both ways."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registration.models import Division, Hospital, Operator
from registration.services.joint_handling import joint_handling_last_day
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID

GUILIN_FATHER_ID = factories.id_number(region="450302", born="19880511", order="013")


# --- POST /register/advice ------------------------------------------------------------------------------


@pytest.fixture
def nanning_clerk(clerk):
    """The clerk, at a hospital of 青秀区 (Nanning) with a maternity ward."""
    Hospital.objects.filter(pk=clerk.operator.hospital_id).update(
        division=Division.objects.get(code="450103")
    )
    return clerk


def form_data(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "mother_id_number": MOTHER_ID,
        "father_id_number": FATHER_ID,
        "parent_role": "mother",
        "nationality": "CHN",
        "household_type": "30",
        "community": "",
        "community_text": "450103001001",
        "birth_hospital_name": "",
        "birth_dates": (today - timedelta(days=3)).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_endpoint_advises_a_qualifying_family(client, nanning_clerk):
    client.force_login(nanning_clerk)

    response = client.post("/register/advice", form_data())

    assert response.status_code == 200
    advice = response.json()["advice"]
    assert advice["eligible"] is True
    assert advice["unmet"] == []
    assert "证件所属的母亲为广西户籍（以户口簿为准）。" in advice["to_confirm"]
    assert advice["last_day_zh"].endswith("日")


@pytest.mark.django_db
def test_the_endpoint_names_what_fails(client, nanning_clerk):
    factories.hospital_make(
        code="H45030200001", name="桂林市人民医院", division=Division.objects.get(code="45")
    )
    client.force_login(nanning_clerk)

    response = client.post(
        "/register/advice",
        form_data(household_type="40", birth_hospital_name="桂林市人民医院", father_id_number="123"),
    )

    advice = response.json()["advice"]
    assert advice["eligible"] is False
    assert any("集体户口" in reason for reason in advice["unmet"])
    assert any("出生医院不在南宁市" in reason for reason in advice["unmet"])
    assert any("未填写父亲的有效身份证号码" in reason for reason in advice["unmet"])


@pytest.mark.django_db
def test_the_endpoint_gives_no_advice_for_an_empty_form(client, nanning_clerk):
    client.force_login(nanning_clerk)

    response = client.post(
        "/register/advice", form_data(mother_id_number="", father_id_number="", birth_dates="")
    )

    assert response.json() == {"advice": None}


@pytest.mark.django_db
def test_the_endpoint_answers_garbage_with_400_not_500(client, nanning_clerk):
    client.force_login(nanning_clerk)

    response = client.post("/register/advice", form_data(parent_role="uncle", community_text="\x00" * 10))

    assert response.status_code == 400
    assert response.json()["advice"] is None


@pytest.mark.django_db
def test_the_endpoint_is_for_granted_clerks_only_and_post_only(client, nanning_clerk):
    anonymous = client.post("/register/advice", form_data())
    client.force_login(nanning_clerk)
    get = client.get("/register/advice")
    Operator.objects.filter(user=nanning_clerk).update(access=Operator.Access.WITHDRAWN)
    withdrawn = client.post("/register/advice", form_data())

    assert anonymous.status_code == 401
    assert get.status_code == 405
    assert withdrawn.status_code == 403
    assert "被医保中心撤销" in withdrawn.json()["error"]


@pytest.mark.django_db
def test_the_registration_page_carries_the_advisor(client, nanning_clerk):
    client.force_login(nanning_clerk)

    html = client.get("/register/").content.decode()

    assert 'data-advice-url="/register/advice"' in html
    assert "新生儿出生一件事" in html
    assert "js/register-advisor.js" in html


# --- the last day is a day the family may still apply: said with 最迟…（含当日）, never "…前" -------------


def test_the_advisor_box_says_the_last_day_is_included():
    from django.template.loader import render_to_string

    html = render_to_string("registration/_advisor.html")

    assert "最迟于 <strong data-advisor-last-day></strong>（含当日）申请" in html
    assert "前申请" not in html


@pytest.mark.django_db
def test_the_endpoint_gives_the_last_day_itself_on_the_last_day(client, nanning_clerk):
    client.force_login(nanning_clerk)
    today = timezone.localdate()
    # The baby whose last day is today (around the months' ends some days are nobody's last day).
    candidates = [today - timedelta(days=days) for days in range(26, 33)]
    born = next((day for day in candidates if joint_handling_last_day(day) == today), None)
    if born is None:
        pytest.skip(f"no birth date has {today} as its last day")

    advice = client.post("/register/advice", form_data(birth_dates=born.isoformat())).json()["advice"]

    assert advice["eligible"] is True
    assert advice["last_day"] == today.isoformat()
