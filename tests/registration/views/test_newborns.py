"""The registrations list, a registration's own page, its materials, and the community JSON endpoints."""

import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from registration.masking import mask_id_number, mask_phone
from registration.models import AuditEntry, Division, Material, Sex
from registration.services.birth_materials import MaterialInput
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import MOTHER_ID, TODAY

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def mother(index: int) -> ParentInput:
    """A distinct mother per index (the third digit of the order is even: a woman)."""
    return ParentInput(
        factories.person_name("母亲", index), factories.id_number(order=f"{index:02d}2"), "13877112345"
    )


@pytest.fixture
def foreign_clerk(clerk):
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    return factories.operator_make(username="clerk_gl", hospital=hospital).user


@pytest.fixture
def logged_in(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def twins(clerk):
    born = TODAY - timedelta(days=4)
    birth = factories.register(
        clerk,
        babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.FEMALE, born)],
        materials=[MaterialInput("household_head", png_bytes(), "户主页.png")],
    )
    return list(birth.newborns.order_by("birth_order"))


def register_many(clerk, count: int) -> None:
    for index in range(count):
        factories.register(clerk, mother=mother(index))


# --- the list ------------------------------------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_of_the_list_to_the_login_page(client):
    response = client.get("/newborns/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_lists_the_hospitals_newborns_with_masked_numbers(logged_in, twins):
    html = logged_in.get("/newborns/").content.decode()

    assert "张三之女" in html
    assert mask_id_number(twins[0].temp_id) in html
    assert mask_phone(twins[0].phone) in html
    assert twins[0].temp_id not in html
    assert MOTHER_ID not in html
    assert twins[0].phone not in html
    assert f'href="/newborns/{twins[0].pk}/"' in html


def test_it_leaves_another_hospitals_newborns_out_of_the_list(client, foreign_clerk, twins):
    client.force_login(foreign_clerk)

    response = client.get("/newborns/")

    assert response.context["page"].paginator.count == 0
    assert "张三之女" not in response.content.decode()


def test_it_finds_a_temporary_id_exactly_and_case_sensitively(logged_in, twins):
    girl_x, girl_small_x = twins

    found_x = logged_in.get("/newborns/", {"identity_number": girl_x.temp_id}).context["rows"]
    found_small_x = logged_in.get("/newborns/", {"identity_number": girl_small_x.temp_id}).context["rows"]

    assert [row.newborn for row in found_x] == [girl_x]
    assert [row.newborn for row in found_small_x] == [girl_small_x]


def test_it_searches_by_name_personal_number_birth_dates_and_state(logged_in, clerk, twins):
    factories.register(clerk, mother=ParentInput("韦丽", factories.id_number(order="112"), ""))

    def found(**params):
        return [row.newborn.name for row in logged_in.get("/newborns/", params).context["rows"]]

    assert found(name="韦丽") == ["韦丽之女"]
    assert found(personal_number=twins[1].personal_number) == ["张三之女"]
    born = twins[0].birth_date.isoformat()
    assert len(found(born_from=born, born_to=born)) == 3
    assert found(born_from=(twins[0].birth_date + timedelta(days=1)).isoformat()) == []
    assert found(state="void") == []
    assert len(found(state="registered")) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"born_from": "2026-02-30"}, "有效的日期"),
        ({"born_from": "2026-03-01", "born_to": "2026-02-01"}, "起始日不能晚于截止日"),
        ({"personal_number": "123"}, "个人编号应为10位数字"),
        ({"identity_number": MOTHER_ID + "XY"}, "新生儿编码应为父母身份证号码加1个字母"),
        ({"identity_number": MOTHER_ID[:-1] + ("1" if MOTHER_ID[-1] != "1" else "2")}, "校验位不正确"),
        ({"identity_number": "abc"}, "出生医学证明编号应为1位字母加9位数字"),
        ({"state": "deleted"}, "选择一个有效的选项"),
        ({"name": "张" * 51}, "50"),
    ],
)
def test_it_shows_a_chinese_error_for_a_bad_filter(logged_in, twins, params, message):
    response = logged_in.get("/newborns/", params)
    html = response.content.decode()

    assert response.status_code == 200
    assert message in html
    assert response.context["rows"] == []


