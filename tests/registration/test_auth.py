"""registration.auth.UserBackend: a session's user comes with its operator and hospital in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registration import access
from registration.auth import UserBackend
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_login_through_the_page_reads_the_user_with_its_operator_and_hospital(client, clerk):
    response = client.post("/login/", {"username": clerk.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "registration.auth.UserBackend"

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/newborns/")
    assert response.status_code == 200
    user_reads = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(user_reads) == 1 and '"registration_hospital"' in user_reads[0]
    assert not any(q["sql"].startswith('SELECT "registration_operator"') for q in queries.captured_queries)


def test_the_backend_caches_the_operator_or_its_absence(clerk):
    backend = UserBackend()
    user = backend.get_user(clerk.pk)
    with CaptureQueriesContext(connection) as queries:
        operator = access.user_operator(user)
        hospital_active = operator.hospital.is_active
        division_code = operator.hospital.division.code
    assert queries.captured_queries == []
    assert operator.user_id == clerk.pk and hospital_active and division_code

    admin = backend.get_user(factories.user_make("admin", is_staff=True).pk)
    with CaptureQueriesContext(connection) as queries:
        assert access.user_operator(admin) is None
    assert queries.captured_queries == []


def test_an_unknown_or_inactive_user_is_none(clerk):
    backend = UserBackend()
    assert backend.get_user(clerk.pk + 1000) is None
    get_user_model().objects.filter(pk=clerk.pk).update(is_active=False)
    assert backend.get_user(clerk.pk) is None
