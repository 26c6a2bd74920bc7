"""registration.access: the roles, and the hospital scope every read starts from."""

import pytest
from django.core.exceptions import PermissionDenied

from registration import access
from registration.models import Hospital, Operator
from tests import factories


def test_it_names_each_role(clerk):
    supervisor = factories.operator_make(
        username="super", hospital=clerk.operator.hospital, role=Operator.Role.SUPERVISOR
    ).user
    administrator = factories.user_make("center", is_staff=True)

    assert access.user_role(clerk) == access.Role.CLERK
    assert access.user_role(supervisor) == access.Role.SUPERVISOR
    assert access.user_role(administrator) == access.Role.ADMINISTRATOR
    assert access.user_role(factories.user_make("visitor")) is None


def test_it_reads_the_operator_once_per_user_object(clerk, django_assert_num_queries):
    user = type(clerk).objects.get(pk=clerk.pk)

    with django_assert_num_queries(1):
        for _ in range(3):
            assert access.user_operator(user).hospital.division.name == "南宁市"
            assert not access.user_is_administrator(user)


def test_it_scopes_a_hospital_without_a_request(clerk):
    own = factories.register(clerk).newborns.get()
    other = factories.hospital_make(code="H45030200001", name="桂林市人民医院")

    assert list(access.newborns_in(access.Scope.of_hospital(clerk.operator.hospital))) == [own]
    assert list(access.newborns_in(access.Scope.of_hospital(other))) == []
    assert list(access.newborns_in(access.EVERY_HOSPITAL)) == [own]
    assert list(access.newborns_in(access.NO_HOSPITAL)) == []


def test_it_gives_a_disabled_hospitals_staff_no_rows(clerk):
    factories.register(clerk)
    supervisor = factories.operator_make(
        username="super", hospital=clerk.operator.hospital, role=Operator.Role.SUPERVISOR
    ).user
    Hospital.objects.filter(pk=clerk.operator.hospital_id).update(is_active=False)
    clerk, supervisor = (type(user).objects.get(pk=user.pk) for user in (clerk, supervisor))  # fresh rows

    assert list(access.newborns_scope(clerk)) == []
    assert list(access.hospitals_scope(clerk)) == []
    assert list(access.operators_scope(supervisor)) == list(access.operators_scope(clerk)) == []
    assert "已停用" in access.module_denied_reason(clerk)


def test_it_lets_only_supervisors_and_administrators_read_operators_and_the_audit_log(clerk):
    supervisor = factories.operator_make(
        username="super", hospital=clerk.operator.hospital, role=Operator.Role.SUPERVISOR
    ).user
    administrator = factories.user_make("center", is_staff=True)

    assert access.supervision_scope(clerk) == access.NO_HOSPITAL
    assert access.supervision_scope(supervisor) == access.Scope(hospital_id=clerk.operator.hospital_id)
    assert access.supervision_scope(administrator) == access.EVERY_HOSPITAL
    assert set(access.operators_scope(supervisor)) == {clerk.operator, supervisor.operator}


def test_it_refuses_registering_to_an_administrator(db):
    administrator = factories.user_make("center", is_staff=True)

    assert access.module_denied_reason(administrator) is None
    assert "经办人" in access.registering_denied_reason(administrator)


def test_it_gives_a_registering_clerk_their_hospital_and_refuses_everyone_else_with_the_reason(clerk):
    assert access.registering_hospital(clerk) == clerk.operator.hospital
    administrator = factories.user_make("center", is_staff=True)
    with pytest.raises(PermissionDenied, match="经办人"):
        access.registering_hospital(administrator)
    Hospital.objects.filter(pk=clerk.operator.hospital_id).update(is_active=False)
    with pytest.raises(PermissionDenied, match="已停用"):
        access.registering_hospital(type(clerk).objects.get(pk=clerk.pk))


def test_it_names_what_a_report_covers(clerk):
    other = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    administrator = factories.user_make("center", is_staff=True)

    assert access.scope_name(clerk) == clerk.operator.hospital.name
    assert access.scope_name(administrator) == "全部医疗机构"
    assert access.scope_name(administrator, other) == "桂林市人民医院"
