"""Deferred scans (材料暂缺) are visible in the lists (issue 14, item 8): a record saved with 「材料暂缺，稍后
补传」 is marked 材料不全 in the records list and the follow-up list, the records list filters by it, and the
registration's history entry gives the reason. Runs on both databases (the mark is computed in SQL)."""

import io

import pytest
from PIL import Image

from registration.models import AuditEntry, Material
from registration.services.birth_materials import MaterialInput
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
