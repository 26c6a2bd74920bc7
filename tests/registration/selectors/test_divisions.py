"""selectors/divisions.py: the community search behind the registration page (附件2), a division's children
and its agencies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registration import selectors
from registration.models import Division
from registration.selectors import DivisionQueryError
from tests import factories
from tests.registration.selectors.conftest import PROVINCE, village

pytestmark = pytest.mark.django_db


def names(divisions) -> list[str]:
    return [division.name for division in divisions]


# --- division_search ---------------------------------------------------------------------------------


def test_division_search_finds_a_community_by_its_id(places):
    assert selectors.division_search(str(places["gema"].pk)) == [places["gema"]]


def test_division_search_finds_a_community_by_its_full_code(places):
    assert selectors.division_search("450103001006") == [places["sixian"]]


def test_division_search_finds_communities_by_code_prefix_in_code_order(places):
    found = selectors.division_search("450103001")

    assert found == [places["xinzhu"], places["sixian"], places["gema"]]


def test_division_search_lists_the_community_with_that_id_before_code_matches(places):
    # Nationally, ids run past 600,000: a 6-digit number can be both an id and a county code.
    township = Division.objects.get(code="450304001")
    by_id = Division.objects.create(
        pk=450103, code="450304001099", name="测试社区", level=Division.Level.VILLAGE, parent=township
    )

    found = selectors.division_search("450103")

    assert found == [by_id, places["xinzhu"], places["sixian"], places["gema"], places["changtang"]]


def test_division_search_ignores_short_codes_and_too_long_numbers(places):
    assert selectors.division_search("4501") == []
    assert selectors.division_search("4501030010051") == []


def test_division_search_returns_only_villages_and_communities(places):
    found = selectors.division_search("新竹")

    assert {division.level for division in found} == {Division.Level.VILLAGE}
    assert "新竹街道" not in names(found)


def test_division_search_finds_a_name_fragment_anywhere_in_the_name(places):
    assert names(selectors.division_search("贤社")) == ["思贤社区居委会"]


def test_division_search_ranks_the_exact_name_then_prefixes_then_shorter_names(places):
    found = selectors.division_search("新竹")

    assert names(found) == ["新竹", "新竹社区", "新竹村委会", "新竹社区居委会"]


def test_division_search_matches_every_word_against_the_full_name(places):
    found = selectors.division_search("青秀 新竹")

    # All of 新竹街道 in 青秀区; the 新竹 communities of Guilin and Hezhou are not in 青秀区.
    assert set(names(found)) == {"新竹社区居委会", "思贤社区居委会", "葛麻村委会"}
    assert found[0].name == "新竹社区居委会"


def test_division_search_restricts_a_name_by_a_code_word(places):
    assert names(selectors.division_search("450304 新竹")) == ["新竹社区"]


def test_division_search_accepts_full_width_digits_and_spaces(places):
    assert selectors.division_search("４５０１０３００１００６") == [places["sixian"]]
    assert names(selectors.division_search("长塘\u3000社区")) == ["长塘社区居委会"]


def test_division_search_respects_the_limit(places):
    assert names(selectors.division_search("新竹", limit=2)) == ["新竹", "新竹社区"]
    assert len(selectors.division_search("450103", limit=3)) == 3
    assert selectors.division_search("新竹", limit=0) == []


def test_division_search_gives_nothing_for_one_character_or_empty_text(places):
    assert selectors.division_search("新") == []
    assert selectors.division_search("") == []
    assert selectors.division_search("   ") == []


def test_division_search_refuses_control_characters_and_overlong_text(places):
    with pytest.raises(DivisionQueryError, match="无效字符"):
        selectors.division_search("新竹\x00")
    with pytest.raises(DivisionQueryError, match="过长"):
        selectors.division_search("新" * 121)


def test_division_search_treats_like_wildcards_as_text(places):
    assert selectors.division_search("新%") == []
    assert selectors.division_search("__") == []


# The clerk's own county, then the rest of its city, then the others; each group in the order above.
NANNING_QINGXIU = "450103"  # 南宁市 青秀区
TODAY_ORDER = ["新竹", "新竹社区", "新竹村委会", "新竹社区居委会"]


def codes(divisions) -> list[str]:
    return [division.code for division in divisions]


def test_division_search_without_a_near_division_keeps_todays_order(places):
    assert names(selectors.division_search("新竹")) == TODAY_ORDER
    assert names(selectors.division_search("新竹", near="")) == TODAY_ORDER
    assert names(selectors.division_search("新竹", near="abc")) == TODAY_ORDER


def test_division_search_lists_the_hospitals_county_then_its_city_then_the_rest(places):
    found = selectors.division_search("新竹", near=NANNING_QINGXIU)

    assert codes(found) == [
        "450103001005",  # 青秀区: 新竹社区居委会
        "450126101201",  # 南宁市 宾阳县: 新竹
        "450304001008",  # the rest in today's order: 桂林 新竹社区, then 贺州 新竹村委会
        "451122111213",
    ]


def test_division_search_ranks_by_nearness_for_a_hospital_elsewhere(places):
    assert names(selectors.division_search("新竹", near="450126")) == [
        "新竹",  # 宾阳县 itself
        "新竹社区居委会",  # 南宁市 青秀区
        "新竹社区",
        "新竹村委会",
    ]
    assert codes(selectors.division_search("新竹", near="450304"))[:1] == ["450304001008"]  # 桂林 象山区


def test_division_search_shows_a_nanning_hospital_its_own_sixian_before_liuzhous(places):
    # The example: 思贤 is in Nanning and Liuzhou; the shorter name in Liuzhou came first.
    village("450202001003", "柳州市", "城中区", "城中街道", "思贤村委会")

    assert [d.full_name[:3] for d in selectors.division_search("思贤")] == ["柳州市", "南宁市"]
    assert [d.full_name[:3] for d in selectors.division_search("思贤", near=NANNING_QINGXIU)] == [
        "南宁市",
        "柳州市",
    ]


def test_division_search_ranks_several_words_by_nearness_too(places):
    assert names(selectors.division_search("新竹 社区")) == ["新竹社区", "新竹社区居委会", "思贤社区居委会"]
    assert names(selectors.division_search("新竹 社区", near=NANNING_QINGXIU)) == [
        "新竹社区居委会",
        "思贤社区居委会",
        "新竹社区",
    ]


def test_division_search_takes_the_limit_over_all_groups(places):
    assert codes(selectors.division_search("新竹", near=NANNING_QINGXIU, limit=2)) == [
        "450103001005",
        "450126101201",
    ]
    assert codes(selectors.division_search("新竹", near="450126", limit=1)) == ["450126101201"]


def test_division_search_takes_a_nearer_code_than_a_county(places):
    # A hospital filed under a township or a community still has its county and city in its code.
    assert codes(selectors.division_search("新竹", near="450103001"))[:2] == ["450103001005", "450126101201"]


def test_division_search_keeps_number_searches_in_code_order_whatever_is_near(places):
    assert selectors.division_search("450304001008", near=NANNING_QINGXIU) == [places["guilin_xinzhu"]]
    assert codes(selectors.division_search("450103001", near="450304")) == [
        "450103001005",
        "450103001006",
        "450103001201",
    ]


def test_division_search_near_is_the_code_of_the_users_hospitals_division(places):
    county = Division.objects.get(code=NANNING_QINGXIU)
    clerk = factories.operator_make(hospital=factories.hospital_make(division=county)).user
    administrator = factories.user_make("admin", is_staff=True)

    assert selectors.division_search_near(clerk) == NANNING_QINGXIU
    assert selectors.division_search_near(administrator) == ""


@pytest.mark.parametrize("near", ["", NANNING_QINGXIU])
def test_division_search_with_a_near_division_runs_one_query(places, near, django_assert_num_queries):
    for query in ("新竹", "青秀 新竹"):
        with django_assert_num_queries(1):
            selectors.division_search(query, near=near)


def test_division_search_runs_one_query(places, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.division_search("青秀 新竹")


def test_division_search_needs_the_fragment_itself_not_just_its_bigrams(places):
    # 新竹 and 竹社 both occur in 新竹街竹社 (the bigram index finds it), but 新竹社 does not.
    village("450103001301", "南宁市", "青秀区", "新竹街道", "新竹街竹社")
    village("450103001302", "南宁市", "青秀区", "新竹街道", "竹新竹")

    assert names(selectors.division_search("新竹社")) == ["新竹社区", "新竹社区居委会"]
    assert "竹新竹" in names(selectors.division_search("竹新"))
    assert names(selectors.division_search("街竹社")) == ["新竹街竹社"]


def _search_plan(query: str) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        selectors.division_search(query)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + captured.captured_queries[-1]["sql"])
        return "\n".join(line for (line,) in cursor.fetchall())


@pytest.fixture
def many_communities(places):
    """4,000 communities under one township, a third of them named …社区, and ANALYZE: the planner's
    statistics then tell a rare fragment (新竹) from a common one (社区), as on the national table."""
    from django.db import connection

    township = places["xinzhu"].parent
    syllables = "东西南北上下前后大小新老长青白石龙凤金山水田"
    Division.objects.bulk_create(
        Division(
            code=f"4501039{index:05d}",
            name=(syllables[index % 22] + syllables[index // 22 % 22] + ("社区" if index % 3 == 0 else "村")),
            level=Division.Level.VILLAGE,
            parent=township,
            full_name=f"南宁市 青秀区 新竹街道 {index}",
        )
        for index in range(4000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registration_division")


@pytest.mark.postgres
def test_division_search_reads_a_rare_fragment_through_the_bigram_index_on_postgresql(many_communities):
    plan = _search_plan("新竹")

    assert "registration_division_name_bigrams" in plan, plan
    assert names(selectors.division_search("新竹")) == [
        "新竹", "新竹社区", "新竹村委会", "新竹社区居委会"
    ]  # fmt: skip


@pytest.mark.postgres
def test_division_search_walks_the_length_index_for_a_common_fragment_on_postgresql(many_communities):
    # 社区 is in a third of the names: walking them in the order shown until 20 match beats reading them all.
    plan = _search_plan("社区")

    assert "registration_division_village_length" in plan, plan
    assert len(selectors.division_search("社区")) == 20


@pytest.mark.postgres
def test_division_search_reads_several_rare_words_through_the_full_name_bigram_index(many_communities):
    plan = _search_plan("象山 新竹")

    assert "registration_division_full_name_bigrams" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert names(selectors.division_search("象山 新竹")) == ["新竹社区"]


@pytest.mark.postgres
# A 桂林 hospital: its county and city are small, as any county and city is on the national table (the
# fixture's 4,000 communities are all in 青秀区, which a Nanning hospital's county part rightly reads whole).
@pytest.mark.parametrize("near", ["", "450304"])
@pytest.mark.parametrize("query", ["青秀 新竹", "新竹 社区", "南门 新竹", "450103 社区", "新竹", "社区"])
def test_division_search_reads_no_table_through_on_postgresql(many_communities, query, near):
    # Every query shape, near a hospital or not: each part through an index, none by reading the table.
    # The fixture's 4,000 communities all have 青秀 and 新竹 in their full names.
    with CaptureQueriesContext(connection) as captured:
        found = selectors.division_search(query, near=near)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + captured.captured_queries[-1]["sql"])
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert "Seq Scan" not in plan, plan
    assert found


@pytest.mark.postgres
def test_registration_bigrams_gives_each_pair_of_neighbouring_characters():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT registration_bigrams('新竹社区新竹'), registration_bigrams('新')")
        bigrams, none = cursor.fetchone()

    assert bigrams == ["新竹", "竹社", "社区", "区新", "新竹"]
    assert none == []


# --- division_children and division_agencies ------------------------------------------------------------


def test_division_children_starts_with_the_provinces_cities(places):
    assert names(selectors.division_children()) == ["南宁市", "桂林市", "贺州市"]


def test_division_children_lists_a_divisions_children_by_code(places):
    township = Division.objects.get(code="450103001")

    assert names(selectors.division_children(township.pk)) == [
        "新竹社区居委会",
        "思贤社区居委会",
        "葛麻村委会",
    ]


def test_division_children_of_an_unknown_division_is_empty(places):
    assert selectors.division_children(10**9) == []


def test_division_children_offers_the_provinces_when_the_apps_province_is_missing(settings, places):
    settings.PROVINCE_CODE = "44"

    assert names(selectors.division_children()) == [PROVINCE]


def test_division_agencies_picks_the_most_specific_active_agency_in_one_query(
    places, django_assert_num_queries
):
    factories.agency_make(code="450100", name="南宁市医保中心", covers=("4501",))
    factories.agency_make(code="450126", name="宾阳县医保中心", covers=("450126",))
    inactive = factories.agency_make(code="450300", name="桂林市医保中心", covers=("4503",))
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    divisions = [places["xinzhu"], places["exact"], places["guilin_xinzhu"]]

    with django_assert_num_queries(1):
        agencies = selectors.division_agencies(divisions)

    assert {pk: agency and agency.name for pk, agency in agencies.items()} == {
        places["xinzhu"].pk: "南宁市医保中心",
        places["exact"].pk: "宾阳县医保中心",
        places["guilin_xinzhu"].pk: None,
    }
    for division in divisions:
        assert agencies[division.pk] == selectors.agency_for_division_code(division.code)


def test_agencies_for_codes_reads_the_community_and_region_codes_in_one_query(
    places, django_assert_num_queries
):
    factories.agency_make(code="450100", name="南宁市医保中心", covers=("4501",))
    factories.agency_make(code="450126", name="宾阳县医保中心", covers=("450126",))
    inactive = factories.agency_make(code="450300", name="桂林市医保中心", covers=("4503",))
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    codes = [places["xinzhu"].code, places["exact"].code, places["guilin_xinzhu"].code, "450126", "110101"]

    with django_assert_num_queries(1):
        agencies = selectors.agencies_for_codes(codes)

    assert {code: agency and agency.name for code, agency in agencies.items()} == {
        places["xinzhu"].code: "南宁市医保中心",
        places["exact"].code: "宾阳县医保中心",
        places["guilin_xinzhu"].code: None,
        "450126": "宾阳县医保中心",
        "110101": None,
    }
    assert selectors.agencies_for_codes([]) == {}


def test_of_two_agencies_covering_one_division_the_lower_code_is_chosen(places):
    factories.agency_make(code="450199", name="南宁市医保中心（新）", covers=("4501",))
    factories.agency_make(code="450100", name="南宁市医保中心", covers=("4501",))
    code = places["xinzhu"].code

    assert selectors.agencies_for_codes([code])[code].code == "450100"


# --- newborn_list_for_user: who sees what ----------------------------------------------------------------


# --- newborn_search_for_user ----------------------------------------------------------------------------


def test_a_community_query_drops_format_characters_and_refuses_other_hidden_ones():
    assert selectors.division_query_terms("新竹\u200b社区") == ["新竹社区"]
    for query in ("新竹\x00社区", "新竹\ue000社区"):
        with pytest.raises(DivisionQueryError):
            selectors.division_query_terms(query)
