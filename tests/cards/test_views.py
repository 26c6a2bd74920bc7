"""Printing views: inline PDFs of the own hospital's records only, refusals in Chinese, audit entries."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from registration.models import AuditEntry, Birth, Newborn
from registration.services import Sex
from registration.services.lifecycle import newborn_void, payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.cards.helpers import needs_pdftotext, pdf_pages_text
from tests.factories import PASSWORD, TODAY, id_number, register

pytestmark = pytest.mark.django_db

BORN = TODAY - timedelta(days=4)


@pytest.fixture
def logged_in(client, clerk):
    client.login(username=clerk.username, password=PASSWORD)
    return client


@pytest.fixture
def twins(clerk) -> list[Newborn]:
    birth = register(clerk, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.FEMALE, BORN)])
    return list(birth.newborns.order_by("birth_order"))


@pytest.fixture
def foreign(clerk) -> Newborn:
    """Another hospital's registration."""
    hospital = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    other = factories.operator_make(username="clerk2", hospital=hospital).user
    mother = ParentInput("韦丽华", id_number(born="19920101", order="022"), "13800000001")
    return register(other, mother=mother, father=ParentInput()).newborns.get()


def card_url(newborn, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("cards:card", args=[newborn.pk]) + (f"?{query}" if query else "")


def batch_url(query: str) -> str:
    return reverse("cards:batch") + "?" + query


def prints() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.PRINT).order_by("pk"))


def pages(response) -> int:
    return len(PdfReader(io.BytesIO(response.content)).pages)


def test_it_shows_the_own_hospitals_card_inline_as_a_pdf(logged_in, twins):
    girl = twins[0]
    response = logged_in.get(card_url(girl))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="card-{girl.personal_number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
    assert pages(response) == 2  # the card and the family notice


def test_it_prints_a6_without_the_notice_on_one_page(logged_in, twins):
    response = logged_in.get(card_url(twins[0], size="A6", notice=0))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert round(float(reader.pages[0].mediabox.width) * 25.4 / 72) == 148


def test_each_print_is_audited_with_its_size_and_whether_it_is_a_reprint(logged_in, clerk, twins):
    girl = twins[0]
    logged_in.get(card_url(girl), REMOTE_ADDR="10.0.0.7")
    logged_in.get(card_url(girl, size="A6", notice=0))
    first, second = prints()
    assert (first.newborn, first.user, first.hospital) == (girl, clerk, girl.birth.hospital)
    assert first.ip == "10.0.0.7"
    assert first.detail == {"size": "A4", "notice": True, "cards": 1, "reprint": False}
    assert second.detail == {"size": "A6", "notice": False, "cards": 1, "reprint": True}
    assert girl.temp_id not in first.object_repr  # masked


def test_another_hospitals_record_does_not_exist_for_the_clerk(logged_in, foreign):
    assert logged_in.get(card_url(foreign)).status_code == 404
    assert logged_in.get(reverse("cards:card", args=[999999])).status_code == 404
    assert prints() == []


def test_anonymous_visitors_are_sent_to_login(client, twins):
    response = client.get(card_url(twins[0]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(batch_url("date=2026-03-02")).status_code == 302


def formalize(newborn: Newborn) -> None:
    # The state alone matters here; newborn_formalize's checks of the real ID are tested elsewhere.
    Newborn.objects.filter(pk=newborn.pk).update(
        state=Newborn.State.FORMALIZED,
        formalized_at=timezone.now(),
        real_name="李小红",
        real_id_number=id_number(born="20260226", order="002"),
        benefit_start=newborn.birth_date,
    )


def test_a_formally_enrolled_babys_card_is_refused_with_what_to_settle_with(logged_in, twins):
    formalize(twins[0])
    response = logged_in.get(card_url(twins[0]))
    assert response.status_code == 409
    html = response.content.decode()
    assert "已办理正式参保登记" in html and "医保电子凭证" in html and "社会保障卡" in html
    assert prints() == []


def test_a_card_past_its_last_day_is_refused(logged_in, twins, monkeypatch):
    assert twins[0].last_day == date(2026, 5, 25)
    assert logged_in.get(card_url(twins[0], notice=0)).status_code == 200
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 5, 26))
    response = logged_in.get(card_url(twins[0]))
    assert response.status_code == 409
    assert "登记卡在出生后3个月内有效，已于2026年5月26日过期" in response.content.decode()
    assert "请家长为宝宝办理户籍登记后" in response.content.decode()
    assert len(prints()) == 1


def test_a_name_the_card_font_cannot_print_is_refused_in_chinese(logged_in, twins):
    Birth.objects.filter(pk=twins[0].birth_id).update(mother_name="张龘")
    response = logged_in.get(card_url(twins[0]))
    assert response.status_code == 422
    html = response.content.decode()
    assert "母亲姓名中的「龘」" in html and "空白方框" in html
    assert logged_in.get(batch_url(f"ids={twins[0].pk}")).status_code == 422
    assert prints() == []


@needs_pdftotext
def test_a_paid_babys_card_prints_with_a_notice_that_asks_no_payment(logged_in, clerk, twins):
    payment_record(newborn=twins[0], user=clerk, paid_on=TODAY, years=[2026], today=TODAY)
    response = logged_in.get(card_url(twins[0]))
    assert response.status_code == 200
    card, notice = pdf_pages_text(response.content)
    assert "保费已缴纳" in notice and "待遇享受起始日：2026年2月26日" in notice
    assert "前缴纳城乡居民基本医疗保险费" not in notice


