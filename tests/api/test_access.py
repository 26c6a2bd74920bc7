"""Keys, scopes and hospitals, for every endpoint: 401 without a key, 403 without the scope, 404 elsewhere."""

import io

import pytest
from django.core.management import call_command

from registration.api.throttles import ClientRateThrottle, CoverageRateThrottle
from registration.models import ApiClient, AuditEntry
from registration.services.api_clients import api_client_create, api_client_revoke
from tests.api.conftest import bearer, birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")

# (method, path, scope, kind): every endpoint of the API.
ENDPOINTS = [
    ("post", "/api/v1/births", "births:write", "hospital"),
    ("get", "/api/v1/newborns", "records:read", "any"),
    ("get", "/api/v1/newborns/4501031990030700201", "records:read", "any"),
    ("post", "/api/v1/newborns/4501031990030700201/materials", "births:write", "hospital"),
    ("get", "/api/v1/coverage?code=4501031990030700201&birth_date=2026-02-26", "coverage:read", "any"),
    ("post", "/api/v1/coverage", "coverage:read", "any"),
    ("post", "/api/v1/payments", "payments:write", "centre"),
]


def _call(api, method, path):
    return getattr(api, method)(path, {}, format="multipart" if path.endswith("materials") else "json")


@pytest.mark.parametrize(("method", "path", "scope", "kind"), ENDPOINTS)
def test_every_endpoint_wants_a_valid_key(db, method, path, scope, kind):
    from rest_framework.test import APIClient

    for client in (APIClient(), bearer("nbe_000000000000_wrong"), bearer("not a key")):
        response = _call(client, method, path)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json()["detail"]


@pytest.mark.parametrize(("method", "path", "scope", "kind"), ENDPOINTS)
def test_every_endpoint_wants_its_scope(hospital, method, path, scope, kind):
    others = [s for s in ApiClient.Scope.values if s != scope]
    allowed = [s for s in others if s != "payments:write"] if kind != "centre" else ["coverage:read"]
    _, key = api_client_create(name="少权限", hospital=None if kind == "centre" else hospital, scopes=allowed)

    response = _call(bearer(key), method, path)

    assert response.status_code == 403
    assert scope in response.json()["detail"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.API)
    assert entry.detail["status"] == 403 and entry.ip == "127.0.0.1"


def test_hospital_endpoints_refuse_the_centre_and_payments_refuse_a_hospital(hospital):
    _, centre_key = api_client_create(name="中心", hospital=None, scopes=["coverage:read"])
    centre = ApiClient.objects.get(name="中心")
    centre.scopes = list(ApiClient.Scope.values)  # made by hand: the service refuses such a client
    centre.save()
    assert bearer(centre_key).post("/api/v1/births", birth_body(), format="json").status_code == 403
    _, his_key = api_client_create(name="院", hospital=hospital, scopes=["births:write"])
    his = ApiClient.objects.get(name="院")
    his.scopes = list(ApiClient.Scope.values)
    his.save()
    assert bearer(his_key).post("/api/v1/payments", {"payments": []}, format="json").status_code == 403


def test_another_hospitals_record_is_a_404_for_reads_and_uploads(api, other_api):
    temp_id = api.post("/api/v1/births", birth_body(), format="json").json()["newborns"][0]["temp_id"]

    assert other_api.get(f"/api/v1/newborns/{temp_id}").status_code == 404
    upload = other_api.post(f"/api/v1/newborns/{temp_id}/materials", {"kind": "id_card"}, format="multipart")
    assert upload.status_code == 404
    assert other_api.get("/api/v1/newborns").json()["results"] == []
    assert api.get(f"/api/v1/newborns/{temp_id}").status_code == 200


def test_a_revoked_key_stops_working_at_once(api, his):
    assert api.get("/api/v1/newborns").status_code == 200

    api_client_revoke(client=his[0])

    assert api.get("/api/v1/newborns").status_code == 401


