"""The API's bodies pass the app's one hidden-character check (validators.hidden_characters_validate):
a control or invisible character is refused by its field's path, in Chinese, and nothing is stored."""

import pytest

from registration.models import Birth, Payment
from tests.api.conftest import birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")

HIDDEN = "不能包含控制字符或不可见字符"


@pytest.fixture
def twins(api):
    return api.post("/api/v1/births", birth_body(), format="json").json()["newborns"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("receipt_number", "=1+1\x1b[31m\x07"),
        ("receipt_number", "R1\u202e"),
        ("receipt_number", "R\u200b1"),
        ("name", "覃小\x0b梅之女"),
    ],
)
def test_a_payments_text_with_hidden_characters_is_refused_by_its_path(centre_api, twins, field, value):
    body = {"payments": [{"temp_id": twins[0]["temp_id"], "paid_on": "2026-03-02", "years": [2026]}]}
    body["payments"][0][field] = value

    response = centre_api.post("/api/v1/payments", body, format="json")

    assert response.status_code == 422, response.content
    [message] = response.json()["errors"][f"payments.0.{field}"]
    assert HIDDEN in message
    assert not Payment.objects.exists()


def test_the_message_names_the_hidden_characters_by_code_point(centre_api, twins):
    body = {
        "payments": [
            {
                "temp_id": twins[0]["temp_id"],
                "paid_on": "2026-03-02",
                "years": [2026],
                "receipt_number": "R\x1b\x07",
            }
        ]
    }

    response = centre_api.post("/api/v1/payments", body, format="json")

    [message] = response.json()["errors"]["payments.0.receipt_number"]
    assert message == f"{HIDDEN}（U+001B、U+0007），请删除后重新输入。"


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("household_address", {"household_address": "广西南宁市青秀区新竹路1号\x1b[31m"}),
        ("mother.name", {"mother": {**birth_body()["mother"], "name": "覃小\u202e梅"}}),
        ("birth_hospital_name", {"birth_hospital_name": "南宁市第一人民医院\ue000"}),
    ],
)
def test_a_births_text_with_hidden_characters_is_refused_by_its_path(api, path, change):
    response = api.post("/api/v1/births", birth_body(**change), format="json")

    assert response.status_code == 422, response.content
    assert any(HIDDEN in message for message in response.json()["errors"][path])
    assert not Birth.objects.exists()


def test_ordinary_text_still_passes(centre_api, twins):
    body = {
        "payments": [
            {
                "temp_id": twins[0]["temp_id"],
                "paid_on": "2026-03-02",
                "years": [2026],
                "receipt_number": "GX-2026/０１ 号",
            }
        ]
    }

    response = centre_api.post("/api/v1/payments", body, format="json")

    assert response.status_code == 201, response.content


def test_an_api_clients_name_with_hidden_characters_is_refused(hospital):
    from django.core.exceptions import ValidationError

    from registration.services.api_clients import api_client_create

    with pytest.raises(ValidationError) as excinfo:
        api_client_create(name="一院HIS\x1b[31m", hospital=hospital, scopes=["births:write"])

    assert excinfo.value.messages == [
        "接口客户端的名称不能包含控制字符或不可见字符（U+001B），请删除后重新输入。"
    ]
