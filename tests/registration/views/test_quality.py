"""The 医保中心's quality page (registration/views/quality.py): the seeded pairs listed, the twins not; a
pair opened in full (audited); the decisions on it, audited and shown to the hospital; the export."""

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from registration.masking import mask_id_number
from registration.models import AuditEntry, DuplicateDismissal, Newborn
from tests import factories
from tests.factories import TODAY

pytestmark = pytest.mark.usefixtures("pinned_today")


def pair_url(name: str, pair) -> str:
    first, second = sorted(pair, key=lambda record: record.pk)
    return reverse(name, kwargs={"first": first.pk, "second": second.pk})


def listed(response) -> set[str]:
    content = response.content.decode()
    return {chunk.split('"', 1)[0] for chunk in content.split('data-pair="')[1:]}


def without_tokens(response) -> str:
    # The logout form's CSRF token is masked anew in every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def key(pair) -> str:
    first, second = sorted(pair, key=lambda record: record.pk)
    return f"{first.pk}-{second.pk}"


def test_it_lists_the_seeded_pairs_masked_and_no_twin(client, administrator, seeded):
    client.force_login(administrator)

    response = client.get(reverse("quality"))

    assert response.status_code == 200
    assert listed(response) == {key(seeded.same_hospital), key(seeded.across_routes)}
    assert key(seeded.twins) not in listed(response)
    content = response.content.decode()
    first = seeded.same_hospital[0]
    assert mask_id_number(first.temp_id) in content
    assert first.temp_id not in content


def test_anyone_else_meets_an_unknown_url(client, seeded):
    client.force_login(seeded.clerk)
    unknown = client.get("/no-such-page/")

    response = client.get(reverse("quality"))

    assert response.status_code == unknown.status_code == 404
    assert without_tokens(response) == without_tokens(unknown)


def test_a_pair_opened_shows_the_full_numbers_and_is_audited(client, administrator, seeded):
    client.force_login(administrator)
    first, second = seeded.across_routes

    response = client.get(pair_url("quality_pair", seeded.across_routes))

    content = response.content.decode()
    assert first.temp_id in content and second.birth_certificate_number in content
    views = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_ID, user=administrator)
    assert {entry.newborn_id for entry in views} == {first.pk, second.pk}
    assert {entry.hospital_id for entry in views} == {first.hospital_id, second.hospital_id}


def test_not_a_duplicate_needs_a_reason_and_keeps_what_was_typed(client, administrator, seeded):
    client.force_login(administrator)

    response = client.post(pair_url("quality_pair_dismiss", seeded.same_hospital), {"reason": "  "})

    assert response.status_code == 400
    assert "请填写判定为非重复登记的原因" in response.content.decode()
    assert not DuplicateDismissal.objects.exists()


def test_not_a_duplicate_takes_the_pair_off_the_list_audited(client, administrator, seeded):
    client.force_login(administrator)

    response = client.post(
        pair_url("quality_pair_dismiss", seeded.same_hospital), {"reason": "双胞胎分两次登记"}
    )

    assert response.status_code == 302
    assert listed(client.get(reverse("quality"))) == {key(seeded.across_routes)}
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.DUPLICATE)
    assert {entry.newborn_id for entry in entries} == {record.pk for record in seeded.same_hospital}
    assert {entry.reason for entry in entries} == {"双胞胎分两次登记"}


def test_voiding_one_as_the_others_duplicate_is_audited_and_shown_to_its_hospital(
    client, administrator, seeded
):
    kept, voided = seeded.across_routes  # the second at 桂林市人民医院
    client.force_login(administrator)

    response = client.post(
        pair_url("quality_pair_void", seeded.across_routes), {"void": voided.pk, "confirm": "1"}
    )

    assert response.status_code == 302
    voided.refresh_from_db()
    assert (voided.state, voided.duplicate_of_id) == (Newborn.State.VOID, kept.pk)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VOID, newborn=voided)
    assert entry.user == administrator and entry.reason.startswith("重复登记")
    assert entry.detail["duplicate_of"] == mask_id_number(kept.temp_id)
    assert listed(client.get(reverse("quality"))) == {key(seeded.same_hospital)}
    # The hospital whose record was voided reads why, with the kept record's masked code and nothing else.
    client.force_login(seeded.foreign_clerk)
    page = client.get(reverse("newborn_detail", kwargs={"pk": voided.pk})).content.decode()
    assert "重复登记" in page and mask_id_number(kept.temp_id) in page
    assert kept.temp_id not in page
    assert kept.hospital.name not in page