def test_it_pages_the_list_25_a_page_keeping_the_search(logged_in, clerk):
    register_many(clerk, 30)

    first = logged_in.get("/newborns/", {"name": "之女"})
    second = logged_in.get("/newborns/", {"name": "之女", "page": "2"})
    beyond = logged_in.get("/newborns/", {"name": "之女", "page": "99"})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5
    assert beyond.context["page"].number == 2
    assert "?name=%E4%B9%8B%E5%A5%B3&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_it_lists_with_a_bounded_number_of_queries(logged_in, clerk, count, django_assert_max_num_queries):
    register_many(clerk, count)

    # Session read and save, user, operator, the base page's hospital, the count, the page.
    with django_assert_max_num_queries(9):
        response = logged_in.get("/newborns/")

    assert len(response.context["rows"]) == min(count, 25)


# --- the detail page -----------------------------------------------------------------------------------


def test_it_shows_everything_on_the_records_own_page(logged_in, twins, pinned_today):
    girl = twins[0]

    html = logged_in.get(f"/newborns/{girl.pk}/").content.decode()

    assert girl.temp_id in html
    assert MOTHER_ID in html
    assert factories.FATHER_ID in html
    assert girl.personal_number in html
    assert "已登记" in html
    assert f"/cards/{girl.pk}/card.pdf" in html
    assert f'href="/newborns/{twins[1].pk}/"' in html
    material = Material.objects.get()
    assert f'href="/newborns/{girl.pk}/materials/{material.pk}"' in html
    assert "户口簿户主页" in html


def test_it_writes_a_view_id_audit_entry_for_each_view_of_the_record(logged_in, clerk, twins):
    logged_in.get(f"/newborns/{twins[0].pk}/")
    logged_in.get(f"/newborns/{twins[0].pk}/")

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID, newborn=twins[0])
    assert entries.count() == 2
    assert {entry.user for entry in entries} == {clerk}
    assert twins[0].temp_id not in entries.first().object_repr


def test_it_shows_the_history_newest_first(logged_in, twins):
    response = logged_in.get(f"/newborns/{twins[0].pk}/")

    actions = [entry.action for entry in response.context["history"]]
    assert actions[0] == AuditEntry.Action.VIEW_ID
    assert AuditEntry.Action.REGISTER in actions


def test_it_answers_404_for_another_hospitals_record(client, foreign_clerk, twins):
    client.force_login(foreign_clerk)

    response = client.get(f"/newborns/{twins[0].pk}/")

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID).exists()


def test_it_sends_an_anonymous_visitor_of_a_record_to_the_login_page(client, twins):
    response = client.get(f"/newborns/{twins[0].pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_shows_a_record_with_a_bounded_number_of_queries(logged_in, twins, django_assert_max_num_queries):
    # Session read and save (3 with the savepoint), user, operator, the base page's hospital; the record,
    # its payments, materials, the birth's babies, the history, and the audit entry.
    with django_assert_max_num_queries(13):
        assert logged_in.get(f"/newborns/{twins[0].pk}/").status_code == 200


# --- materials -----------------------------------------------------------------------------------------


def test_it_streams_a_material_with_safe_headers_and_audits_it(logged_in, twins):
    material = Material.objects.get()

    response = logged_in.get(f"/newborns/{twins[0].pk}/materials/{material.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="material-{material.pk}.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_MATERIAL)
    assert (entry.newborn, entry.object_id) == (twins[0], str(material.pk))


def test_it_answers_404_for_another_hospitals_material(client, foreign_clerk, twins):
    client.force_login(foreign_clerk)
    material = Material.objects.get()

    response = client.get(f"/newborns/{twins[0].pk}/materials/{material.pk}")

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_MATERIAL).exists()


def test_it_answers_404_for_a_material_of_another_birth(logged_in, clerk, twins):
    other = factories.register(clerk, mother=mother(50)).newborns.get()
    material = Material.objects.get()

    response = logged_in.get(f"/newborns/{other.pk}/materials/{material.pk}")

    assert response.status_code == 404


