"""POST /api/v1/births: the registration page's check, its errors by field path, warnings, idempotency."""

import json
import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from registration.api.births import request_fingerprint
from registration.api.serializers import BirthSerializer, values_parsed
from registration.models import AuditEntry, Birth, Newborn, Operator
from tests import factories
from tests.api.conftest import bearer, birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")


def test_it_registers_twins_with_their_letters_numbers_and_names(api, his):
    response = api.post("/api/v1/births", birth_body(), format="json")

    assert response.status_code == 201, response.content
    newborns = response.json()["newborns"]
    assert [n["temp_id"] for n in newborns] == [factories.MOTHER_ID + "X", factories.MOTHER_ID + "x"]
    assert [n["name"] for n in newborns] == ["覃小梅之女", "覃小梅之女"]
    assert all(len(n["personal_number"]) == 10 for n in newborns)
    assert newborns[0]["last_day"] == "2026-05-25"
    assert newborns[0]["sex"] == "female" and newborns[0]["state"] == "registered"
    birth = Birth.objects.get()
    assert birth.hospital == his[0].hospital and birth.clerk == his[0].user
    assert {newborn.hospital_id for newborn in birth.newborns.all()} == {birth.hospital_id}
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REGISTER)
    assert entries.count() == 2
    assert {entry.user for entry in entries} == {his[0].user}
    assert {entry.ip for entry in entries} == {"127.0.0.1"}


def test_it_registers_the_openapi_documents_example(client, api):
    # The example is app code (registration/api/views.py), dated four days before factories.TODAY.
    document = json.loads(client.get("/api/v1/openapi.json").content)
    operation = document["paths"]["/api/v1/births"]["post"]
    (example,) = operation["requestBody"]["content"]["application/json"]["examples"].values()

    response = api.post("/api/v1/births", example["value"], format="json")

    assert response.status_code == 201, response.content
    assert len(response.json()["newborns"]) == 2


