"""/verify/: the settlement desk's page gives the coverage endpoint's answer, from the same function."""

from datetime import date

import pytest

from registration.models import AuditEntry
from registration.services.lifecycle import newborn_formalize, payment_record
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
