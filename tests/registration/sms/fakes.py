"""Local fakes of the two SMS gateways, speaking enough of each one's HTTP protocol for its official SDK.

Each fake is an http.server on 127.0.0.1 (a port the system picks) in a thread of the test, started and
stopped by a context manager. It records every request it got (`requests`: method, path, headers, the
query and form parameters, the JSON body) and answers as `mode` says:

- "ok": the gateway took the message and gives its id;
- "throttled": the gateway's rate limit (Aliyun: Code isv.BUSINESS_LIMIT_CONTROL; Tencent: the send
  status LimitExceeded.PhoneNumberThirtySecondLimit, or with "request-limit" the whole answer's Error
  RequestLimitExceeded);
- "invalid-number": the number refused (Aliyun: isv.MOBILE_NUMBER_ILLEGAL; Tencent:
  InvalidParameterValue.IncorrectPhoneNumber);
- "template-refused": the template refused (Aliyun: isv.SMS_TEMPLATE_ILLEGAL; Tencent:
  FailedOperation.TemplateIncorrectOrUnapproved);
- "5xx": HTTP 503 with the gateway's JSON error; "5xx-html": HTTP 502 with a proxy's HTML page;
- "hang": the request is read and never answered (until the fake stops).

Aliyun (dysmsapi 2017-05-25, RPC style): POST /, the action in the `x-acs-action` header (the SDK's
ACS3-HMAC-SHA256 requests) or an `Action` parameter (the older signature), the parameters in the query
string or the form body, a JSON answer {"Code", "Message", "BizId", "RequestId"}.
Tencent Cloud (API 3.0, TC3-HMAC-SHA256): POST / with a JSON body and the `X-TC-Action: SendSms` and
`X-TC-Version: 2021-01-11` headers; the answer {"Response": {"SendStatusSet": [...], "RequestId"}} or
{"Response": {"Error": {"Code", "Message"}, "RequestId"}}, Content-Type application/json.
"""

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    params: dict[str, str]  # the query string's and the form body's
    body: dict = field(default_factory=dict)  # a JSON body


class FakeGateway:
    name = ""

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.requests: list[Received] = []
        self.stopping = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, received: Received) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        body: dict = {}
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(raw.decode(), keep_blank_values=True))
        elif content_type.startswith("application/json") and raw:
            body = json.loads(raw)
        received = Received(handler.command, split.path, headers, params, body)
        self.requests.append(received)
        if self.mode == "hang":
            self.stopping.wait(60)  # accepted and read, never answered
            return
        status, content_type, payload = self.answer(received)
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _json(
        self, status: int, answer: dict, content_type: str = "application/json"
    ) -> tuple[int, str, bytes]:
        return status, content_type, json.dumps(answer, ensure_ascii=False).encode()

    @contextlib.contextmanager
    def running(self) -> Iterator["FakeGateway"]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake.handle(self)

            do_GET = do_POST

            def log_message(self, format, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        thread = threading.Thread(target=self.server.serve_forever, name=f"fake-{self.name}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)


class FakeAliyun(FakeGateway):
    name = "aliyun"

    def answer(self, received: Received) -> tuple[int, str, bytes]:
        action = received.headers.get("x-acs-action") or received.params.get("Action")
        version = received.headers.get("x-acs-version") or received.params.get("Version")
        request_id = str(uuid.uuid4()).upper()
        if received.method != "POST" or action != "SendSms" or version != "2017-05-25":
            return self._json(
                400, {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": request_id}
            )
        content_type = "application/json;charset=utf-8"
        if self.mode == "ok":
            answer = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": request_id}
        elif self.mode == "throttled":
            answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码分钟级流控Permits:1"}
        elif self.mode == "invalid-number":
            answer = {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        elif self.mode == "template-refused":
            answer = {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板"}
        elif self.mode == "5xx":
            answer = {
                "Code": "ServiceUnavailable",
                "Message": "The request has failed due to a temporary failure of the server.",
                "RequestId": request_id,
            }
            return self._json(503, answer, content_type)
        elif self.mode == "5xx-html":
            return 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        else:
            raise AssertionError(f"unknown mode {self.mode}")
        return self._json(200, {**answer, "RequestId": request_id}, content_type)


class FakeTencent(FakeGateway):
    name = "tencent"

    def answer(self, received: Received) -> tuple[int, str, bytes]:
        request_id = str(uuid.uuid4())
        if (
            received.method != "POST"
            or received.headers.get("x-tc-action") != "SendSms"
            or received.headers.get("x-tc-version") != "2021-01-11"
        ):
            return self._error("InvalidAction", "no such action", request_id)
        phone = (received.body.get("PhoneNumberSet") or [""])[0]
        if self.mode == "ok":
            return self._statuses(phone, "Ok", "send success", request_id)
        if self.mode == "throttled":
            return self._statuses(
                phone,
                "LimitExceeded.PhoneNumberThirtySecondLimit",
                "the number exceeds the limit",
                request_id,
            )
        if self.mode == "request-limit":
            return self._error("RequestLimitExceeded", "请求的次数超过了频率限制。", request_id)
        if self.mode == "invalid-number":
            return self._statuses(
                phone, "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number", request_id
            )
        if self.mode == "template-refused":
            return self._error(
                "FailedOperation.TemplateIncorrectOrUnapproved", "template is not approved", request_id
            )
        if self.mode == "5xx":
            return self._json(503, {"Response": {"Error": {"Code": "InternalError", "Message": "busy"}}})
        if self.mode == "5xx-html":
            return 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        raise AssertionError(f"unknown mode {self.mode}")

    def _statuses(self, phone: str, code: str, message: str, request_id: str) -> tuple[int, str, bytes]:
        status = {
            "SerialNo": "5000:1045710669157053657849499619" if code == "Ok" else "",
            "PhoneNumber": phone,
            "Fee": 1 if code == "Ok" else 0,
            "SessionContext": "",
            "Code": code,
            "Message": message,
            "IsoCode": "CN",
        }
        return self._json(200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}})

    def _error(self, code: str, message: str, request_id: str) -> tuple[int, str, bytes]:
        return self._json(
            200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}
        )
