"""A province's hot queries read their indexes and stop at their LIMIT (issue 15), and exports stay flat.

The PostgreSQL tests build a small province with bench/province_data.py (the builder of `make
bench-province`), ANALYZE it and read the plans: no sequential scan of the big tables, the orderings
served by an index. The pagination and export tests run on both databases.
"""

import importlib.util
import io
import re
import tracemalloc
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from registration import selectors
from registration.models import AuditEntry, Birth, Division, Newborn
from registration.pagination import LAST, BoundedPaginator
from registration.services.exports import StreamedSheet, xlsx_file

# The newborns' indexes that start with their hospital: (hospital, state, last_day) and the reports'.
HOSPITAL_INDEX = "registration_newborn_hosp_(st|rep) "
BIG_TABLES = ["registration_newborn", "registration_birth", "registration_auditentry", "registration_payment"]


def _province_data():
    path = Path(__file__).resolve().parents[2] / "bench" / "province_data.py"
    spec = importlib.util.spec_from_file_location("province_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def province(django_db_blocker):
    """About 5,000 newborns over 250 hospitals (2 % in the big one), 50,000 audit entries, analyzed."""
    province = Division.objects.create(code="45", name="广西壮族自治区", level=1)
    city = Division.objects.create(code="4501", name="南宁市", level=2, parent=province)
    for county_code, name in (("450103", "青秀区"), ("450102", "兴宁区")):
        county = Division.objects.create(code=county_code, name=name, level=3, parent=city)
        town = Division.objects.create(code=county_code + "001", name="街道", level=4, parent=county)
        for number in range(1, 4):
            Division.objects.create(
                code=f"{county_code}001{number:03d}", name=f"社区{number}", level=5, parent=town
            )
    _province_data().province_build(newborns=5000, say=lambda line: None)
    return Birth.objects.filter(hospital__code="H45010300001").order_by("pk")[10]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _no_seq_scan_of_big_tables(plan: str) -> None:
    for table in BIG_TABLES:
        assert f"Seq Scan on {table}" not in plan, plan


def _users():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return User.objects.get(username="clerk000"), User.objects.get(username="admin")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_records_list_reads_its_first_page_through_the_births_order_index(province):
    for user, index in zip(_users(), ("registration_birth_hosp_at", "registration_birth_at"), strict=True):
        plan = _plan(selectors.newborn_search_for_user(user=user)[:25])

        assert f"Index Scan using {index} on registration_birth" in plan, plan
        assert "->  Sort " not in plan, plan  # no sort of the whole join: at most an incremental one
        _no_seq_scan_of_big_tables(plan)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_administrators_slices_of_the_records_list_read_the_births_indexes(province):
    from datetime import timedelta

    _, administrator = _users()
    last = province.registered_on  # a week that holds a registration of the big hospital
    week = {"registered_from": last - timedelta(days=6), "registered_to": last}
    big = province.hospital_id
    # A hospital's: its (hospital, registered_at) order index, or its (hospital, registered_on) entries of
    # the week; every hospital's week: the (registered_on) index. At most the week's rows are sorted.
    for filters, index in (
        ({"hospital_id": big}, "registration_birth_hosp_at"),
        ({"hospital_id": big, **week}, "registration_birth_hosp_day"),
        (week, "registration_birth_registered_on"),
        ({**week, "state": "registered"}, "registration_birth_registered_on"),
    ):
        plan = _plan(selectors.newborn_search_for_user(user=administrator, **filters)[:25])

        assert f"using {index}" in plan, (filters, plan)
        _no_seq_scan_of_big_tables(plan)
    sliced = selectors.newborn_search_for_user(user=administrator, hospital_id=big, **week)
    expected = Newborn.objects.filter(
        birth__hospital_id=big, birth__registered_on__range=(week["registered_from"], last)
    )
    assert sliced.count() == expected.count() > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pages_materials_marks_probe_the_scans_index_for_its_births_only(province):
    clerk, _ = _users()
    page = list(selectors.newborn_search_for_user(user=clerk)[:25])
    with CaptureQueriesContext(connection) as queries:
        marked = selectors.materials_incomplete_mark(page)
    assert len(queries.captured_queries) == 1 and len(marked) == 25
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries.captured_queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registration_material_kinds" in plan, plan
    assert "Seq Scan on registration_material" not in plan, plan
    # The list's own query no longer reads the scans at all.
    assert "registration_material" not in _plan(selectors.newborn_search_for_user(user=clerk)[:25])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_unpaid_lists_and_counts_read_the_unpaid_indexes(province):
    from datetime import timedelta

    from django.utils import timezone

    from registration.selectors.reports import followup_counts

    today = timezone.localdate()
    # A hospital's unpaid through its own entries of (hospital, state, last_day), the province's through the
    # partial index of the unpaid by last day.
    for user, index in zip(
        _users(), ("registration_newborn_hosp_st", "registration_newborn_unpaid"), strict=True
    ):
        followup = selectors.newborns_followup_for_user(user=user)
        for queryset in (followup[:50], selectors.newborns_unpaid(user=user).order_by()):
            plan = _plan(queryset)
            # At this size the planner may hash the births rather than probe them; the newborns are not read.
            assert index in plan, plan
            assert "Seq Scan on registration_newborn" not in plan, plan
        with CaptureQueriesContext(connection) as queries:
            followup_counts(followup, today=today, urgent_days=7)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + queries.captured_queries[0]["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Index Only Scan using {index}" in plan, plan  # the counts read no newborn's row
    voidable = Newborn.objects.filter(state=Newborn.State.REGISTERED, last_day__lt=today - timedelta(days=1))
    assert "registration_newborn_unpaid" in _plan(voidable.values("pk"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_parents_id_is_a_union_of_indexed_lookups(province):
    for user in _users():
        plan = _plan(selectors.newborn_search_for_user(user=user, identity_number=province.mother_id_number))

        assert "registration_birth_mother_id" in plan and "registration_birth_father_id" in plan, plan
        assert "registration_newborn_real_id_number" in plan, plan
        _no_seq_scan_of_big_tables(plan)
    clerk, _ = _users()
    found = selectors.newborn_search_for_user(user=clerk, identity_number=province.mother_id_number)
    assert {newborn.birth_id for newborn in found} == {province.pk}


def _name_fragments(province) -> tuple[Newborn, str, str]:
    """A newborn of the big hospital, a common fragment of its name (its given name: about 2 % of the
    province's names) and a rare one (its whole name)."""
    newborn = Newborn.objects.filter(birth=province).first()
    return newborn, newborn.name[1:3] if len(newborn.name) >= 3 else newborn.name, newborn.name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_name_fragment_reads_the_bigram_indexes(province):
    newborn, common, rare = _name_fragments(province)
    _, admin = _users()
    for fragment in (common, rare):
        names = selectors.newborn_search_for_user(user=admin, name=fragment)

        plan = _plan(names[:25])
        if fragment == rare:
            assert "registration_newborn_name_bigrams" in plan, plan
            assert "registration_newborn_real_name_bigrams" in plan, plan
            _no_seq_scan_of_big_tables(plan)
        else:  # the bigram indexes, or the list's order walked until a page is full; at this size the
            # planner may hash the births rather than probe them
            assert "_name_bigrams" in plan or "registration_birth_at" in plan, plan
            assert "Seq Scan on registration_newborn" not in plan, plan
        assert newborn in names
        assert all(fragment in found.name or fragment in found.real_name for found in names)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hospitals_name_fragment_reads_only_its_own_matches(province):
    # The bigram indexes' matches intersected with the hospital's entries of an index that starts with the
    # hospital ((hospital, state, last_day) or the reports' (hospital, registered_on, …): the planner takes
    # the cheaper): the province's other matches are never read, for the page nor for its bounded count.
    newborn, common, _ = _name_fragments(province)
    clerk, _ = _users()
    names = selectors.newborn_search_for_user(user=clerk, name=common)

    for queryset in (names[:25], names.select_related(None).order_by().values("pk")[:10001]):
        plan = _plan(queryset)
        assert "BitmapAnd" in plan and re.search(HOSPITAL_INDEX, plan), plan
        assert "registration_newborn_name_bigrams" in plan, plan
        _no_seq_scan_of_big_tables(plan)
    assert newborn in names
    assert all(found.hospital_id == newborn.hospital_id for found in names)
    assert all(common in found.name or common in found.real_name for found in names)
    everywhere = Newborn.objects.filter(name__contains=common).exclude(hospital_id=newborn.hospital_id)
    assert everywhere.exists()  # the fragment is found elsewhere too: the hospital's bound matters


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hospitals_one_character_search_reads_the_names_character_indexes(province):
    # A surname has no bigram: the count (and a page the planner does not walk in the list's order) reads
    # the characters' indexes (migration 0034), intersected with the hospital's entries, never every
    # record of the hospital from the table.
    newborn, _, _ = _name_fragments(province)
    surname = newborn.name[0]
    clerk, _ = _users()
    names = selectors.newborn_search_for_user(user=clerk, name=surname)

    plan = _plan(names.select_related(None).order_by().values("pk")[:10001])
    assert "registration_newborn_name_chars" in plan and "registration_newborn_real_name_chars" in plan, plan
    assert "BitmapAnd" in plan and re.search(HOSPITAL_INDEX, plan), plan
    _no_seq_scan_of_big_tables(plan)
    assert "Seq Scan on registration_newborn" not in _plan(names[:25])
    expected = Newborn.objects.filter(hospital_id=newborn.hospital_id).filter(
        Q(name__contains=surname) | Q(real_name__contains=surname)
    )
    assert newborn in names
    assert set(names.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hospitals_records_by_state_are_counted_from_its_own_index_entries(province):
    clerk, _ = _users()
    for state in (Newborn.State.VOID, Newborn.State.REGISTERED):
        records = selectors.newborn_search_for_user(user=clerk, state=state)

        count = _plan(records.select_related(None).order_by().values("pk")[:10001])
        assert "registration_newborn_hosp_st" in count, count
        _no_seq_scan_of_big_tables(count)
        _no_seq_scan_of_big_tables(_plan(records[:25]))
        assert {(found.hospital_id, found.state) for found in records} == {
            (clerk.operator.hospital_id, state)
        }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_audit_filters_read_their_indexes(province):
    clerk, admin = _users()
    from django.contrib.auth import get_user_model

    supervisor = get_user_model().objects.get(username="supervisor000")
    cases = [
        (admin, {"action": "print"}, "registration_audit_action_at"),
        (supervisor, {"action": "print"}, "registration_audit_hosp_act_at"),
        (admin, {"username": "clerk000"}, "registration_audit_user_at"),
        (supervisor, {}, "registration_audit_hosp_at"),
    ]
    for user, filters, index in cases:
        plan = _plan(selectors.audit_entries_for_user(user=user, **filters)[:50])

        assert index in plan, (filters, plan)
        _no_seq_scan_of_big_tables(plan)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_audit_log_finds_part_of_a_login_name_without_reading_every_entry(province):
    # Issue 29: the names the fragment matches are looked up among the accounts first, then their entries.
    _, admin = _users()

    several = selectors.audit_entries_for_user(user=admin, username="clerk00")

    _no_seq_scan_of_big_tables(_plan(several[:50]))
    found = {entry.username for entry in several[:50]}
    assert found and found <= {f"clerk00{digit}" for digit in range(10)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_admin_changelists_search_by_the_terms_shape_through_an_index(province, client):
    _, admin = _users()
    client.force_login(admin)
    newborn = Newborn.objects.filter(birth=province).first()
    searches = [
        ("newborn", newborn.temp_id or newborn.birth_certificate_number),
        ("newborn", province.mother_id_number),
        ("newborn", newborn.personal_number),
        ("birth", province.mother_id_number),
        ("payment", newborn.personal_number),
        ("auditentry", "clerk000"),
    ]
    for model, term in searches:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/admin/registration/{model}/", {"q": term})
        assert response.status_code == 200
        assert len(queries) <= 12, [query["sql"] for query in queries]
        for query in queries:
            if "registration_" in query["sql"] and query["sql"].startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN " + query["sql"])
                    _no_seq_scan_of_big_tables("\n".join(row[0] for row in cursor.fetchall()))
    response = client.get("/admin/registration/newborn/", {"q": province.mother_id_number})
    assert newborn in response.context["cl"].result_list


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_admins_hospital_filter_reads_the_hospitals_rows_of_both_tables(province, client):
    # NewbornHospitalFilter restates the newborn's hospital on its birth: the births are read through
    # their (hospital, …) indexes too, not the province's.
    _, admin = _users()
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/registration/newborn/", {"hospital__id__exact": province.hospital_id})
    assert response.status_code == 200
    listed = response.context["cl"].result_list
    assert listed and {newborn.hospital_id for newborn in listed} == {province.hospital_id}
    plans = []
    for query in queries:
        if query["sql"].startswith("SELECT") and "registration_newborn" in query["sql"]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert len(plans) == 2, plans  # the bounded count and the page
    for plan in plans:
        assert "registration_birth_hosp_at" in plan and re.search(HOSPITAL_INDEX, plan), plan
        _no_seq_scan_of_big_tables(plan)


# --- both databases ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bounded_paginator_counts_up_to_its_bound_and_still_reaches_the_last_page(clerk):
    for _ in range(30):
        AuditEntry.objects.create(action="login", username="clerk", hospital=clerk.operator.hospital)
    entries = AuditEntry.objects.order_by("-at", "-pk")
    oldest = list(AuditEntry.objects.order_by("at", "pk")[:5])[::-1]

    paginator = BoundedPaginator(entries, 5, bound=12)
    assert not paginator.exact and paginator.num_pages == 3
    last = paginator.get_page(LAST)
    assert list(last) == oldest and not last.has_next()
    assert list(paginator.get_page(1)) == list(entries[:5])

    exact = BoundedPaginator(entries, 5, bound=1000)
    assert exact.exact and exact.count == entries.count()
    assert list(exact.get_page(LAST)) == list(entries[exact.count - (exact.count % 5 or 5) :])


@pytest.mark.django_db
@pytest.mark.parametrize("per_page, orphans", [(5, 0), (4, 0), (7, 2), (31, 0)])
def test_every_counted_page_read_from_either_end_is_djangos_page(clerk, per_page, orphans):
    from django.core.paginator import Paginator

    for _ in range(31):
        AuditEntry.objects.create(action="login", username="clerk", hospital=clerk.operator.hospital)
    entries = AuditEntry.objects.order_by("-at", "-pk")
    ours = BoundedPaginator(entries, per_page, orphans, bound=1000)
    django = Paginator(entries, per_page, orphans)
    assert ours.num_pages == django.num_pages
    for number in range(1, django.num_pages + 1):
        page, expected = ours.get_page(number), django.page(number)
        assert list(page) == list(expected), number
        assert (page.start_index(), page.end_index(), page.has_next()) == (
            expected.start_index(),
            expected.end_index(),
            expected.has_next(),
        )
    with CaptureQueriesContext(connection) as queries:
        list(ours.get_page(django.num_pages))
    if django.num_pages > 1:  # the last page was read from the end: the list's order reversed
        assert '"registration_auditentry"."at" ASC' in queries.captured_queries[-1]["sql"]


@pytest.mark.django_db
def test_the_records_list_shows_more_than_its_bound_and_links_the_last_page(client, clerk, monkeypatch):
    from registration import pagination
    from tests.factories import register

    register(clerk)
    first = Newborn.objects.get()
    monkeypatch.setattr(pagination, "DEFAULT_BOUND", 0)
    client.force_login(clerk)

    html = client.get("/newborns/").content.decode()
    assert "超过 0 条" in html and "page=last" in html
    last = client.get("/newborns/?page=last").content.decode()
    assert "末页" in last and first.name in last


def _export_peak(rows: int) -> int:
    values = [1, "张子涵", "450103********1234A", "4500001234", 12, "", None, "李某", "13877112345"]
    tracemalloc.start()
    sheet = StreamedSheet("x", ["a"] * len(values), ([index, *values[1:]] for index in range(rows)))
    handle = xlsx_file([sheet])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    handle.seek(0)
    written = load_workbook(io.BytesIO(handle.read()), read_only=True)["x"]
    assert sum(1 for _ in written.iter_rows(values_only=True)) == rows + 1
    handle.close()
    return peak


def test_a_streamed_exports_memory_stays_flat_as_its_rows_grow():
    small, large = _export_peak(2_000), _export_peak(20_000)

    assert large < small * 1.5 + 1_000_000, (small, large)


def test_a_streamed_export_never_writes_a_formula():
    sheet = StreamedSheet("x", ["a"], [["=1+1"], ["ok"]])
    handle = xlsx_file([sheet])
    workbook = load_workbook(io.BytesIO(handle.read()))
    assert workbook["x"]["A2"].value == "'=1+1" and workbook["x"]["A2"].data_type == "s"
    assert sheet.written == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_builders_newborns_carry_their_births_day_and_first_payment(province):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE n.registered_on IS DISTINCT FROM b.registered_on), "
            "count(*) FILTER (WHERE n.first_paid_on IS DISTINCT FROM (SELECT min(paid_on) "
            "FROM registration_payment p WHERE p.newborn_id = n.id)), count(n.first_paid_on) "
            "FROM registration_newborn n JOIN registration_birth b ON b.id = n.birth_id"
        )
        total, wrong_day, wrong_payment, paid = cursor.fetchone()
    assert total > 4000 and paid > total / 2
    assert (wrong_day, wrong_payment) == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_report_reads_the_newborns_report_indexes_alone(province):
    from datetime import timedelta

    from django.utils import timezone

    from registration.selectors.reports import report_build, report_newborns_for_user

    today = timezone.localdate()
    clerk, admin = _users()
    # A hospital's: through either (at this size the planner may take the day's range of the province's).
    for user, index in (
        (admin, "registration_newborn_report"),
        (clerk, "registration_newborn_(report|hosp_rep)"),
    ):
        with CaptureQueriesContext(connection) as queries:
            report_build(
                newborns=report_newborns_for_user(user=user),
                date_from=today - timedelta(days=29),  # at this size a longer one is best read whole
                date_to=today,
                granularity="week",
                per_hospital=user is admin,
            )
        grouped = [q["sql"] for q in queries.captured_queries if "registration_newborn" in q["sql"]]
        assert len(grouped) == 2  # the series; the states and days to payment by hospital
        for sql in grouped:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            scan = "Index Only Scan" if user is admin else "Index (Only )?Scan"
            assert re.search(f"{scan} using {index} on registration_newborn", plan), plan
            assert "registration_payment" not in plan, plan
            _no_seq_scan_of_big_tables(plan)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reports_totals_by_city_and_agency_read_the_periods_records_through_indexes(province):
    from datetime import timedelta

    from django.utils import timezone

    from registration.selectors.reports import report_build, report_newborns_for_user

    today = timezone.localdate()
    _, admin = _users()
    with CaptureQueriesContext(connection) as queries:
        report = report_build(
            newborns=report_newborns_for_user(user=admin),
            date_from=today - timedelta(days=29),
            date_to=today,
            per_place=True,
        )
    by_place = [q["sql"] for q in queries.captured_queries if "registration_insuranceagency" in q["sql"]]
    assert len(by_place) == 1
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + by_place[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registration_newborn_report" in plan, plan
    _no_seq_scan_of_big_tables(plan)
    assert sum(place.counts.total for place in report.cities) == report.counts.total
    assert sum(place.counts.total for place in report.agencies) == report.counts.total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_quality_page_finds_the_builders_seeded_pairs_through_its_indexes(province):
    """The builder registers one birth in a thousand twice (bench/province_data.py, duplicates_seed): each
    pair is found, no twins are, and the duplicates are grouped from the newborns' partial indexes."""
    import re
    from datetime import timedelta

    from django.utils import timezone

    from registration.selectors.quality import duplicate_pairs, quality_report

    today = timezone.localdate()
    period = {"date_from": today - timedelta(days=365), "date_to": today}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT LEAST(original, duplicate), GREATEST(original, duplicate) FROM bench_seeded_pair "
            "WHERE birth_date >= %s",
            [period["date_from"]],
        )
        seeded = {tuple(row) for row in cursor.fetchall()}
    with CaptureQueriesContext(connection) as queries:
        found = {pair.key for pair in duplicate_pairs(**period)}

    assert seeded and found == seeded
    twins = Newborn.objects.filter(pk__in={pk for key in found for pk in key}, birth__newborns__birth_order=2)
    assert not twins.exists()
    grouped = [q["sql"] for q in queries.captured_queries if "MIN(" in q["sql"]]
    assert len(grouped) == 2
    for sql in grouped:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert re.search(r"Index Only Scan using registration_newborn_dup_[mf] ", plan), plan
    report = quality_report(**period, days=30, today=today)
    assert report.total("duplicates") == 2 * len(seeded)