def test_void_needs_a_choice_and_a_confirmation(client, administrator, seeded):
    client.force_login(administrator)

    response = client.post(
        pair_url("quality_pair_void", seeded.same_hospital), {"void": seeded.same_hospital[0].pk}
    )

    assert response.status_code == 400
    assert Newborn.objects.filter(state=Newborn.State.VOID).count() == 0


def test_a_pair_that_is_not_one_cannot_be_voided(client, administrator, seeded):
    client.force_login(administrator)
    twins = seeded.twins

    response = client.post(pair_url("quality_pair_void", twins), {"void": twins[1].pk, "confirm": "1"})

    assert response.status_code == 400
    assert "不是疑似重复登记" in response.content.decode()
    assert not Newborn.objects.filter(state=Newborn.State.VOID).exists()


def test_the_figures_sort_by_a_header(client, administrator, seeded):
    client.force_login(administrator)

    content = client.get(reverse("quality"), {"sort": "registered", "order": "desc"}).content.decode()

    big, small = seeded.clerk.operator.hospital.code, seeded.foreign_clerk.operator.hospital.code
    assert content.index(f'data-hospital="{big}"') < content.index(f'data-hospital="{small}"')
    content = client.get(reverse("quality"), {"sort": "registered", "order": "asc"}).content.decode()
    assert content.index(f'data-hospital="{small}"') < content.index(f'data-hospital="{big}"')


def test_a_bad_period_is_said_in_chinese(client, administrator, seeded):
    client.force_login(administrator)

    response = client.get(
        reverse("quality"),
        {"date_from": TODAY.isoformat(), "date_to": (TODAY - timedelta(days=1)).isoformat(), "days": "x"},
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "起始日期不能晚于截止日期" in content or "逾期天数须为整数" in content


def test_the_export_holds_the_figures_and_the_masked_pairs_audited(client, administrator, seeded):
    client.force_login(administrator)

    response = client.get(reverse("quality_export"))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert seeded.clerk.operator.hospital.name in values
    assert mask_id_number(seeded.same_hospital[0].temp_id) in values
    assert seeded.same_hospital[0].temp_id not in values
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.detail["kind"] == "quality"


def _supervisor_of(hospital):
    return factories.operator_make(
        username="super_gl",
        hospital=hospital,
        role="supervisor",
        id_number=factories.id_number(born="19800101", order="035"),
    ).user


def test_a_supervisor_reads_their_hospitals_figures_alone_on_the_reports_page(client, seeded):
    hospital = seeded.foreign_clerk.operator.hospital
    client.force_login(_supervisor_of(hospital))

    content = client.get(reverse("reports")).content.decode()

    assert "数据质量（本院）" in content
    assert f'data-hospital="{hospital.code}"' in content
    assert f'data-hospital="{seeded.clerk.operator.hospital.code}"' not in content
    row = content.split(f'data-hospital="{hospital.code}"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-figure="registered">1</td>' in row
    assert '<td data-figure="duplicates">1</td>' in row
    # Nothing of the other hospital's record in the pair.
    assert seeded.across_routes[0].temp_id[:6] + "*" not in content


def test_the_decisions_read_as_words_in_the_audit_log(client, administrator, seeded):
    from registration.selectors.audit_words import entry_details

    client.force_login(administrator)
    client.get(pair_url("quality_pair", seeded.same_hospital))
    client.post(pair_url("quality_pair_dismiss", seeded.same_hospital), {"reason": "双胞胎分两次登记"})
    kept, voided = seeded.across_routes
    client.post(pair_url("quality_pair_void", seeded.across_routes), {"void": voided.pk, "confirm": "1"})

    words = {entry.action: entry_details(entry) for entry in AuditEntry.objects.filter(user=administrator)}
    assert words[AuditEntry.Action.VIEW_ID] == "查看位置：数据质量"
    assert words[AuditEntry.Action.DUPLICATE].startswith("判定与记录 ")
    assert (
        words[AuditEntry.Action.VOID] == f"医保中心作废为重复登记，保留的记录 {mask_id_number(kept.temp_id)}"
    )


def test_a_supervisors_long_report_shows_the_quality_figures_on_asking(client, seeded):
    hospital = seeded.foreign_clerk.operator.hospital
    client.force_login(_supervisor_of(hospital))
    year = {"date_from": "2025-12-01", "date_to": "2026-11-30"}

    hidden = client.get(reverse("reports"), year).content.decode()
    asked = client.get(reverse("reports"), {**year, "quality": "1"}).content.decode()

    assert "data-quality-link" in hidden and 'data-table="quality-figures"' not in hidden
    assert 'data-table="quality-figures"' in asked and "data-quality-link" not in asked
