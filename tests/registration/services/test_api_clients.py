"""services/api_clients.py: creating and revoking the API's clients (医院信息系统) and their accounts."""

import pytest

from registration.models import Division, Operator
from registration.services.api_clients import api_client_create, api_client_revoke
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital(clerk):
    """The clerk's hospital, in 青秀区 (its 所属区, which 附件1 asks for)."""
    hospital = clerk.operator.hospital
    hospital.division = Division.objects.get(code="450103")
    hospital.save(update_fields=["division"])
    return hospital


@pytest.fixture
def administrator(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def his(hospital):
    """A hospital information system: its service account is an Operator row with module access."""
    client, _key = api_client_create(name="南宁HIS", hospital=hospital, scopes=["records:read"])
    return client


def test_revoking_an_api_client_withdraws_its_accounts_access(administrator, his):
    api_client_revoke(client=his, user=administrator)

    operator = Operator.objects.select_related("user").get(user=his.user)
    assert operator.user.is_active is False
    assert operator.access == Operator.Access.WITHDRAWN
    assert operator.access_reason == "接口客户端已撤销" and operator.access_changed_at is not None