@needs_pdftotext
def test_the_one_card_view_says_twins(logged_in, twins):
    response = logged_in.get(card_url(twins[1], notice=0))
    assert "出生顺序双胞胎第2个" in pdf_pages_text(response.content)[0]


def test_a_void_record_is_refused_and_not_audited(logged_in, clerk, twins):
    newborn_void(newborn=twins[0], user=clerk, reason="家属要求作废")
    response = logged_in.get(card_url(twins[0]))
    assert response.status_code == 409
    assert "已作废" in response.content.decode()
    assert prints() == []


@pytest.mark.parametrize(
    "params",
    [{"size": "B5"}, {"notice": "yes"}],
)
def test_bad_parameters_of_one_card_are_a_400_in_chinese(logged_in, twins, params):
    response = logged_in.get(card_url(twins[0], **params))
    assert response.status_code == 400
    assert "只能是" in response.content.decode()
    assert prints() == []


def test_it_prints_the_days_registrations_of_the_own_hospital(logged_in, twins, foreign):
    response = logged_in.get(batch_url("date=2026-03-02&notice=0"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="cards-2026-03-02.pdf"'
    assert pages(response) == 2  # the twins; the other hospital's baby is not printed
    assert [entry.newborn for entry in prints()] == twins
    assert {entry.detail["cards"] for entry in prints()} == {2}


def test_a_day_batch_lists_the_records_it_leaves_out_then_prints_the_rest(logged_in, clerk, twins):
    newborn_void(newborn=twins[1], user=clerk, reason="家属要求作废")
    response = logged_in.get(batch_url("date=2026-03-02&notice=0"))
    # First a page for the clerk, not the card stock: which record is left out, and why.
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "以下1条记录不能打印登记卡，其余1张可以打印" in html
    assert twins[1].personal_number in html and "已作废" in html
    assert twins[1].temp_id not in html  # masked, as in every list
    assert prints() == []
    print_url = response.context["print_url"]
    assert f"skip={twins[1].pk}" in print_url and "打印其余1张登记卡" in html
    response = logged_in.get(print_url)
    assert response.status_code == 200 and pages(response) == 1
    assert (response["X-Cards-Printed"], response["X-Cards-Skipped"]) == ("1", "1")
    assert response["X-Cards-Void-Skipped"] == "1"
    assert [entry.newborn for entry in prints()] == [twins[0]]


def test_a_batch_asks_again_when_what_it_leaves_out_has_changed(logged_in, clerk, twins):
    newborn_void(newborn=twins[1], user=clerk, reason="家属要求作废")
    print_url = logged_in.get(batch_url("date=2026-03-02&notice=0")).context["print_url"]
    newborn_void(newborn=twins[0], user=clerk, reason="家属要求作废")
    Newborn.objects.filter(pk=twins[1].pk).update(
        state=Newborn.State.REGISTERED, voided_at=None, void_reason=""
    )
    response = logged_in.get(print_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert twins[0].personal_number in response.content.decode()
    assert prints() == []


def test_a_batch_leaves_out_expired_and_formally_enrolled_records_with_their_reasons(
    logged_in, clerk, twins, monkeypatch
):
    formalize(twins[0])
    later = date(2026, 5, 26)  # the day after the twins' last day
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: later)
    response = logged_in.get(batch_url("date=2026-03-02"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "所选记录都不能打印登记卡" in html and "打印其余" not in html
    assert "已办理正式参保登记" in html and "已于2026年5月26日过期（有效期至2026年5月25日）" in html


def test_it_prints_a_selection_in_the_order_asked(logged_in, twins):
    response = logged_in.get(batch_url(f"ids={twins[1].pk},{twins[0].pk}&size=A6&notice=0"))
    assert response.status_code == 200 and pages(response) == 2
    assert [entry.newborn for entry in prints()] == [twins[1], twins[0]]


def test_a_selection_with_another_hospitals_or_an_unknown_record_is_a_404(logged_in, twins, foreign):
    for ids in (f"{twins[0].pk},{foreign.pk}", f"{twins[0].pk},999999"):
        response = logged_in.get(batch_url(f"ids={ids}"))
        assert response.status_code == 404
        assert "不存在或不属于本院" in response.content.decode()
    assert prints() == []


def test_a_day_without_registrations_is_a_404_in_chinese(logged_in, twins):
    response = logged_in.get(batch_url("date=2026-01-01"))
    assert response.status_code == 404
    assert "没有可以打印的登记记录" in response.content.decode()


def test_a_selection_of_void_records_only_is_refused(logged_in, clerk, twins):
    newborn_void(newborn=twins[0], user=clerk, reason="家属要求作废")
    response = logged_in.get(batch_url(f"ids={twins[0].pk}&skip={twins[0].pk}"))
    assert response.status_code == 409
    assert "所选记录都不能打印登记卡" in response.content.decode() and "已作废" in response.content.decode()
    assert prints() == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "date=2026-03-02&ids=1",
        "date=2026-02-30",
        "date=yesterday",
        "ids=1,x",
        "ids=1;2",
        "ids=",
        "date=2026-03-02&size=letter",
        "date=2026-03-02&notice=2",
    ],
)
def test_malformed_batch_parameters_are_a_400_in_chinese_never_a_500(logged_in, twins, query):
    response = logged_in.get(batch_url(query))
    assert response.status_code == 400, query
    assert "无法打印登记卡" in response.content.decode()
    assert prints() == []
