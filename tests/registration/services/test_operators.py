"""services/operators.py: requesting a clerk's account and moving its module access along request, grant
and withdraw, audited."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from registration.models import AuditEntry, Operator
from registration.services.operators import (
    OperatorInput,
    operator_access_decide,
    operator_access_request,
    operator_request_new,
)
from tests import factories
from tests.factories import register

pytestmark = pytest.mark.django_db


NEW_ID = factories.id_number(born="19950612", order="046")
NEW = {
    "real_name": "王小芳",
    "id_number": NEW_ID,
    "phone": "13877100001",
    "username": "wangxf",
    "remark": "产科护士站",
}


@pytest.fixture
def supervisor(hospital):
    return factories.operator_make(
        username="super",
        hospital=hospital,
        role=Operator.Role.SUPERVISOR,
        real_name="周主管",
        id_number=factories.id_number(born="19800101", order="035"),
    ).user


@pytest.fixture
def foreign(clerk):
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    return factories.operator_make(
        username="clerk_gl",
        hospital=hospital,
        access=Operator.Access.NONE,
        real_name="桂林经办",
        id_number=factories.id_number(region="450302", born="19870303", order="012"),
    )


def test_operator_request_new_creates_the_account_and_the_request(hospital, supervisor):
    operator, password = operator_request_new(
        hospital=hospital, data=OperatorInput(**NEW), user=supervisor, ip="10.0.0.1"
    )

    assert operator.access == Operator.Access.REQUESTED
    assert operator.role == Operator.Role.CLERK
    assert operator.hospital == hospital
    assert (operator.real_name, operator.id_number, operator.phone) == ("王小芳", NEW_ID, "13877100001")
    assert operator.user.check_password(password)
    assert not operator.user.is_staff
    assert operator.user.password != password  # stored as a hash only
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS)
    assert entry.detail == {"from": None, "to": "requested", "new_operator": True}
    assert NEW_ID not in entry.object_repr


def test_operator_request_new_reports_every_problem_at_once(hospital, supervisor):
    data = OperatorInput(
        username="clerk", real_name="", id_number="450103199506120461", phone="123", remark=""
    )

    with pytest.raises(ValidationError) as caught:
        operator_request_new(hospital=hospital, data=data, user=supervisor)

    errors = caught.value.message_dict
    assert errors["username"] == ["该登录用户名已被使用，请换一个。"]
    assert errors["real_name"] == ["请填写经办人姓名。"]
    assert "校验位" in errors["id_number"][0]
    assert errors["phone"]
    assert get_user_model().objects.count() == 2  # nothing created


def test_operator_request_new_refuses_an_operator_already_at_the_hospital(hospital, supervisor, clerk):
    data = OperatorInput(**{**NEW, "id_number": clerk.operator.id_number})

    with pytest.raises(ValidationError) as caught:
        operator_request_new(hospital=hospital, data=data, user=supervisor)

    assert "已在本院登记" in caught.value.message_dict["id_number"][0]


def test_access_moves_only_along_request_grant_withdraw(hospital, supervisor, administrator, foreign):
    operator = foreign
    operator = operator_access_request(operator=operator, user=supervisor)
    assert operator.access == Operator.Access.REQUESTED
    with pytest.raises(ValidationError, match="不需要再申请"):
        operator_access_request(operator=operator, user=supervisor)
    operator = operator_access_decide(operator=operator, decision="grant", user=administrator)
    assert operator.access == Operator.Access.GRANTED
    with pytest.raises(ValidationError, match="不能开通"):
        operator_access_decide(operator=operator, decision="grant", user=administrator)
    with pytest.raises(ValidationError, match="请填写撤销"):
        operator_access_decide(operator=operator, decision="withdraw", user=administrator, reason="  ")
    operator = operator_access_decide(
        operator=operator, decision="withdraw", user=administrator, reason="已调离产科"
    )
    assert (operator.access, operator.access_reason) == (Operator.Access.WITHDRAWN, "已调离产科")
    with pytest.raises(ValidationError, match="不能撤销"):
        operator_access_decide(operator=operator, decision="withdraw", user=administrator, reason="再撤")
    with pytest.raises(ValidationError, match="操作无效"):
        operator_access_decide(operator=operator, decision="delete", user=administrator)
    actions = list(
        AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).values_list("detail", flat=True)
    )
    assert [entry["to"] for entry in actions] == ["withdrawn", "granted", "requested"]
    withdrawn = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).first()
    assert withdrawn.reason == "已调离产科"
    operator = operator_access_decide(operator=operator, decision="grant", user=administrator)
    assert operator.access_reason == ""  # a grant clears the last withdrawal's reason


def test_operator_access_set_stamps_the_change_and_audits_it(clerk):
    from registration.services.operators import operator_access_set

    operator = clerk.operator
    admin = factories.user_make("admin", is_staff=True)
    operator_access_set(operator=operator, access=Operator.Access.WITHDRAWN, user=admin)
    operator.refresh_from_db()
    assert operator.access == Operator.Access.WITHDRAWN and operator.access_changed_at is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS)
    assert entry.detail == {"from": "granted", "to": "withdrawn"} and entry.user == admin
    with pytest.raises(PermissionDenied, match="已于.*被医保中心撤销.*请联系本院主管"):
        register(clerk)
    with pytest.raises(ValidationError):
        operator_access_set(operator=operator, access="bogus", user=admin)
