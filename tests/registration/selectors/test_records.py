"""selectors/records.py: the records a user may see, a parent's births, the possible duplicates and the
records search."""

import io
from datetime import timedelta

import pytest
from django.http import Http404
from PIL import Image

from registration import selectors
from registration.models import Material, Newborn, Operator, Sex
from registration.selectors import (
    materials_incomplete_mark,
    newborn_search_for_user,
    newborns_followup_for_user,
)
from registration.services.birth_materials import (
    MaterialInput,
    birth_material_add,
    birth_materials_pending_refresh,
)
from registration.services.newborns import WARNING_CODES, BabyInput, ParentInput
from tests import factories
from tests.factories import TODAY

pytestmark = pytest.mark.django_db


def test_the_possible_duplicates_are_the_babies_of_either_parent_born_that_day(places):
    factories.division_chain()  # the factories' community, 450103001001
    clerk = factories.operator_make().user
    factories.agency_make()  # covers the community and the parents' region
    born = factories.TODAY - timedelta(days=4)
    first = factories.register(clerk, mother=ParentInput("张三", factories.MOTHER_ID, ""))
    # A later registration names the father only, as the ID parent: his births count as well.
    second = factories.register(
        clerk,
        parent_role="father",
        mother=ParentInput("", "", ""),
        father=ParentInput("李四", factories.FATHER_ID, ""),
    )
    factories.register(  # another family
        clerk,
        mother=ParentInput("王五", factories.id_number(order="022"), ""),
        father=ParentInput("", "", ""),
    )
    other_day = factories.register(clerk, babies=[BabyInput(Sex.MALE, born - timedelta(days=1))])

    births = selectors.parent_births([factories.MOTHER_ID, factories.FATHER_ID])
    found = selectors.newborns_of_births_born_on(births=[birth.pk for birth in births], birth_dates={born})

    assert sorted((birth.pk, birth.parent_id_number, birth.parent_name) for birth in births) == [
        (first.pk, factories.MOTHER_ID, "张三"),
        (second.pk, factories.FATHER_ID, "李四"),
        (other_day.pk, factories.MOTHER_ID, "张三"),
    ]
    assert [newborn.birth_id for newborn in found] == [first.pk, second.pk]
    assert selectors.newborns_of_births_born_on(births=[first.pk], birth_dates=set()) == []
    assert selectors.parent_births([]) == []


def test_the_name_of_a_parents_births_is_the_last_name_registered_with_the_number(places):
    factories.division_chain()
    clerk = factories.operator_make().user
    assert selectors.parent_births([factories.MOTHER_ID]) == []

    factories.register(clerk, confirmed_warnings=WARNING_CODES)
    factories.register(
        clerk, confirmed_warnings=WARNING_CODES, mother=ParentInput("张叁", factories.MOTHER_ID, "")
    )

    assert {birth.parent_name for birth in selectors.parent_births([factories.MOTHER_ID])} == {"张叁"}


@pytest.fixture
def two_hospitals():
    factories.division_chain()
    factories.agency_make()
    nanning = factories.operator_make(username="clerk_nn")
    guilin_hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    guilin = factories.operator_make(username="clerk_gl", hospital=guilin_hospital)
    own = factories.register(nanning.user).newborns.get()
    foreign = factories.register(
        guilin.user, mother=factories.ParentInput("王五", factories.id_number(order="012"), "")
    ).newborns.get()
    return {"nanning": nanning, "guilin": guilin, "own": own, "foreign": foreign}


def test_a_clerk_sees_only_their_own_hospitals_newborns(two_hospitals):
    assert list(selectors.newborn_list_for_user(user=two_hospitals["nanning"].user)) == [two_hospitals["own"]]
    assert list(selectors.newborn_list_for_user(user=two_hospitals["guilin"].user)) == [
        two_hospitals["foreign"]
    ]


def test_a_supervisor_sees_the_whole_hospitals_newborns(two_hospitals):
    hospital = two_hospitals["nanning"].hospital
    supervisor = factories.operator_make(
        username="super_nn", hospital=hospital, role=Operator.Role.SUPERVISOR
    )

    assert list(selectors.newborn_list_for_user(user=supervisor.user)) == [two_hospitals["own"]]


def test_an_administrator_sees_every_hospitals_newborns(two_hospitals):
    admin = factories.user_make("admin", is_staff=True)

    assert set(selectors.newborn_list_for_user(user=admin)) == {
        two_hospitals["own"],
        two_hospitals["foreign"],
    }


def test_a_plain_user_sees_no_newborns(two_hospitals):
    assert list(selectors.newborn_list_for_user(user=factories.user_make("visitor"))) == []


def test_an_inactive_clerk_sees_no_newborns(two_hospitals):
    user = two_hospitals["nanning"].user
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert list(selectors.newborn_list_for_user(user=user)) == []


def test_newborn_detail_get_for_user_is_a_404_for_another_hospitals_record(two_hospitals):
    with pytest.raises(Http404):
        selectors.newborn_detail_get_for_user(
            user=two_hospitals["nanning"].user, pk=two_hospitals["foreign"].pk
        )


@pytest.fixture
def twins():
    factories.division_chain()
    factories.agency_make()
    clerk = factories.operator_make().user
    birth = factories.register(
        clerk,
        babies=[
            BabyInput(Sex.FEMALE, TODAY - timedelta(days=4)),
            BabyInput(Sex.FEMALE, TODAY - timedelta(days=4)),
        ],
    )
    first, second = birth.newborns.order_by("birth_order")
    return clerk, first, second


