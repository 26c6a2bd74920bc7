"""Bodies the API cannot read and addresses it does not have: a 400 and a 404 in Chinese, in its shape."""

import base64
import json

import pytest
from rest_framework.test import APIClient

from registration.models import AuditEntry
from tests.api.conftest import birth_body

pytestmark = pytest.mark.usefixtures("pinned_today")

UNKNOWN_ENDPOINT = "没有该接口，请核对请求的地址（接口文档见 /api/v1/docs）。"


def _post(api, path: str, body: bytes, content_type: str = "application/json"):
    return api.generic("POST", path, body, content_type=content_type)


def _detail(response) -> str:
    """The API's one-message answer: {"detail": "…"}, nothing else, no Python's words in it."""
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["detail"]
    assert not any(word in body["detail"] for word in ("Expecting", "parse error", "char ", "codec"))
    return body["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{bad json", "请求体不是有效的 JSON：第1行第2列有误。"),
        (b'{\n  "community": "450103001001",\n}', "请求体不是有效的 JSON：第3行第1列有误。"),
        ('{"mother": {"name": "覃小梅"}}'.encode("gbk"), "请求体不是有效的 JSON：须为 UTF-8 编码的文本。"),
        (b'{"babies": [NaN]}', "请求体不是有效的 JSON。"),
    ],
)
def test_a_body_that_is_no_json_is_a_400_in_chinese(api, body, message):
    response = _post(api, "/api/v1/births", body)

    assert response.status_code == 400
    assert _detail(response) == message


def test_an_empty_body_is_no_parse_error_but_every_required_field(api):
    response = _post(api, "/api/v1/births", b"")

    assert response.status_code == 422
    assert {"community", "route", "babies"} <= set(response.json()["errors"])


def test_a_charset_the_parser_refuses_is_named_as_such(api):
    response = _post(api, "/api/v1/births", b"{}", "application/json; charset=bz2_codec")

    assert response.status_code == 400
    assert "字符集" in _detail(response)


def test_a_body_that_is_no_json_is_audited_with_its_400(api, his):
    _post(api, "/api/v1/births", b"{bad json")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.API)
    assert entry.user == his[0].user and entry.detail["status"] == 400


def test_the_payments_endpoint_answers_a_bad_body_alike(centre_api):
    response = _post(centre_api, "/api/v1/payments", b'{"payments": [}')

    assert response.status_code == 400
    assert _detail(response).startswith("请求体不是有效的 JSON：")


def test_a_valid_body_still_parses(api):
    response = _post(api, "/api/v1/births", json.dumps(birth_body(), ensure_ascii=False).encode())

    assert response.status_code == 201, response.content


def test_a_broken_multipart_upload_is_a_400_in_chinese(api):
    temp_id = api.post("/api/v1/births", birth_body(), format="json").json()["newborns"][0]["temp_id"]

    response = _post(
        api, f"/api/v1/newborns/{temp_id}/materials", b"--x\r\n", "multipart/form-data; boundary="
    )

    assert response.status_code == 400
    assert _detail(response) == "请求体不是有效的 multipart/form-data 表单。"


def test_no_key_is_still_a_401_before_the_body_is_read(db):
    response = _post(APIClient(), "/api/v1/births", b"{bad json")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "path", ["/api/v1/nonexistent", "/api/v1/", "/api/v1/births/", "/api/v1/newborns/a/b/c", "/api/v1/docs/x"]
)
def test_an_unknown_address_is_the_apis_404_in_chinese(api, path):
    answers = (api.get(path), api.post(path, {}, format="json"), api.options(path), APIClient().delete(path))
    for response in answers:
        assert response.status_code == 404
        assert _detail(response) == UNKNOWN_ENDPOINT


def test_an_unknown_address_is_json_for_a_browser_session_too(client):
    response = client.post("/api/v1/nonexistent", {"a": "1"})  # no CSRF token: still the 404

    assert response.status_code == 404
    assert response.json() == {"detail": UNKNOWN_ENDPOINT}


