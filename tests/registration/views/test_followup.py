"""The follow-up list (待跟进): who must be called today, its highlight, scope, export and audit."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from registration.masking import mask_id_number
from registration.models import AuditEntry, Newborn, Operator, Sex
from registration.services.lifecycle import payment_record
from registration.services.newborns import BabyInput, ParentInput
from registration.views.followup import EXPORT_HEADERS
from tests import factories

pytestmark = pytest.mark.django_db


def mother(index: int) -> ParentInput:
    return ParentInput(
        factories.person_name("母亲", index),
        factories.id_number(order=f"{index:02d}2"),
        f"1387711{index:04d}",
    )


def unpaid(clerk, index: int, days_left: int) -> Newborn:
    """A registered, unpaid baby of its own mother whose last day is `days_left` days from today."""
    today = timezone.localdate()
    birth = factories.register(
        clerk, mother=mother(index), babies=[BabyInput(Sex.FEMALE, today - timedelta(days=3))], today=today
    )
    newborn = birth.newborns.get()
    Newborn.objects.filter(pk=newborn.pk).update(last_day=today + timedelta(days=days_left))
    newborn.refresh_from_db()
    return newborn


@pytest.fixture
def foreign_clerk(clerk):
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    return factories.operator_make(username="clerk_gl", hospital=hospital).user


@pytest.fixture
def administrator(db):
    return factories.user_make("admin", is_staff=True)


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/followup/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_refuses_a_clerk_without_module_access(client, clerk):
    Operator.objects.filter(user=clerk).update(access=Operator.Access.REQUESTED)
    client.force_login(clerk)

    response = client.get("/followup/")
    export = client.get("/followup/export.xlsx")

    assert response.status_code == 403
    assert "尚未开通" in response.content.decode()
    assert export.status_code == 403


def test_it_lists_unpaid_records_by_days_left_with_full_phones_and_masked_ids(client, clerk):
    late, early = unpaid(clerk, 1, 40), unpaid(clerk, 2, 3)
    paid = unpaid(clerk, 3, 1)
    payment_record(newborn=paid, user=clerk, paid_on=timezone.localdate(), years=[timezone.localdate().year])
    client.force_login(clerk)

    html = client.get("/followup/").content.decode()

    assert html.index(f"/newborns/{early.pk}/") < html.index(f"/newborns/{late.pk}/")
    assert f"/newborns/{paid.pk}/" not in html
    assert "13877110002" in html and 'href="tel:13877110002"' in html  # the mother's phone, in full
    assert "13977154321" in html  # the father's phone
    assert mask_id_number(early.temp_id) in html
    assert early.temp_id not in html
    assert early.birth.mother_id_number not in html


def test_it_highlights_records_from_seven_days_left_and_marks_the_expired(client, clerk):
    eight, seven, today_, expired = (unpaid(clerk, n, days) for n, days in ((1, 8), (2, 7), (3, 0), (4, -2)))
    client.force_login(clerk)

    html = client.get("/followup/").content.decode()
    rows = {row.split('data-days-left="')[1].split('"')[0]: row for row in html.split("<tr class=")[1:]}

    assert "data-urgent" not in rows["8"].split(">")[0] and "table-warning" not in rows["8"].split(">")[0]
    assert "data-urgent" in rows["7"].split(">")[0] and "table-warning" in rows["7"].split(">")[0]
    assert "今天截止" in rows["0"]
    assert "table-danger" in rows["-2"].split(">")[0]
    assert "已过期 2 天，待作废" in rows["-2"]
    assert [eight, seven, today_, expired]  # all four listed
    assert len(rows) == 4


def test_it_answers_who_to_call_today_at_the_top(client, clerk):
    for index, days in enumerate((0, 0, 5, 7, 8, 30, -1), start=1):
        unpaid(clerk, index, days)
    client.force_login(clerk)

    html = client.get("/followup/").content.decode()

    assert "今天需要电话提醒谁？" in html
    assert '<strong data-count="due_today">2</strong>' in html
    assert '<strong data-count="urgent">4</strong>' in html  # 0, 0, 5 and 7 days left
    assert '<strong data-count="expired">1</strong>' in html
    assert '<strong data-count="total">7</strong>' in html
    assert "今天截止 2 人" in html


def test_it_shows_only_the_urgent_ones_on_request(client, clerk):
    soon, later = unpaid(clerk, 1, 2), unpaid(clerk, 2, 20)
    client.force_login(clerk)

    html = client.get("/followup/?urgent=1").content.decode()

    assert f"/newborns/{soon.pk}/" in html
    assert f"/newborns/{later.pk}/" not in html


def test_it_leaves_another_hospitals_records_out(client, clerk, foreign_clerk):
    own = unpaid(clerk, 1, 10)
    foreign = unpaid(foreign_clerk, 2, 10)
    client.force_login(clerk)

    html = client.get("/followup/").content.decode()

    assert f"/newborns/{own.pk}/" in html
    assert f"/newborns/{foreign.pk}/" not in html


def test_it_answers_404_for_another_hospital_in_the_query(client, clerk, foreign_clerk):
    client.force_login(clerk)
    other = foreign_clerk.operator.hospital

    assert client.get(f"/followup/?hospital={other.pk}").status_code == 404
    assert client.get(f"/followup/export.xlsx?hospital={other.pk}").status_code == 404
    assert client.get(f"/followup/?hospital={clerk.operator.hospital.pk}").status_code == 200


def test_it_answers_400_in_chinese_for_a_malformed_hospital(client, administrator):
    client.force_login(administrator)

    response = client.get("/followup/?hospital=1x")

    assert response.status_code == 400
    assert "医疗机构参数无效" in response.content.decode()


def test_it_shows_an_administrator_every_hospital_and_filters_by_one(
    client, clerk, foreign_clerk, administrator
):
    own, foreign = unpaid(clerk, 1, 10), unpaid(foreign_clerk, 2, 10)
    client.force_login(administrator)

    everything = client.get("/followup/").content.decode()
    one = client.get(f"/followup/?hospital={foreign_clerk.operator.hospital.pk}").content.decode()

    assert f"/newborns/{own.pk}/" in everything and f"/newborns/{foreign.pk}/" in everything
    assert "桂林市人民医院" in everything
    assert f"/newborns/{own.pk}/" not in one and f"/newborns/{foreign.pk}/" in one
    assert client.get("/followup/?hospital=999999").status_code == 404


def test_it_paginates_fifty_a_page(client, clerk):
    for index in range(52):
        unpaid(clerk, index % 50, index)
    client.force_login(clerk)

    first = client.get("/followup/").content.decode()
    second = client.get("/followup/?page=2").content.decode()

    assert first.count("data-days-left=") == 50
    assert second.count("data-days-left=") == 2


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_runs_a_bounded_number_of_queries_whatever_the_rows(client, clerk):
    client.force_login(clerk)
    unpaid(clerk, 1, 5)
    page, export = query_count(client, "/followup/"), query_count(client, "/followup/export.xlsx")
    for index in range(2, 30):
        unpaid(clerk, index, index)

    assert query_count(client, "/followup/") == page <= 12
    assert query_count(client, "/followup/export.xlsx") == export <= 12


# --- the export ----------------------------------------------------------------------------------------


def workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    # Streamed from a temporary file (issue 15): the body is read as a browser reads it.
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_it_exports_the_list_cell_by_cell_with_masked_ids_for_staff(client, clerk):
    soon, later = unpaid(clerk, 1, 2), unpaid(clerk, 2, 20)
    client.force_login(clerk)

    sheet = workbook(client.get("/followup/export.xlsx"))["待跟进"]

    assert sheet["A1"].value == "新生儿预参保待缴费跟进名单（南宁市第一人民医院）"
    assert [cell.value for cell in sheet[3]] == EXPORT_HEADERS
    first = [cell.value for cell in sheet[4]]
    assert first[0] == 1
    assert first[1] == soon.name
    assert first[2] == mask_id_number(soon.temp_id)
    assert first[3] == soon.personal_number
    assert first[4] == 2
    assert first[5] == "剩2天"
    assert first[6].date() == soon.last_day
    assert first[7:11] == ["母亲一", "13877110001", "李四", "13977154321"]
    assert first[12].date() == soon.birth.registered_on
    assert first[13] == "南宁市第一人民医院"
    assert sheet["B5"].value == later.name
    assert sheet.max_row == 5
    values = [str(cell.value) for row in sheet.iter_rows() for cell in row]
    assert soon.temp_id not in values and soon.birth.mother_id_number not in values


def test_it_exports_full_ids_for_an_administrator(client, clerk, administrator):
    newborn = unpaid(clerk, 1, 2)
    client.force_login(administrator)

    sheet = workbook(client.get("/followup/export.xlsx"))["待跟进"]

    assert sheet["A1"].value == "新生儿预参保待缴费跟进名单（全部医疗机构）"
    assert sheet["C4"].value == newborn.temp_id


def test_it_exports_the_birth_certificate_number_of_a_record_without_a_temporary_id(
    client, clerk, administrator
):
    newborn = unpaid(clerk, 1, 2)
    Newborn.objects.filter(pk=newborn.pk).update(temp_id=None, birth_certificate_number="Q450123456")

    client.force_login(clerk)
    assert workbook(client.get("/followup/export.xlsx"))["待跟进"]["C4"].value == mask_id_number("Q450123456")
    client.force_login(administrator)
    assert workbook(client.get("/followup/export.xlsx"))["待跟进"]["C4"].value == "Q450123456"


def test_it_records_each_export_in_the_audit_log(client, clerk):
    unpaid(clerk, 1, 2)
    client.force_login(clerk)

    client.get("/followup/export.xlsx", REMOTE_ADDR="10.1.2.3")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == clerk
    assert entry.hospital == clerk.operator.hospital
    assert entry.ip == "10.1.2.3"
    assert entry.detail["kind"] == "followup"
    assert entry.detail["rows"] == 1
    assert entry.detail["full_ids"] is False


def test_it_colours_the_export_like_the_page_and_says_each_rows_state_in_words(client, clerk):
    unpaid(clerk, 1, -3), unpaid(clerk, 2, 0), unpaid(clerk, 3, 7), unpaid(clerk, 4, 8)
    client.force_login(clerk)

    sheet = workbook(client.get("/followup/export.xlsx"))["待跟进"]

    assert "黄色" in sheet["A2"].value and "红色" in sheet["A2"].value  # the legend
    rows = {row[4].value: row for row in sheet.iter_rows(min_row=4)}
    fills = {days: row[0].fill.fgColor.rgb[-6:] for days, row in rows.items() if row[0].fill.fill_type}
    assert fills == {-3: "F8D7DA", 0: "FFF3CD", 7: "FFF3CD"}  # 8 days left: not highlighted
    assert all(cell.fill.fgColor.rgb[-6:] == "F8D7DA" for cell in rows[-3])  # the whole row
    labels = {days: row[5].value for days, row in rows.items()}
    assert labels == {-3: "已过期3天，待作废", 0: "今天截止", 7: "剩7天", 8: None}


def test_it_writes_a_name_beginning_with_an_equals_sign_as_text_not_a_formula(client, clerk):
    newborn = unpaid(clerk, 1, 2)
    Newborn.objects.filter(pk=newborn.pk).update(name="=HYPERLINK(1)")
    client.force_login(clerk)

    sheet = workbook(client.get("/followup/export.xlsx"))["待跟进"]

    assert sheet["B4"].value == "'=HYPERLINK(1)"  # OWASP's quote: stays text when edited or saved as CSV
    assert sheet["B4"].data_type == "s"


# --- paid, but the next year unpaid before the card expires (docs/rules.md, Which days are covered) -------


def paid_for(clerk, index: int, born, payments) -> Newborn:
    return factories.register_paid(clerk, born, payments, mother=mother(index))


def test_it_lists_paid_records_whose_next_year_is_unpaid_before_the_card_expires(
    client, clerk, foreign_clerk, administrator, today_is
):
    december = [(date(2026, 12, 10), [2026])]
    only_2026 = paid_for(clerk, 1, date(2026, 11, 28), december)  # last day 2027-02-27
    both = paid_for(clerk, 2, date(2026, 11, 20), [(date(2026, 12, 10), [2026, 2027])])
    within_2026 = paid_for(clerk, 3, date(2026, 10, 1), [(date(2026, 10, 10), [2026])])  # last day 2026-12-31
    elsewhere = paid_for(foreign_clerk, 4, date(2026, 11, 28), december)
    still_unpaid = paid_for(clerk, 5, date(2026, 11, 29), [])
    assert (only_2026.paid_until, both.paid_until) == (date(2026, 12, 31), date(2027, 12, 31))
    client.force_login(clerk)
    today_is(date(2026, 12, 20))

    summary = client.get("/followup/").content.decode()
    listed = client.get("/followup/", {"next_year": "1"}).content.decode()

    assert 'data-count="next_year">1<' in summary and "data-next-year-summary" in summary
    assert only_2026.name in listed and f"/newborns/{only_2026.pk}/" in listed
    assert "data-next-year>2027年度<" in listed and "2026-12-31" in listed and "2027-02-27" in listed
    for absent in (both, within_2026, elsewhere, still_unpaid):
        assert f"/newborns/{absent.pk}/" not in listed
    assert f"/newborns/{only_2026.pk}/" not in summary  # the unpaid list is the unpaid list
    assert f"/newborns/{still_unpaid.pk}/" in summary

    client.force_login(administrator)
    everyone = client.get("/followup/", {"next_year": "1"}).content.decode()
    assert f"/newborns/{only_2026.pk}/" in everyone and f"/newborns/{elsewhere.pk}/" in everyone

    today_is(date(2027, 2, 28))  # the card has expired: the agency's business now
    assert f"/newborns/{only_2026.pk}/" not in client.get("/followup/", {"next_year": "1"}).content.decode()


def test_paying_the_next_year_takes_a_record_off_the_list(client, clerk, today_is):
    newborn = paid_for(clerk, 1, date(2026, 11, 28), [(date(2026, 12, 10), [2026])])
    payment_record(
        newborn=newborn, user=clerk, paid_on=date(2027, 1, 3), years=[2027], today=date(2027, 1, 3)
    )
    client.force_login(clerk)
    today_is(date(2027, 1, 5))

    page = client.get("/followup/", {"next_year": "1"}).content.decode()

    assert 'data-count="next_year">0<' in page and f"/newborns/{newborn.pk}/" not in page
    assert "没有次年度保费未缴的已缴费记录" in page


def test_the_exports_file_name_carries_the_hospital(client, clerk):
    from urllib.parse import unquote

    client.force_login(clerk)

    header = client.get("/followup/export.xlsx")["Content-Disposition"]

    today = timezone.localdate()
    assert header.startswith(f'attachment; filename="followup-{today:%Y%m%d}.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == f"待跟进-南宁市第一人民医院-{today:%Y-%m-%d}.xlsx"