def test_it_answers_404_when_the_materials_file_is_gone(logged_in, twins):
    material = Material.objects.get()
    material.file.storage.delete(material.file.name)

    response = logged_in.get(f"/newborns/{twins[0].pk}/materials/{material.pk}")

    assert response.status_code == 404


# --- the community JSON endpoints ----------------------------------------------------------------------


def test_it_answers_a_community_search_with_names_and_agencies(logged_in):
    response = logged_in.get("/divisions/search", {"q": "新竹"})

    community = Division.objects.get(code="450103001001")
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": community.pk,
                "code": "450103001001",
                "name": "新竹社区",
                "full_name": "新竹社区",
                "level": 5,
                "agency": "南宁市医疗保障事业管理中心",
                "address_start": "广西壮族自治区新竹社区",  # the factories' full name is the name alone
            }
        ]
    }


def test_it_searches_communities_in_a_bounded_number_of_queries(
    logged_in, clerk, django_assert_max_num_queries
):
    township = Division.objects.get(code="450103001")
    for number in range(2, 22):
        Division.objects.create(
            code=f"450103001{number:03d}", name=f"新竹{number}社区", level=5, parent=township
        )

    # The session, the user, the hospital's division, the search, the agencies, the session's save (3).
    with django_assert_max_num_queries(8):
        results = logged_in.get("/divisions/search", {"q": "新竹"}).json()["results"]

    assert len(results) == 20
    assert {row["agency"] for row in results} == {"南宁市医疗保障事业管理中心"}


def test_it_lists_the_communities_of_the_clerks_county_first_then_its_city(logged_in, clerk):
    # The clerk's hospital is in 南宁市 青秀区 (450103); 新竹 also names a shorter community in 桂林 and
    # one in 南宁's 宾阳县: without the hospital's county they came first.
    hospital = clerk.operator.hospital
    hospital.division = Division.objects.get(code="450103")
    hospital.save(update_fields=["division"])
    guilin = factories.division_chain(
        "450304001008", ("广西壮族自治区", "桂林市", "象山区", "南门街道", "新竹")
    )
    binyang = factories.division_chain(
        "450126101201", ("广西壮族自治区", "南宁市", "宾阳县", "新桥镇", "新竹村")
    )

    results = logged_in.get("/divisions/search", {"q": "新竹"}).json()["results"]

    assert [row["code"] for row in results] == ["450103001001", binyang.code, guilin.code]


@pytest.mark.parametrize("query", ["", "新", "  "])
def test_it_hints_when_the_search_text_is_too_short(logged_in, query):
    body = logged_in.get("/divisions/search", {"q": query}).json()

    assert body["results"] == []
    assert "至少两个汉字" in body["hint"]


@pytest.mark.parametrize(("query", "message"), [("新竹\x01", "无效字符"), ("新" * 200, "过长")])
def test_it_refuses_bad_search_text_with_400(logged_in, query, message):
    response = logged_in.get("/divisions/search", {"q": query})

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_it_keeps_the_division_endpoints_behind_the_login(client):
    assert client.get("/divisions/search", {"q": "新竹"}).status_code == 302
    assert client.get("/divisions/children").status_code == 302


def test_it_lists_the_pick_lists_from_the_cities_down(logged_in):
    cities = logged_in.get("/divisions/children").json()["results"]
    counties = logged_in.get(f"/divisions/{cities[0]['id']}/children").json()["results"]

    assert [city["name"] for city in cities] == ["南宁市"]
    assert cities[0]["agency"] == "南宁市医疗保障事业管理中心"
    assert [county["name"] for county in counties] == ["青秀区"]
    assert json.loads(logged_in.get("/divisions/999999/children").content) == {"results": []}


def test_it_refuses_a_post_to_the_search(logged_in):
    assert logged_in.post("/divisions/search", {"q": "新竹"}).status_code == 405


def test_it_shows_administrators_every_hospital_with_its_name(client, foreign_clerk, twins):
    factories.register(foreign_clerk, mother=mother(60))
    client.force_login(factories.user_make("admin", is_staff=True))

    response = client.get("/newborns/")
    html = response.content.decode()

    assert response.context["page"].paginator.count == 3
    assert "桂林市人民医院" in html
    assert "南宁市第一人民医院" in html


