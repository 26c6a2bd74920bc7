"""/verify/: the settlement desk's page gives the coverage endpoint's answer, from the same function."""

from datetime import date

import pytest

from registration.models import AuditEntry, Sex
from registration.services.lifecycle import newborn_formalize, payment_record
from registration.services.newborns import BabyInput
from tests import factories

pytestmark = pytest.mark.usefixtures("pinned_today")


@pytest.fixture
def paid_girl(clerk):
    birth = factories.register(clerk, mother=factories.ParentInput("覃小梅", factories.MOTHER_ID, ""))
    newborn = birth.newborns.get()
    payment_record(newborn=newborn, user=clerk, paid_on=date(2026, 3, 2), years=[2026], today=factories.TODAY)
    return newborn


def test_staff_of_another_hospital_see_the_card_covered_and_the_name_masked(client, paid_girl):
    other = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    client.force_login(factories.operator_make(username="desk", hospital=other).user)

    response = client.post("/verify/", {"code": paid_girl.temp_id, "birth_date": "2026-02-26"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "今天可以凭此卡享受医保待遇" in page and "覃*之女" in page
    assert "今天可以凭此登记卡（新生儿编码）结算" in page  # the reason, as the API gives it
    assert "覃小梅" not in page and paid_girl.temp_id not in page.replace('value=""', "")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VERIFY)
    assert entry.newborn == paid_girl and entry.hospital == other


def test_the_page_says_why_and_sends_a_formally_enrolled_baby_to_its_own_id(client, clerk, paid_girl):
    newborn_formalize(
        newborn=paid_girl,
        user=clerk,
        real_name="覃小雨",
        real_id_number=factories.id_number(born="20260226", order="004"),
        today=factories.TODAY,
    )
    client.force_login(clerk)

    response = client.post("/verify/", {"code": paid_girl.temp_id, "birth_date": "2026-02-26"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "今天不能凭此卡享受医保待遇" in page and "正式参保" in page
    assert "请凭新生儿本人的身份证号码或医保电子凭证结算。" in page


def test_a_wrong_date_or_code_gives_the_same_answer(client, clerk, paid_girl):
    client.force_login(clerk)

    wrong_date = client.post("/verify/", {"code": paid_girl.temp_id, "birth_date": "2026-02-27"})
    wrong_code = client.post("/verify/", {"code": paid_girl.temp_id[:-1] + "x", "birth_date": "2026-02-26"})

    assert wrong_date.status_code == wrong_code.status_code == 404
    assert "没有找到与该编码和出生日期相符的登记记录" in wrong_date.content.decode()


def test_the_page_wants_a_login(client):
    assert client.get("/verify/").status_code == 302


# --- which days are covered, a payment after the void (docs/rules.md) -----------------------------------


@pytest.mark.parametrize(
    ("payments", "day", "covered"),
    [
        ([(date(2026, 12, 10), [2026])], date(2026, 12, 20), True),
        ([(date(2026, 12, 10), [2026])], date(2027, 1, 5), False),
        ([(date(2026, 12, 10), [2026, 2027])], date(2027, 1, 5), True),
    ],
)
def test_the_page_covers_a_day_only_when_its_year_is_paid(client, clerk, today_is, payments, day, covered):
    newborn = factories.register_paid(clerk, date(2026, 11, 28), payments)  # last day 2027-02-27
    client.force_login(clerk)
    today_is(day)

    page = client.post("/verify/", {"code": newborn.temp_id, "birth_date": "2026-11-28"}).content.decode()

    assert ("今天可以凭此卡享受医保待遇" in page) is covered
    assert ("2027年度未缴费：登记卡只保障已缴费年度" in page) is not covered
    if not covered:
        assert "请家属在2027年2月27日（含）前缴纳2027年度保费" in page


def test_the_page_sends_a_family_whose_money_came_after_the_void_to_the_agency(client, clerk, today_is):
    late = factories.register(
        clerk,
        mother=factories.ParentInput("覃小梅", factories.MOTHER_ID, ""),
        babies=[BabyInput(Sex.FEMALE, date(2026, 1, 10))],
        today=date(2026, 1, 12),
    ).newborns.get()  # last day 2026-04-09
    payment_record(newborn=late, user=clerk, paid_on=date(2026, 4, 10), years=[2026], today=date(2026, 4, 11))
    client.force_login(clerk)
    today_is(date(2026, 4, 11))

    page = client.post("/verify/", {"code": late.temp_id, "birth_date": "2026-01-10"}).content.decode()

    assert "今天不能凭此卡享受医保待遇" in page and "登记已作废" in page
    assert "到户籍所在地的医保经办机构办理正式参保登记" in page and "预计自2026年7月10日起享受待遇" in page