def test_it_lists_every_error_by_field_path_in_chinese(api):
    body = birth_body(
        mother={"name": "覃小梅", "id_number": "450103199003070001", "phone": "13877112345"},
        babies=[{"sex": "female", "birth_date": "2026-02-26"}, {"sex": "female", "birth_date": "2025-10-01"}],
    )

    response = api.post("/api/v1/births", body, format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "mother.id_number" in errors and "babies.1.birth_date" in errors
    assert "babies.0.birth_date" not in errors
    assert "3个月" in errors["babies.1.birth_date"][0]
    assert Birth.objects.count() == 0


def test_it_refuses_malformed_values_by_path(api):
    body = birth_body(babies=[{"sex": "girl", "birth_date": "26/02/2026"}], route="passport")

    response = api.post("/api/v1/births", body, format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["babies.0.sex"] == ["性别应为 female 或 male。"]
    assert "YYYY-MM-DD" in errors["babies.0.birth_date"][0]
    assert errors["route"] == ["请选择证件类型。"]


def test_it_refuses_no_baby_or_nine_with_the_pages_message(api):
    nine = [{"sex": "female", "birth_date": "2026-02-26"}] * 9
    for babies in ([], nine):
        response = api.post("/api/v1/births", birth_body(babies=babies), format="json")

        assert response.status_code == 422
        assert response.json()["errors"]["babies"] == ["一次登记的新生儿须为1至8名。"]


def test_it_refuses_an_unknown_community(api):
    response = api.post("/api/v1/births", birth_body(community="450103999999"), format="json")

    assert response.status_code == 422
    assert "参保社区" in response.json()["errors"]["community"][0]


# A mother's ID number whose check digit is wrong (the last digit of MOTHER_ID's body + "1").
BAD_MOTHER = {"name": "覃小梅", "id_number": "450103199003070001", "phone": "13877112345"}
TOO_OLD = "2025-10-01"  # more than three months before TODAY


def test_a_format_error_comes_with_the_checks_errors_of_everything_that_parsed(api):
    babies = [{"sex": "female", "birth_date": "2026-02-26"}, {"sex": "girl", "birth_date": TOO_OLD}]

    response = api.post("/api/v1/births", birth_body(mother=BAD_MOTHER, babies=babies), format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"babies.1.sex", "mother.id_number", "babies.1.birth_date"}
    # The serializer's message only: the check saw no sex, its 「请选择性别」 would say it again.
    assert errors["babies.1.sex"] == ["性别应为 female 或 male。"]
    assert errors["mother.id_number"] == ["母亲身份证号码校验位不正确，请逐位核对。"]
    assert "3个月" in errors["babies.1.birth_date"][0]
    assert Birth.objects.count() == 0


def test_a_malformed_date_is_reported_once_and_the_other_babys_age_too(api):
    babies = [{"sex": "female", "birth_date": "26/02/2026"}, {"sex": "female", "birth_date": TOO_OLD}]

    response = api.post("/api/v1/births", birth_body(babies=babies), format="json")

    errors = response.json()["errors"]
    assert set(errors) == {"babies.0.birth_date", "babies.1.birth_date"}
    assert len(errors["babies.0.birth_date"]) == 1 and "YYYY-MM-DD" in errors["babies.0.birth_date"][0]
    assert "第2名新生儿" in errors["babies.1.birth_date"][0]


def test_an_unknown_community_comes_with_every_other_error(api):
    body = birth_body(community="450103999999", mother=BAD_MOTHER, parent_has_guangxi_household=False)

    response = api.post("/api/v1/births", body, format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"community", "mother.id_number", "parent_has_guangxi_household"}
    assert errors["community"] == ["没有找到该参保社区，请核对12位社区编码或社区ID。"]  # not the check's too


def test_an_unknown_community_and_a_format_error_come_together(api):
    body = birth_body(community="450103999999", babies=[{"sex": "girl", "birth_date": TOO_OLD}])

    errors = api.post("/api/v1/births", body, format="json").json()["errors"]

    assert set(errors) == {"community", "babies.0.sex", "babies.0.birth_date"}


def test_a_parent_that_is_no_object_is_one_error_not_one_per_field(api):
    response = api.post("/api/v1/births", birth_body(mother="覃小梅", phone="123"), format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    # The check saw no mother: her name and ID number would be "missing", which the "mother" error says.
    assert set(errors) == {"mother", "phone"}


def test_a_malformed_flag_is_reported_once_under_the_apis_name(api):
    body = birth_body(no_household_registration="maybe", parent_has_guangxi_household="perhaps")

    errors = api.post("/api/v1/births", body, format="json").json()["errors"]

    assert set(errors) == {"no_household_registration", "parent_has_guangxi_household"}
    assert all(len(messages) == 1 for messages in errors.values())


def test_nine_babies_are_refused_and_the_first_eight_are_still_checked(api):
    babies = [{"sex": "female", "birth_date": TOO_OLD}] + [{"sex": "female", "birth_date": "2026-02-26"}] * 8

    errors = api.post("/api/v1/births", birth_body(babies=babies), format="json").json()["errors"]

    assert errors["babies"] == ["一次登记的新生儿须为1至8名。"]
    assert set(errors) == {"babies", "babies.0.birth_date"}


def test_a_body_that_is_no_object_is_one_error(api):
    response = api.post("/api/v1/births", [birth_body()], format="json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_a_bad_idempotency_key_comes_with_the_bodys_errors(api):
    response = api.post(
        "/api/v1/births", birth_body(mother=BAD_MOTHER), format="json", HTTP_IDEMPOTENCY_KEY="键"
    )

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"Idempotency-Key", "mother.id_number"}
    assert Birth.objects.count() == 0


def test_a_bad_idempotency_key_alone_registers_nothing(api):
    response = api.post("/api/v1/births", birth_body(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 201)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert Birth.objects.count() == 0


def test_a_client_whose_module_access_was_withdrawn_gets_a_403_for_a_bad_body_too(api, his):
    operator = his[0].user.operator
    operator.access = Operator.Access.WITHDRAWN
    operator.save(update_fields=["access"])

    response = api.post("/api/v1/births", birth_body(babies=[{"sex": "girl"}]), format="json")

    assert response.status_code == 403
    assert "模块权限" in response.json()["detail"]


def test_values_parsed_keeps_what_parsed_and_names_what_did_not():
    body = birth_body(mother="覃小梅", babies=[{"sex": "girl", "birth_date": "2026-02-26"}, "双胞胎"])

    values, unusable = values_parsed(BirthSerializer(data=body), body)

    assert unusable == {"mother", "babies.0.sex", "babies.1"}
    assert values["babies"] == [{"birth_date": date(2026, 2, 26), "birth_certificate_number": ""}, None]
    assert values["father"]["id_number"] == factories.FATHER_ID and "mother" not in values
    assert values_parsed(BirthSerializer(data=[]), []) == (None, {""})


def test_a_warning_is_a_409_with_its_code_and_a_resend_with_confirm_registers(api):
    one = birth_body(babies=[{"sex": "female", "birth_date": "2026-02-26"}])
    assert api.post("/api/v1/births", one, format="json").status_code == 201

    again = api.post("/api/v1/births", one, format="json")

    assert again.status_code == 409
    warnings = again.json()["warnings"]
    assert [warning["code"] for warning in warnings] == ["possible_duplicate"]
    assert "可能重复登记" in warnings[0]["message"]
    confirmed = api.post("/api/v1/births", {**one, "confirm": ["possible_duplicate"]}, format="json")
    assert confirmed.status_code == 201
    assert confirmed.json()["newborns"][0]["temp_id"] == factories.MOTHER_ID + "x"


def test_a_birth_outside_guangxis_hospitals_is_a_warning_to_confirm(api):
    # Issue 28, item 5: any birth hospital was saved as typed.
    body = birth_body(birth_hospital_name="某某镇卫生院")

    warned = api.post("/api/v1/births", body, format="json")

    assert warned.status_code == 409
    [warning] = warned.json()["warnings"]
    assert warning["code"] == "birth_place" and "不在本系统的广西定点医疗机构名单中" in warning["message"]
    confirmed = api.post("/api/v1/births", {**body, "confirm": ["birth_place"]}, format="json")
    assert confirmed.status_code == 201
    assert Birth.objects.get().birth_hospital_name == "某某镇卫生院"


def test_without_a_birth_hospital_it_is_the_registering_one(api, his):
    response = api.post("/api/v1/births", birth_body(birth_hospital_name=""), format="json")

    assert response.status_code == 201
    birth = Birth.objects.get()
    assert birth.birth_hospital == his[0].hospital and birth.birth_hospital_name == "南宁市第一人民医院"


def test_a_retry_with_the_same_idempotency_key_returns_the_first_registration(api):
    first = api.post("/api/v1/births", birth_body(), format="json", HTTP_IDEMPOTENCY_KEY="his-4711")
    retry = api.post("/api/v1/births", birth_body(), format="json", HTTP_IDEMPOTENCY_KEY="his-4711")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Birth.objects.count() == 1 and Newborn.objects.count() == 2
    replay = AuditEntry.objects.get(action=AuditEntry.Action.API)
    assert replay.detail["idempotent_replay"] is True


def test_the_same_key_with_another_body_of_the_same_mother_is_refused(api):
    # Issue 24, item 1: the same key and mother, first one girl, then two boys born on another day: the
    # boys were answered with a copy of the girl's registration and never registered.
    girl = birth_body(babies=[{"sex": "female", "birth_date": "2026-02-26"}])
    boys = birth_body(babies=[{"sex": "male", "birth_date": "2026-01-10"}] * 2)
    first = api.post("/api/v1/births", girl, format="json", HTTP_IDEMPOTENCY_KEY="his-4712")

    second = api.post("/api/v1/births", boys, format="json", HTTP_IDEMPOTENCY_KEY="his-4712")

    assert first.status_code == 201
    assert second.status_code == 422, second.content
    assert "已用于另一次请求" in second.json()["errors"]["Idempotency-Key"][0]
    assert Birth.objects.count() == 1 and Newborn.objects.count() == 1
    refused = AuditEntry.objects.get(action=AuditEntry.Action.API)
    assert refused.detail["idempotency_key_reused"] is True and refused.detail["status"] == 422


def test_any_change_of_the_body_under_the_same_key_is_refused(api):
    body = birth_body()
    api.post("/api/v1/births", body, format="json", HTTP_IDEMPOTENCY_KEY="his-4713")

    changed = {**body, "household_address": body["household_address"] + "之一"}
    response = api.post("/api/v1/births", changed, format="json", HTTP_IDEMPOTENCY_KEY="his-4713")

    assert response.status_code == 422
    assert Birth.objects.get().newborns.first().household_address == body["household_address"]


def test_a_retry_whose_keys_are_in_another_order_and_spacing_is_the_same_request(api):
    body = birth_body()
    first = api.post("/api/v1/births", body, format="json", HTTP_IDEMPOTENCY_KEY="his-4714")
    reordered = json.dumps(dict(reversed(list(body.items()))), ensure_ascii=True, indent=2)

    retry = api.post(
        "/api/v1/births", reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="his-4714"
    )

    assert retry.status_code == 201 and retry.json() == first.json()
    assert Birth.objects.get().request_fingerprint == request_fingerprint(body)


def test_a_birth_saved_without_a_fingerprint_is_compared_by_its_parent(api):
    # Births registered before migration 0027 have no fingerprint: a retry naming the same ID parent is
    # still answered, another parent still refused.
    api.post("/api/v1/births", birth_body(), format="json", HTTP_IDEMPOTENCY_KEY="his-4715")
    Birth.objects.update(request_fingerprint="")
    same_parent = birth_body(household_address="广西南宁市青秀区新竹路2号")
    father_id = {"name": "韦大海", "id_number": factories.FATHER_ID, "phone": ""}
    other_parent = birth_body(parent_role="father", father=father_id, confirm=["possible_duplicate"])

    retry = api.post("/api/v1/births", same_parent, format="json", HTTP_IDEMPOTENCY_KEY="his-4715")
    other = api.post("/api/v1/births", other_parent, format="json", HTTP_IDEMPOTENCY_KEY="his-4715")

    assert retry.status_code == 201 and other.status_code == 422
    assert Birth.objects.count() == 1


def test_request_fingerprint_ignores_key_order_and_reads_every_value():
    body = birth_body()
    assert request_fingerprint(body) == request_fingerprint(dict(reversed(list(body.items()))))
    assert request_fingerprint(body) != request_fingerprint({**body, "confirm": ["possible_duplicate"]})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": "1"})
    assert len(request_fingerprint(body)) == 64


def test_a_key_reused_for_another_family_is_refused(api):
    api.post("/api/v1/births", birth_body(), format="json", HTTP_IDEMPOTENCY_KEY="his-1")
    father_id = {"name": "韦大海", "id_number": factories.FATHER_ID, "phone": ""}

    response = api.post(
        "/api/v1/births",
        birth_body(parent_role="father", father=father_id, confirm=["possible_duplicate"]),
        format="json",
        HTTP_IDEMPOTENCY_KEY="his-1",
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert Birth.objects.count() == 1


def test_the_same_key_of_another_client_is_another_registration(api, other_api):
    body = birth_body(babies=[{"sex": "female", "birth_date": "2026-02-26"}], confirm=["possible_duplicate"])
    api.post("/api/v1/births", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    response = other_api.post("/api/v1/births", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert response.status_code == 201
    assert Birth.objects.count() == 2


def test_a_browser_session_opens_nothing_and_a_key_needs_no_csrf_token(api, his, client):
    clerk = factories.operator_make(username="clerk2", hospital=his[0].hospital).user
    client.force_login(clerk)
    assert client.post("/api/v1/births", birth_body(), content_type="application/json").status_code == 401

    csrf_checked = APIClient(enforce_csrf_checks=True)
    csrf_checked.credentials(HTTP_AUTHORIZATION=f"Bearer {his[1]}")
    assert csrf_checked.post("/api/v1/births", birth_body(), format="json").status_code == 201
    assert "sessionid" not in csrf_checked.cookies


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_idempotency_key_register_once(his, pinned_today):
    assert connection.vendor == "postgresql"
    threads, results, errors = 6, [], []
    barrier = threading.Barrier(threads)

    def retry():
        try:
            barrier.wait()
            response = bearer(his[1]).post(
                "/api/v1/births", birth_body(), format="json", HTTP_IDEMPOTENCY_KEY="race-1"
            )
            results.append((response.status_code, response.json()))
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    workers = [threading.Thread(target=retry) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert [status for status, _ in results] == [201] * threads
    assert len({tuple(n["temp_id"] for n in body["newborns"]) for _, body in results}) == 1
    assert Birth.objects.count() == 1 and Newborn.objects.count() == 2


# --- the rule of disclosure (docs/privacy.md) ----------------------------------------------------------

ELSEWHERE = "该父（母）亲身份证号码在其他医疗机构已有同一出生日期的新生儿登记，请与家属核实后再继续"


def test_another_hospitals_client_learns_no_name_and_no_record_of_a_parent(api, other_api):
    # The oracle of the finding: another hospital's key, a Nanning mother's number, any name, eight
    # candidate birth dates, the agency confirmed.
    born = factories.TODAY - timedelta(days=4)
    assert api.post("/api/v1/births", birth_body(), format="json").status_code == 201
    first = Newborn.objects.filter(birth__mother_id_number=factories.MOTHER_ID).first()
    dates = [(born - timedelta(days=days)).isoformat() for days in range(-2, 6)]
    probe = birth_body(
        mother={"name": "某某", "id_number": factories.MOTHER_ID, "phone": ""},
        father={"name": "", "id_number": "", "phone": ""},
        babies=[{"sex": "female", "birth_date": day} for day in dates],
        confirm=["agency_mismatch"],
    )

    answer = other_api.post("/api/v1/births", probe, format="json")

    assert answer.status_code == 409
    warnings = answer.json()["warnings"]
    assert [warning["code"] for warning in warnings] == ["parent_name_changed"]
    text = answer.content.decode()
    for stored in ("覃小梅", first.name, first.personal_number, "南宁市第一人民医院", "已登记"):
        assert stored not in text

    # With the name the family gives, the duplicate shows itself, as a fact to check, not as the record.
    agreed = other_api.post(
        "/api/v1/births",
        {**probe, "mother": {"name": "覃小梅", "id_number": factories.MOTHER_ID, "phone": ""}},
        format="json",
    )
    assert agreed.status_code == 409
    assert [warning["code"] for warning in agreed.json()["warnings"]] == ["possible_duplicate"]
    assert ELSEWHERE in agreed.json()["warnings"][0]["message"]
    for stored in (first.name, first.personal_number, "南宁市第一人民医院", "已登记", "2月26日"):
        assert stored not in agreed.content.decode()