def test_the_sites_own_404_page_is_unchanged_outside_the_api(client):
    response = client.get("/api/v2/births")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_document_lists_the_400_of_each_write_endpoint(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path in ("/api/v1/births", "/api/v1/payments", "/api/v1/newborns/{identity}/materials"):
        answer = paths[path]["post"]["responses"]["400"]
        assert "请求体不是有效的" in answer["description"]
        assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Detail")
    assert "400" not in paths["/api/v1/coverage"]["get"]["responses"]  # a GET has no body to read


@pytest.mark.parametrize("depth", [33, 900, 1000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/births", "/api/v1/payments"])
def test_a_deeply_nested_body_is_a_400_not_a_recursion_error(api, centre_api, path, depth):
    client = api if path == "/api/v1/births" else centre_api

    response = _post(client, path, b"[" * depth + b"]" * depth)

    assert response.status_code == 400
    assert _detail(response) == "请求体的 JSON 嵌套过深：数组和对象最多嵌套32层。"


def test_a_deep_value_inside_a_real_body_is_refused_alike(api):
    nested = json.loads("[" * 40 + "]" * 40)
    body = json.dumps(birth_body(confirm=nested)).encode()

    response = _post(api, "/api/v1/births", body)

    assert response.status_code == 400
    assert "嵌套过深" in _detail(response)


def test_a_body_nested_up_to_the_bound_is_read(api):
    nested = json.loads("[" * 30 + "]" * 30)  # 31 levels with the body's own object, 32 with confirm's list
    body = json.dumps(birth_body(confirm=[nested])).encode()

    response = _post(api, "/api/v1/births", body)

    assert response.status_code == 422  # read, then refused for confirm's values: not a parse error
    assert "confirm" in ",".join(response.json()["errors"])


INVALID_CURSOR = "无效的分页游标：请使用上一页响应中 next 或 previous 给出的地址。"


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("p=abc"),
        _cursor("o=0&r=0&p=1.5"),
        _cursor("p=" + "9" * 30),
        _cursor("p=-1"),
        _cursor("o=x"),
        _cursor("r=yes"),
        "not base64 at all!",
        "%FF%FE",
    ],
)
def test_a_malformed_cursor_is_a_400_in_chinese(api, cursor):
    response = api.get(f"/api/v1/newborns?cursor={cursor}")

    assert response.status_code == 400
    assert _detail(response) == INVALID_CURSOR


def test_a_cursor_the_api_gave_still_pages(api):
    api.post("/api/v1/births", birth_body(), format="json")

    response = api.get(f"/api/v1/newborns?cursor={_cursor('o=0&r=0&p=999999999')}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2  # both twins' ids lie below the position


def test_the_document_lists_the_lists_400(client):
    answer = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/newborns"]["get"]["responses"]["400"]

    assert answer["description"] == "无效的分页游标"


TOO_LARGE = "请求体过大：最大 1 MB。"


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024


@pytest.mark.usefixtures("small_limit")
@pytest.mark.parametrize("path", ["/api/v1/births", "/api/v1/payments", "/api/v1/coverage"])
def test_an_oversized_json_body_is_a_413_in_the_apis_shape(api, centre_api, path):
    client = centre_api if path == "/api/v1/payments" else api
    body = json.dumps({"padding": "x" * (1024 * 1024)}).encode()

    response = _post(client, path, body)

    assert response.status_code == 413
    assert _detail(response) == TOO_LARGE


@pytest.mark.usefixtures("small_limit")
def test_an_oversized_material_upload_is_a_413_in_the_apis_shape(api):
    temp_id = api.post("/api/v1/births", birth_body(), format="json").json()["newborns"][0]["temp_id"]
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nbirth_certificate\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"%PDF-"
        + b"0" * (1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )

    response = _post(
        api, f"/api/v1/newborns/{temp_id}/materials", body, f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 413
    assert _detail(response) == TOO_LARGE


def test_too_many_form_fields_are_a_400_in_the_apis_shape(api, settings):
    temp_id = api.post("/api/v1/births", birth_body(), format="json").json()["newborns"][0]["temp_id"]
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    boundary = "b0undary"
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{number}"\r\n\r\nx\r\n'
        for number in range(10)
    )
    body = f"{fields}--{boundary}--\r\n".encode()

    response = _post(
        api, f"/api/v1/newborns/{temp_id}/materials", body, f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 400
    assert _detail(response) == "请求体中的表单字段或文件过多。"


def test_djangos_request_data_too_big_is_answered_as_the_apis_413(settings):
    from django.core.exceptions import RequestDataTooBig

    from registration.api.views import exception_handler

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
    response = exception_handler(RequestDataTooBig("Request body exceeded"), {})

    assert response.status_code == 413
    assert response.data == {"detail": "请求体过大：最大 30 MB。"}