def test_a_records_page_offers_no_card_once_the_card_has_expired_and_says_why(logged_in, twins, monkeypatch):
    newborn = twins[0]
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: newborn.last_day + timedelta(days=1))
    html = logged_in.get(f"/newborns/{newborn.pk}/").content.decode()

    assert f"/cards/{newborn.pk}/card.pdf" not in html
    assert "不能打印登记卡：登记卡在出生后3个月内有效" in html


# Searches by ID number are POSTed (issue 23, item 4): the number never reaches a URL.


def test_a_search_by_id_number_is_posted_and_its_url_holds_a_token_not_the_number(logged_in, clerk, twins):
    posted = logged_in.post("/newborns/", {"identity_number": MOTHER_ID, "state": "registered"})

    assert posted.status_code == 302
    location = posted["Location"]
    assert MOTHER_ID not in location and MOTHER_ID[6:14] not in location
    assert "state=registered" in location and "search=" in location  # the plain filter stays bookmarkable
    page = logged_in.get(location)
    assert sorted(row.newborn.name for row in page.context["rows"]) == ["张三之女", "张三之女"]
    html = page.content.decode()
    assert MOTHER_ID in html  # in the form's box, on the page only
    assert 'method="post"' in html


def test_a_search_token_is_bound_to_the_login_and_expires(logged_in, clerk, twins):
    from django.test import Client

    location = logged_in.post("/newborns/", {"identity_number": MOTHER_ID})["Location"]
    other = Client()
    other.force_login(clerk)  # the same clerk at another computer: another session

    stolen = other.get(location)

    assert stolen.context["rows"] == [] and "该查询已过期" in stolen.content.decode()
    session = logged_in.session
    for kept in session["searches"].values():
        kept["expires"] = 0
    session.save()
    assert "该查询已过期" in logged_in.get(location).content.decode()


def test_a_name_or_number_that_looks_like_an_id_is_kept_out_of_the_url_too(logged_in, twins):
    location = logged_in.post("/newborns/", {"name": "张三", "born_from": "2026-01-01"})["Location"]

    assert "born_from=2026-01-01" in location
    assert "%E5%BC%A0" not in location and "name=" not in location  # a person's name is private too


def test_a_bad_search_is_answered_with_its_errors_not_a_redirect(logged_in, twins):
    response = logged_in.post("/newborns/", {"identity_number": MOTHER_ID[:-1] + "0" + "XY"})

    assert response.status_code == 400
    assert "新生儿编码" in response.content.decode()


# --- the administrator's slices: a hospital, registration dates, the export ------------------------------


@pytest.fixture
def administrator(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def earlier(foreign_clerk):
    """A newborn of the other hospital registered ten days before TODAY."""
    on = TODAY - timedelta(days=10)
    birth = factories.register(
        foreign_clerk, mother=mother(61), babies=[BabyInput(Sex.MALE, on - timedelta(days=3))], today=on
    )
    return birth.newborns.get()


def search(client, data: dict):
    """The list's search as a browser posts it (the CSRF token aside), then the page it redirects to."""
    posted = client.post("/newborns/", data)
    assert posted.status_code == 302, posted.content.decode()
    return posted["Location"], client.get(posted["Location"])


def test_an_administrator_filters_the_records_by_hospital(client, administrator, twins, earlier):
    client.force_login(administrator)

    location, page = search(client, {"hospital": str(earlier.birth.hospital_id)})

    assert f"hospital={earlier.birth.hospital_id}" in location
    assert [row.newborn for row in page.context["rows"]] == [earlier]
    html = page.content.decode()
    assert f'<option value="{earlier.birth.hospital_id}" selected>桂林市人民医院</option>' in html
    _, page = search(client, {"hospital": str(twins[0].birth.hospital_id), "state": "registered"})
    assert sorted(row.newborn.pk for row in page.context["rows"]) == [baby.pk for baby in twins]


def test_an_administrator_filters_the_records_by_registration_date(client, administrator, twins, earlier):
    client.force_login(administrator)
    day = earlier.birth.registered_on.isoformat()

    location, page = search(client, {"registered_from": day, "registered_to": day})

    assert f"registered_from={day}" in location
    assert [row.newborn for row in page.context["rows"]] == [earlier]
    _, page = search(client, {"registered_from": TODAY.isoformat()})
    assert sorted(row.newborn.pk for row in page.context["rows"]) == [baby.pk for baby in twins]
    _, page = search(client, {"registered_to": (TODAY - timedelta(days=1)).isoformat()})
    assert [row.newborn for row in page.context["rows"]] == [earlier]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"registered_from": "2026-03-02", "registered_to": "2026-03-01"},
            "登记日期的起始日不能晚于截止日。",
        ),
        ({"registered_from": "2026-13-01"}, "有效的日期"),
        ({"hospital": "南宁"}, "请从列表中选择登记医院。"),
    ],
)
def test_a_bad_slice_is_answered_with_its_error_and_keeps_what_was_typed(
    client, administrator, data, message
):
    client.force_login(administrator)

    response = client.post("/newborns/", {**data, "name": "张三"})

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'value="张三"' in html


