"""services/api_clients.py: creating and revoking the API's clients (医院信息系统) and their accounts."""

import pytest

from registration.models import Operator
from registration.services.api_clients import api_client_create, api_client_revoke

pytestmark = pytest.mark.django_db


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
