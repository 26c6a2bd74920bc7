"""Every date input of the app is bounded (issue 14, item 6): a far date such as 9999-12-31 (or 0001-01-01)
gets a Chinese message, never a 500 (`OverflowError` in the reports' date arithmetic, the audit filter's
next day). Runs on both databases."""

from datetime import date

import pytest

from registration import validators
from registration.models import Payment
from tests.registration.views.test_register import form_data

pytestmark = pytest.mark.django_db

FAR = ["9999-12-31", "0001-01-01", "2100-01-01", "1999-12-31"]
MESSAGE = "日期超出范围：请填写2000年1月1日至2099年12月31日之间的日期"


def _ok(response) -> str:
    assert response.status_code < 500, response.status_code
    return response.content.decode()


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize(
    "query",
    [
        "/reports/?date_from={day}",
        "/reports/?date_to={day}",
        "/reports/?date_to={day}&granularity=week",
        "/reports/?date_from={day}&date_to={day}&granularity=week",
        "/reports/export.xlsx?date_to={day}&granularity=week",
        "/reports/export.xlsx?date_from={day}",
        "/audit/?date_from={day}",
        "/audit/?date_to={day}",
        "/newborns/?born_from={day}",
        "/newborns/?born_to={day}",
    ],
)
def test_far_dates_in_the_lists_reports_exports_and_audit_get_a_chinese_message(client, world, query, day):
    client.force_login(world.own.supervisor)

    response = client.get(query.format(day=day))

    html = _ok(response)
    assert response.status_code in (200, 400)
    assert MESSAGE in html


@pytest.mark.parametrize("day", FAR)
def test_a_far_payment_date_gets_the_message_and_records_nothing(client, world, day):
    client.force_login(world.own.clerk)
    before = Payment.objects.count()

    response = client.post(
        f"/newborns/{world.own.newborn.pk}/payment", {"paid_on": day, "years": [str(date.today().year)]}
    )

    assert MESSAGE in _ok(response)
    assert Payment.objects.count() == before


@pytest.mark.parametrize("day", FAR)
def test_a_far_birth_date_gets_the_message_on_the_registration_page(client, clerk, day):
    client.force_login(clerk)

    response = client.post("/register/", form_data(**{"babies-0-birth_date": day}))

    assert response.status_code == 200 and MESSAGE in _ok(response)


@pytest.mark.parametrize("day", FAR)
def test_far_birth_dates_in_the_preview_and_the_advice_answer_without_error(client, clerk, day):
    from tests.factories import MOTHER_ID

    client.force_login(clerk)
    preview = client.post(
        "/register/preview", {"parent_id": MOTHER_ID, "role": "mother", "sexes": "2", "births": day}
    )
    advice = client.post("/register/advice", {"birth_dates": day, "parent_role": "mother"})

    assert preview.status_code == 200 and advice.status_code < 500


@pytest.mark.parametrize("day", FAR)
def test_a_far_batch_date_is_refused_in_chinese(client, world, day):
    client.force_login(world.own.clerk)

    response = client.get("/cards/batch.pdf", {"date": day})

    assert response.status_code == 400 and MESSAGE in response.content.decode()


def test_the_date_pickers_carry_the_bounds(client, world):
    client.force_login(world.own.supervisor)
    for page in ("/reports/", "/audit/", "/newborns/", f"/newborns/{world.own.newborn.pk}/payment"):
        assert 'min="2000-01-01"' in _ok(client.get(page)) and 'max="2099-12-31"' in _ok(client.get(page))


def test_the_bounds_themselves_are_accepted():
    assert validators.date_bounds_validate(date(2000, 1, 1)) == date(2000, 1, 1)
    assert validators.date_bounds_validate(date(2099, 12, 31)) == date(2099, 12, 31)