def test_newborn_search_finds_a_temporary_id_exactly_and_case_sensitively(twins):
    clerk, first, second = twins
    assert (first.temp_id[-1], second.temp_id[-1]) == ("X", "x")

    assert list(selectors.newborn_search_for_user(user=clerk, identity_number=first.temp_id)) == [first]
    assert list(selectors.newborn_search_for_user(user=clerk, identity_number=second.temp_id)) == [second]
    # The mother's own ID finds every baby registered with it.
    by_mother = selectors.newborn_search_for_user(user=clerk, identity_number=first.temp_id[:-1])
    assert set(by_mother) == {first, second}


def test_newborn_search_filters_by_name_personal_number_dates_and_state(twins):
    clerk, first, second = twins
    search = selectors.newborn_search_for_user

    assert list(search(user=clerk, name="张三之")) == [first, second]
    assert list(search(user=clerk, personal_number=second.personal_number)) == [second]
    assert list(search(user=clerk, born_from=first.birth_date, born_to=first.birth_date)) == [first, second]
    assert list(search(user=clerk, born_from=first.birth_date + timedelta(days=1))) == []
    assert list(search(user=clerk, state=Newborn.State.PAID)) == []


def test_a_one_character_name_search_finds_the_character_anywhere_in_the_name_or_real_name(twins):
    # One character (a surname, most often) has no bigram: PostgreSQL reads the names' character indexes
    # (migration 0034), SQLite scans; both find the character at any place, as a longer fragment is.
    clerk, first, second = twins
    Newborn.objects.filter(pk=second.pk).update(real_name="李秀英")
    search = selectors.newborn_search_for_user

    assert first.name[0] == "张" and list(search(user=clerk, name="张")) == [first, second]
    assert list(search(user=clerk, name="之")) == [first, second]  # inside the name
    assert list(search(user=clerk, name="秀")) == [second]  # inside the real name only
    assert list(search(user=clerk, name="王")) == []


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


COMPLETE = [
    MaterialInput(Material.Kind.ID_CARD, png(), "身份证.png"),
    MaterialInput(Material.Kind.BIRTH_RECORD, png(), "出生记录.png"),
]


@pytest.fixture
def records(clerk):
    """One registration saved with its scans deferred, one with them all."""
    deferred = factories.register(clerk, mother=ParentInput("韦暂缺", factories.id_number(order="112"), ""))
    complete = factories.register(
        clerk,
        mother=ParentInput("黄齐全", factories.id_number(order="122"), ""),
        materials=COMPLETE,
        materials_deferred=False,
    )
    return deferred.newborns.get(), complete.newborns.get()


def test_the_selectors_mark_the_incomplete_records(clerk, records):
    deferred, complete = records

    marks = {
        n.pk: n.materials_incomplete for n in materials_incomplete_mark(newborn_search_for_user(user=clerk))
    }
    assert marks == {deferred.pk: True, complete.pk: False}
    followup = materials_incomplete_mark(newborns_followup_for_user(user=clerk))
    assert {n.pk: n.materials_incomplete for n in followup} == marks
    assert [n.pk for n in newborn_search_for_user(user=clerk, materials="incomplete")] == [deferred.pk]
    assert [n.pk for n in newborn_search_for_user(user=clerk, materials="complete")] == [complete.pk]


def test_scans_added_later_clear_the_mark(clerk, records):
    deferred, _ = records
    for material in COMPLETE:
        birth_material_add(user=clerk, newborn=deferred, material=material)

    assert not materials_incomplete_mark([newborn_search_for_user(user=clerk).get(pk=deferred.pk)])[
        0
    ].materials_incomplete
    assert [n.pk for n in newborn_search_for_user(user=clerk, materials="incomplete")] == []


def test_the_sql_filter_and_the_page_mark_apply_the_same_rule_to_every_set_of_scans(clerk, records):
    """The filter (Birth.materials_pending, as birth_materials_pending_refresh keeps it whenever scans
    change) and materials_incomplete_mark (a page, by rules.materials_missing): every subset of the five
    kinds, on both routes, gives the same answer."""
    from itertools import combinations

    from registration.models import Birth

    deferred, _ = records
    birth = deferred.birth
    kinds = list(Material.Kind.values)
    for route in Birth.Route.values:
        Birth.objects.filter(pk=birth.pk).update(route=route)
        for size in range(len(kinds) + 1):
            for subset in combinations(kinds, size):
                Material.objects.filter(birth=birth).delete()
                Material.objects.bulk_create(
                    Material(
                        birth=birth,
                        kind=kind,
                        file=f"materials/{kind}.png",
                        content_type="image/png",
                        size=1,
                        sha256="0" * 64,
                        uploaded_by=clerk,
                    )
                    for kind in subset
                )
                birth.refresh_from_db()
                birth_materials_pending_refresh(birth)
                in_sql = (
                    newborn_search_for_user(user=clerk, materials="incomplete")
                    .filter(pk=deferred.pk)
                    .exists()
                )
                newborn = newborn_search_for_user(user=clerk).get(pk=deferred.pk)
                assert materials_incomplete_mark([newborn])[0].materials_incomplete is in_sql, (route, subset)
                assert (
                    in_sql
                    is not newborn_search_for_user(user=clerk, materials="complete")
                    .filter(pk=deferred.pk)
                    .exists()
                )
