"""Reports (统计报表): the figures in SQL, the median, the charts, scope, the export and its audit."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from registration.masking import mask_id_number
from registration.models import AuditEntry, Newborn, Operator
from registration.views.reports import RECORD_HEADERS
from tests import factories
from tests.registration.reports_cohort import MONDAY, paid, registered

pytestmark = pytest.mark.django_db

RANGE = {"date_from": "2026-03-02", "date_to": "2026-03-15"}


@pytest.fixture
def supervisor(clerk):
    return factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born="19800101", order="035"),
    ).user


# --- the median --------------------------------------------------------------------------------------


# --- the figures -------------------------------------------------------------------------------------


# --- the page ------------------------------------------------------------------------------------------


def test_it_refuses_a_clerk_with_403(client, clerk):
    client.force_login(clerk)

    response = client.get("/reports/")

    assert response.status_code == 403
    assert "主管" in response.content.decode()
    assert client.get("/reports/export.xlsx").status_code == 403


def test_it_shows_the_supervisor_their_hospitals_figures_and_charts(client, supervisor, cohort):
    client.force_login(supervisor)

    html = client.get("/reports/", RANGE).content.decode()

    assert '<div class="fs-3" data-figure="total">4</div>' in html
    assert '<div class="fs-3" data-figure="ever_paid">3</div>' in html
    assert "75.0%" in html
    assert "2 天" in html  # the median
    assert html.count('role="img"') == 2
    assert '<title id="chart-series-title">按日登记数</title>' in html
    assert "共4名新生儿" in html  # the chart's description states the figures
    assert "各医疗机构" not in html


def test_it_defaults_to_the_last_30_days(client, supervisor):
    client.force_login(supervisor)

    response = client.get("/reports/")

    assert response.status_code == 200
    assert len(response.context["report"].series) == 30


def test_it_answers_404_for_another_hospital(client, supervisor, foreign_clerk):
    client.force_login(supervisor)
    other = foreign_clerk.operator.hospital.pk

    assert client.get("/reports/", {**RANGE, "hospital": other}).status_code == 404
    assert client.get("/reports/export.xlsx", {**RANGE, "hospital": other}).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "起始日期不能晚于截止日期"),
        ({"date_from": "2024-01-01", "date_to": "2026-03-01"}, "统计期间最长366天"),
        ({"date_from": "yesterday"}, "起始日期格式不正确"),
        ({"granularity": "year"}, "统计粒度只能是"),
        ({"hospital": "abc"}, "医疗机构参数无效"),
    ],
)
def test_it_answers_bad_queries_with_400_in_chinese(client, supervisor, query, message):
    client.force_login(supervisor)

    page = client.get("/reports/", query)
    export = client.get("/reports/export.xlsx", query)

    assert page.status_code == 400 and message in page.content.decode()
    assert export.status_code == 400 and message in export.content.decode()


def test_it_shows_an_administrator_every_hospital(client, administrator, foreign_clerk, cohort):
    registered(foreign_clerk, 6, MONDAY + timedelta(days=1))
    client.force_login(administrator)

    html = client.get("/reports/", RANGE).content.decode()

    assert '<div class="fs-3" data-figure="total">5</div>' in html
    assert "各医疗机构" in html and "桂林市人民医院" in html


def query_count(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


def test_the_page_and_the_export_run_a_bounded_number_of_queries(client, supervisor, clerk, cohort):
    client.force_login(supervisor)
    page, export = query_count(client, "/reports/", RANGE), query_count(client, "/reports/export.xlsx", RANGE)
    for index in range(10, 30):
        newborn = registered(clerk, index, MONDAY + timedelta(days=index % 10))[0]
        paid(newborn, clerk, index % 7)

    # 12 for the report, up to 9 for the hospital's data-quality figures (docs/quality.md), which skip
    # the reads of what an empty period does not have (the pairs' records, the hospitals' names).
    assert page <= query_count(client, "/reports/", RANGE) <= 21
    assert query_count(client, "/reports/export.xlsx", RANGE) == export <= 14


# --- the export ------------------------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        "attachment; filename=\"report-20260302-20260315.xlsx\"; filename*=UTF-8''"
    )
    # Streamed from a temporary file (issue 15): the body is read as a browser reads it.
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_export_holds_the_figures_then_the_records_with_masked_ids_for_a_supervisor(
    client, supervisor, cohort
):
    client.force_login(supervisor)

    book = workbook(client.get("/reports/export.xlsx", RANGE))

    assert book.sheetnames == ["统计", "登记明细"]
    figures = {row[0]: row[1:] for row in book["统计"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert book["统计"]["A1"].value == "新生儿预参保登记统计（南宁市第一人民医院）"
    assert [cell.value for cell in book["统计"][3]][:3] == ["项目", "数值", "比例"]
    assert figures["统计期间（登记日期）"][0] == "2026-03-02 至 2026-03-15"
    assert figures["登记新生儿数"][0] == 4
    assert figures["已缴费（含正式参保）"][:2] == (3, "75.0%")
    assert figures["其中：正式参保"][:2] == (1, "25.0%")
    assert figures["已作废"][:2] == (1, "25.0%")
    assert figures["登记至首次缴费天数（中位数）"][0] == 2
    records = book["登记明细"]
    assert records["A1"].value == "证件号码已按规定隐藏中间位。"
    assert [cell.value for cell in records[2]] == RECORD_HEADERS
    rows = list(records.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 4
    twin = cohort["twins"][0]
    first = rows[0]
    assert first[0] == 1
    assert first[1].date() == MONDAY
    assert first[2] == "南宁市第一人民医院"
    assert first[3] == twin.name
    assert first[4] == "女"
    assert first[6] == mask_id_number(twin.temp_id)
    assert first[7] == twin.personal_number
    assert first[8] == "正式参保"
    assert first[10].date() == MONDAY
    assert first[11] == 0
    assert first[12] == "张小花"
    twin.refresh_from_db()
    assert first[13] == mask_id_number(twin.real_id_number)
    assert rows[3][14] == "家长放弃预参保"
    values = {str(value) for row in rows for value in row}
    assert twin.temp_id not in values and twin.real_id_number not in values


def test_the_export_quotes_a_text_that_starts_like_a_formula_and_keeps_numbers(client, supervisor, cohort):
    twin = cohort["twins"][0]
    Newborn.objects.filter(pk=twin.pk).update(name='=HYPERLINK("http://x","y")')
    Newborn.objects.filter(pk=cohort["fourth"].pk).update(void_reason="-1+1")
    client.force_login(supervisor)

    rows = list(
        workbook(client.get("/reports/export.xlsx", RANGE))["登记明细"].iter_rows(min_row=3, values_only=True)
    )

    assert rows[0][3] == '\'=HYPERLINK("http://x","y")'
    assert rows[3][14] == "'-1+1"
    assert (rows[0][0], rows[0][11]) == (1, 0)  # numbers stay numbers


def test_the_export_series_block_lists_every_day(client, supervisor, cohort):
    client.force_login(supervisor)

    sheet = workbook(client.get("/reports/export.xlsx", RANGE))["统计"]
    cells = [row for row in sheet.iter_rows(values_only=True)]
    start = next(index for index, row in enumerate(cells) if row[0] == "按日登记数")

    assert cells[start + 1][:2] == ("日（起始日）", "登记数")
    assert cells[start + 2][0].date() == MONDAY and cells[start + 2][1] == 2
    assert len([row for row in cells[start + 2 : start + 16] if row[0] is not None]) == 14


def test_the_export_gives_an_administrator_full_ids_and_the_hospital_breakdown(client, administrator, cohort):
    client.force_login(administrator)

    book = workbook(client.get("/reports/export.xlsx", RANGE))

    records = book["登记明细"]
    assert [cell.value for cell in records[1]] == RECORD_HEADERS  # no masking note
    assert records["G2"].value == cohort["twins"][0].temp_id
    labels = [row[0] for row in book["统计"].iter_rows(values_only=True)]
    assert "各医疗机构" in labels


def test_the_export_leaves_the_records_out_for_a_supervisor_without_module_access(client, supervisor, cohort):
    Operator.objects.filter(user=supervisor).update(access=Operator.Access.REQUESTED)
    client.force_login(supervisor)

    book = workbook(client.get("/reports/export.xlsx", RANGE))

    assert "尚未开通" in book["登记明细"]["A1"].value
    assert book["登记明细"].max_row == 3  # two notes and the header row


def test_every_export_is_audited(client, supervisor, cohort):
    client.force_login(supervisor)

    client.get("/reports/export.xlsx", RANGE, REMOTE_ADDR="10.0.0.9")
    client.get("/reports/export.xlsx", RANGE, REMOTE_ADDR="10.0.0.9")

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)
    assert entries.count() == 2
    entry = entries.first()
    assert entry.user == supervisor
    assert entry.hospital == supervisor.operator.hospital
    assert entry.ip == "10.0.0.9"
    assert entry.detail["kind"] == "report"
    assert entry.detail["rows"] == 4
    assert entry.detail["full_ids"] is False
    assert (entry.detail["from"], entry.detail["to"]) == ("2026-03-02", "2026-03-15")


# --- the charts --------------------------------------------------------------------------------------


def test_charts_are_accessible_images_whose_texts_are_escaped():
    from registration.charts import bar_chart_svg, share_bar_svg

    bars = bar_chart_svg([("<b>03-02</b>", 3), ("03-03", 0)], title="按日<登记>", desc="共3名", chart_id="c1")
    shares = share_bar_svg(
        [("已缴费", 1, "#198754"), ("已作废", 3, "#6c757d")], title="状态", desc="d", chart_id="c2"
    )

    assert bars.startswith('<svg class="app-chart"') and 'role="img"' in bars
    assert 'aria-labelledby="c1-title c1-desc"' in bars
    assert '<title id="c1-title">按日&lt;登记&gt;</title>' in bars
    assert "<b>" not in bars and "&lt;b&gt;03-02&lt;/b&gt;：3" in bars
    assert 'fill="#495057">5<' in bars and ">2.5<" not in bars  # whole-number ticks for counts
    assert "已缴费 1（25.0%）" in shares and "已作废 3（75.0%）" in shares


def test_charts_leave_their_font_to_the_apps_stack():
    from registration.charts import bar_chart_svg, share_bar_svg

    bars = bar_chart_svg([("03-02", 3)], title="t", desc="d", chart_id="c1")
    shares = share_bar_svg([("已缴费", 1, "#198754")], title="t", desc="d", chart_id="c2")

    # A font-family attribute would win over the page's CSS (.app-chart in static/css/app.css).
    assert "font-family" not in bars and "font-family" not in shares
    css = (Path(__file__).resolve().parents[3] / "static" / "css" / "app.css").read_text()
    assert re.search(r"\.app-chart \{\s*font-family: var\(--app-font-sans\);", css)


def test_an_export_past_its_cap_says_so_and_stops_there(client, supervisor, cohort, monkeypatch):
    from registration.views import reports

    monkeypatch.setattr(reports, "EXPORT_MAX_RECORDS", 3)
    client.force_login(supervisor)

    records = workbook(client.get("/reports/export.xlsx", RANGE))["登记明细"]

    assert records["A1"].value == "记录过多，仅导出前3条，请缩短统计期间。"
    assert [row[0] for row in records.iter_rows(min_row=4, values_only=True)] == [1, 2, 3]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.detail["rows"] == 3 and entry.detail["truncated"] is True


def test_the_exports_file_name_carries_the_hospital_and_the_period(client, supervisor, administrator):
    from urllib.parse import unquote

    client.force_login(supervisor)
    own = client.get("/reports/export.xlsx", RANGE)["Content-Disposition"]
    client.force_login(administrator)
    every = client.get("/reports/export.xlsx", RANGE)["Content-Disposition"]

    period = "2026-03-02至2026-03-15"
    assert unquote(own.split("filename*=UTF-8''")[1]) == f"统计报表-南宁市第一人民医院-{period}.xlsx"
    assert unquote(every.split("filename*=UTF-8''")[1]) == f"统计报表-全部医疗机构-{period}.xlsx"


# --- last month, and the totals by city and by insurance agency ----------------------------------------


def test_the_last_month_shortcut_is_the_calendar_month_before_today(client, supervisor, pinned_today):
    client.force_login(supervisor)

    html = client.get("/reports/", {"granularity": "week"}).content.decode()

    link = re.search(r'href="([^"]*)" data-last-month>上月</a>', html).group(1).replace("&amp;", "&")
    assert link == "/reports/?date_from=2026-02-01&date_to=2026-02-28&granularity=week"
    response = client.get(link)
    assert (response.context["report"].date_from, response.context["report"].date_to) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )


def test_last_month_across_a_year_and_a_leap_february():
    from registration.views.reports import last_month

    assert last_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert last_month(date(2028, 3, 31)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_the_administrators_shortcut_keeps_the_hospital(client, administrator, clerk, pinned_today):
    client.force_login(administrator)
    hospital = clerk.operator.hospital

    html = client.get("/reports/", {"hospital": hospital.pk}).content.decode()

    assert f'granularity=day&amp;hospital={hospital.pk}" data-last-month' in html


def test_the_administrators_page_and_export_show_the_totals_by_city_and_agency(
    client, administrator, cohort, guilin
):
    client.force_login(administrator)

    plain = client.get("/reports/", RANGE).content.decode()
    html = client.get("/reports/", {**RANGE, "places": "1"}).content.decode()

    # On asking: at a province's volume they take seconds (docs/performance.md).
    assert "data-places=" not in plain and "data-places-link" in plain
    cities = html[html.index('data-places="cities"') :]
    assert "各市（按参保社区所在市）" in cities and 'data-place="桂林市"' in cities
    agencies = html[html.index('data-places="agencies"') :]
    assert re.search(r'data-place="桂林市医疗保障事业管理中心">\s*<td>[^<]+</td>\s*<td>2</td>', agencies)
    book = workbook(client.get("/reports/export.xlsx", {**RANGE, "places": "1"}))
    rows = list(book["统计"].iter_rows(values_only=True))
    labels = [row[0] for row in rows]
    assert "各市（按参保社区所在市）" in labels and "各参保所属机构" in labels
    assert ("桂林市", 2, 1, "50.0%", 0, 0, 1) in [tuple(row[:7]) for row in rows]


def test_a_supervisors_report_has_no_place_tables(client, supervisor, cohort):
    client.force_login(supervisor)

    html = client.get("/reports/", RANGE).content.decode()

    assert "data-places" not in html and "data-last-month" in html