def test_a_hospital_the_administrator_cannot_see_is_a_404(client, administrator, twins):
    client.force_login(administrator)

    assert client.get("/newborns/?hospital=999999").status_code == 404


def test_a_clerk_gets_no_hospital_or_registration_date_filter_nor_export(logged_in, twins, earlier):
    response = logged_in.get(f"/newborns/?hospital={earlier.birth.hospital_id}")

    assert sorted(row.newborn.pk for row in response.context["rows"]) == [baby.pk for baby in twins]
    html = response.content.decode()
    assert 'name="hospital"' not in html and 'name="registered_from"' not in html
    assert "/newborns/export.xlsx" not in html
    assert logged_in.get("/newborns/export.xlsx").status_code == 403


def export_book(response):
    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_administrators_export_holds_the_filtered_list_masked_and_is_audited(
    client, administrator, twins, earlier, pinned_today
):
    client.force_login(administrator)
    location, page = search(client, {"identity_number": MOTHER_ID, "registered_from": TODAY.isoformat()})
    query = location.split("?", 1)[1]
    assert f'href="/newborns/export.xlsx?{query}"'.replace("&", "&amp;") in page.content.decode()

    response = client.get(f"/newborns/export.xlsx?{query}", REMOTE_ADDR="10.9.9.9")

    book = export_book(response)
    sheet = book["登记记录"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[6] for row in rows] == [mask_id_number(baby.temp_id) for baby in twins]
    assert {row[2] for row in rows} == {"南宁市第一人民医院"} and rows[0][8] == mask_phone(twins[0].phone)
    content = b"".join(
        cell.encode() for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)
    )
    assert twins[0].temp_id.encode() not in content and MOTHER_ID.encode() not in content
    assert "按姓名或号码查询" in sheet["A2"].value
    disposition = response["Content-Disposition"]
    assert f'filename="newborns-{TODAY:%Y%m%d}.xlsx"' in disposition
    assert "%E7%99%BB%E8%AE%B0%E8%AE%B0%E5%BD%95" in disposition and f"{TODAY:%Y-%m-%d}.xlsx" in disposition
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == administrator and entry.ip == "10.9.9.9"
    assert entry.detail["kind"] == "newborns" and entry.detail["rows"] == 2
    assert entry.detail["full_ids"] is False


def test_the_export_of_one_hospital_carries_its_name_and_only_its_records(
    client, administrator, twins, earlier
):
    client.force_login(administrator)

    response = client.get(f"/newborns/export.xlsx?hospital={earlier.birth.hospital_id}")

    rows = list(export_book(response)["登记记录"].iter_rows(min_row=4, values_only=True))
    assert [(row[2], row[3]) for row in rows] == [("桂林市人民医院", earlier.name)]
    assert "%E6%A1%82%E6%9E%97" in response["Content-Disposition"]  # 桂林…
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).hospital == earlier.birth.hospital


def test_an_export_with_an_expired_search_says_so(client, administrator, twins):
    client.force_login(administrator)

    response = client.get("/newborns/export.xlsx?search=made-up")

    assert response.status_code == 400 and "该查询已过期" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