def test_past_the_clients_rate_it_gets_429(api, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "rate", "3/min", raising=False)
    statuses = [api.get("/api/v1/newborns").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "限" in api.get("/api/v1/newborns").json()["detail"]


def test_coverage_has_its_own_lower_rate(api, monkeypatch):
    monkeypatch.setattr(CoverageRateThrottle, "rate", "2/min", raising=False)
    path = "/api/v1/coverage?code=4501031990030700201&birth_date=2026-02-26"
    assert [api.get(path).status_code for _ in range(3)] == [404, 404, 429]
    assert api.get("/api/v1/newborns").status_code == 200


def test_every_call_is_audited_with_the_client_its_ip_and_the_object(api, his):
    temp_id = api.post("/api/v1/births", birth_body(), format="json").json()["newborns"][0]["temp_id"]
    api.get(f"/api/v1/newborns/{temp_id}", REMOTE_ADDR="10.1.2.3")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_ID)
    assert entry.user == his[0].user and entry.hospital == his[0].hospital
    assert entry.ip == "10.1.2.3"
    assert entry.newborn.temp_id == temp_id
    assert entry.detail["api_client"] == his[0].pk
    assert temp_id not in entry.object_repr  # masked, as every entry


def test_the_command_prints_the_key_last_and_the_key_works(hospital):
    out = io.StringIO()
    call_command(
        "api_client_create",
        "--hospital",
        hospital.code,
        "--name",
        "HIS",
        "--scopes",
        "births:write,records:read",
        stdout=out,
    )

    key = out.getvalue().strip().splitlines()[-1].split()[-1]
    client = ApiClient.objects.get(name="HIS")
    assert client.scopes == ["births:write", "records:read"] and client.hospital == hospital
    assert key not in client.key_hash and client.key_hash != key
    assert bearer(key).get("/api/v1/newborns").status_code == 200


def test_the_command_makes_the_centres_client_without_a_hospital(db):
    out = io.StringIO()
    call_command("api_client_create", "--name", "医保中心", "--scopes", "payments:write", stdout=out)

    key = out.getvalue().strip().splitlines()[-1].split()[-1]
    assert ApiClient.objects.get(name="医保中心").hospital is None
    assert bearer(key).post("/api/v1/payments", {"payments": []}, format="json").status_code == 422


def test_the_command_refuses_an_unknown_scope_or_hospital(hospital):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="未知的权限范围"):
        call_command("api_client_create", "--hospital", hospital.code, "--name", "a", "--scopes", "all")
    with pytest.raises(CommandError, match="no hospital"):
        call_command("api_client_create", "--hospital", "nope", "--name", "a", "--scopes", "records:read")
    with pytest.raises(CommandError, match="医保中心"):
        call_command("api_client_create", "--name", "a", "--scopes", "births:write")


def test_the_admin_shows_the_key_once_and_revokes(hospital, admin_client):
    response = admin_client.post(
        "/admin/registration/apiclient/add/",
        {"name": "一院HIS", "hospital": hospital.pk, "scopes": ["births:write", "records:read"]},
    )

    assert response.status_code == 200
    client = ApiClient.objects.get(name="一院HIS")
    key = response.context["key"]
    assert key.startswith("nbe_") and key in response.content.decode()
    assert bearer(key).get("/api/v1/newborns").status_code == 200
    page = admin_client.get(f"/admin/registration/apiclient/{client.pk}/change/").content.decode()
    assert key not in page
    admin_client.post("/admin/registration/apiclient/", {"action": "revoke", "_selected_action": [client.pk]})
    assert bearer(key).get("/api/v1/newborns").status_code == 401
    assert not client.user.has_usable_password()


def test_a_revoked_clients_account_loses_its_module_access_and_the_others_keep_working(api, other_api, his):
    from registration.models import Operator

    api_client_revoke(client=his[0])

    assert Operator.objects.get(user=his[0].user).access == Operator.Access.WITHDRAWN
    assert api.get("/api/v1/newborns").status_code == 401
    assert other_api.get("/api/v1/newborns").status_code == 200
