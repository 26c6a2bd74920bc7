"""Deferred scans (材料暂缺) are visible in the lists (issue 14, item 8): a record saved with 「材料暂缺，稍后
补传」 is marked 材料不全 in the records list and the follow-up list, the records list filters by it, and the
registration's history entry gives the reason. Runs on both databases (the mark is computed in SQL)."""

import io

import pytest
from PIL import Image

from registration.models import AuditEntry, Material
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
from registration.services.newborns import ParentInput
from tests import factories

pytestmark = pytest.mark.django_db


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


def test_the_history_entry_of_a_deferred_save_gives_its_reason(records):
    deferred, complete = records

    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTER, newborn=deferred)
    assert entry.reason.startswith("材料暂缺，稍后补传：")
    assert "身份证" in entry.reason and "出生记录" in entry.reason
    assert AuditEntry.objects.get(action=AuditEntry.Action.REGISTER, newborn=complete).reason == ""


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


def test_the_records_list_marks_and_filters_them(client, clerk, records):
    deferred, complete = records
    client.force_login(clerk)

    html = client.get("/newborns/").content.decode()
    assert html.count("data-materials-incomplete") == 1
    row = html[html.index(deferred.name) : html.index("</tr>", html.index(deferred.name))]
    assert "材料不全" in row

    filtered = client.get("/newborns/", {"materials": "incomplete"})
    assert [row.newborn.pk for row in filtered.context["rows"]] == [deferred.pk]
    assert 'value="incomplete" selected' in filtered.content.decode()
    refused = client.get("/newborns/", {"materials": "garbage"})
    assert "请从列表中选择材料情况" in refused.content.decode()


def test_the_followup_list_marks_them(client, clerk, records):
    deferred, _ = records
    client.force_login(clerk)

    html = client.get("/followup/").content.decode()
    assert html.count("data-materials-incomplete") == 1
    row = html[html.index(deferred.name) : html.index("</tr>", html.index(deferred.name))]
    assert "材料不全" in row


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
