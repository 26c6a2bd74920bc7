"""The real gateways' backends (registration/sms/aliyun.py, tencent.py) through their official SDKs, against
local fakes of each gateway's HTTP protocol (tests/registration/sms/fakes.py): what the request carries,
the message id on success, and which failures are tried again (SmsTemporaryError) or never
(SmsPermanentError). No database."""

import socket
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from registration.sms import get_backend
from registration.sms.aliyun import AliyunBackend
from registration.sms.backends import Message, SmsPermanentError, SmsTemporaryError
from registration.sms.tencent import TencentBackend, phone_e164
from tests.registration.sms.fakes import FakeAliyun, FakeTencent

TIMEOUT = 1  # SMS_TIMEOUT in these tests, seconds

MESSAGE = Message(
    phone="13912345678",
    kind="reminder",
    template_code="SMS_471234567",
    params={"name": "李梅之女", "last_day": "2026年12月31日", "days": "7", "channels": "微信、支付宝等"},
    text="【新生儿参保】李梅之女的新生儿医保费尚未缴纳……",
)
TENCENT_MESSAGE = Message(
    phone=MESSAGE.phone,
    kind=MESSAGE.kind,
    template_code="2468101",
    params=MESSAGE.params,
    text=MESSAGE.text,
)


@pytest.fixture
def sms_settings(settings):
    settings.SMS_SIGN_NAME = "新生儿参保"
    settings.SMS_TIMEOUT = TIMEOUT
    settings.SMS_ACCESS_KEY_ID = "LTAI-test-key-id"
    settings.SMS_ACCESS_KEY_SECRET = "test-key-secret"
    settings.SMS_REGION = ""
    settings.SMS_SDK_APP_ID = "1400787878"
    return settings


@pytest.fixture
def aliyun(sms_settings):
    """A function: the fake Aliyun gateway in a mode, running, and the backend pointed at it."""

    def start(mode):
        fake = FakeAliyun(mode)
        context = fake.running()
        stack.append(context)
        context.__enter__()
        sms_settings.SMS_ENDPOINT = fake.endpoint
        return fake, AliyunBackend()

    stack = []
    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def tencent(sms_settings):
    def start(mode):
        fake = FakeTencent(mode)
        context = fake.running()
        stack.append(context)
        context.__enter__()
        sms_settings.SMS_ENDPOINT = fake.endpoint
        return fake, TencentBackend()

    stack = []
    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


def closed_port_endpoint() -> str:
    """An http:// endpoint on loopback where nothing listens (the connection is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Aliyun


def test_aliyun_sends_the_template_and_returns_the_biz_id(aliyun):
    fake, backend = aliyun("ok")

    assert backend.send(MESSAGE) == "900619746936498440^0"

    [request] = fake.requests
    assert request.method == "POST"
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert "Credential=LTAI-test-key-id" in request.headers["authorization"]
    assert request.params["PhoneNumbers"] == "13912345678"
    assert request.params["SignName"] == "新生儿参保"
    assert request.params["TemplateCode"] == "SMS_471234567"
    assert request.params["TemplateParam"] == (
        '{"name": "李梅之女", "last_day": "2026年12月31日", "days": "7", "channels": "微信、支付宝等"}'
    )


@pytest.mark.parametrize(
    ("mode", "error", "code", "reason"),
    [
        ("throttled", SmsTemporaryError, "isv.BUSINESS_LIMIT_CONTROL", "限流"),
        ("5xx", SmsTemporaryError, "ServiceUnavailable", "稍后重试"),
        ("5xx-html", SmsTemporaryError, None, "无法解析"),
        ("invalid-number", SmsPermanentError, "isv.MOBILE_NUMBER_ILLEGAL", "手机号码无效"),
        ("template-refused", SmsPermanentError, "isv.SMS_TEMPLATE_ILLEGAL", "模板"),
    ],
)
def test_aliyun_failures_are_temporary_or_permanent(aliyun, mode, error, code, reason):
    fake, backend = aliyun(mode)

    with pytest.raises(error) as raised:
        backend.send(MESSAGE)

    assert type(raised.value) is error
    assert reason in raised.value.reason
    if code:
        assert raised.value.code == code
    assert len(fake.requests) == 1  # the SDK does not retry by itself: the job does, at a later run


def test_aliyun_gives_up_on_a_silent_gateway_within_the_timeout(aliyun):
    fake, backend = aliyun("hang")

    started = time.monotonic()
    with pytest.raises(SmsTemporaryError) as raised:
        backend.send(MESSAGE)

    assert time.monotonic() - started < TIMEOUT + 1
    assert "1 秒内无应答" in raised.value.reason
    assert len(fake.requests) == 1


def test_aliyun_connection_refused_is_temporary(sms_settings, caplog):
    sms_settings.SMS_ENDPOINT = closed_port_endpoint()

    with pytest.raises(SmsTemporaryError) as raised:
        AliyunBackend().send(MESSAGE)

    assert raised.value.reason == "无法连接短信网关，稍后重试"
    # The SDK's error holds the request's URL, with the number and the parameters: not logged.
    assert "no connection" in caplog.text
    assert "5678" not in caplog.text
    assert "%E6%9D%8E" not in caplog.text and "李梅" not in caplog.text


def test_aliyun_needs_its_access_key(sms_settings):
    sms_settings.SMS_ACCESS_KEY_SECRET = ""

    with pytest.raises(ImproperlyConfigured, match="SMS_ACCESS_KEY_SECRET"):
        AliyunBackend()


# Tencent Cloud


def test_tencent_sends_the_template_and_returns_the_serial_no(tencent):
    fake, backend = tencent("ok")

    assert backend.send(TENCENT_MESSAGE) == "5000:1045710669157053657849499619"

    [request] = fake.requests
    assert request.method == "POST"
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert request.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=LTAI-test-key-id/")
    assert request.body["PhoneNumberSet"] == ["+8613912345678"]
    assert request.body["SmsSdkAppId"] == "1400787878"
    assert request.body["SignName"] == "新生儿参保"
    assert request.body["TemplateId"] == "2468101"
    # Tencent numbers the template's variables: {1}..{4} are the parameters in the template's order.
    assert request.body["TemplateParamSet"] == ["李梅之女", "2026年12月31日", "7", "微信、支付宝等"]


@pytest.mark.parametrize(
    ("mode", "error", "code", "reason"),
    [
        ("throttled", SmsTemporaryError, "LimitExceeded.PhoneNumberThirtySecondLimit", "频繁"),
        ("request-limit", SmsTemporaryError, "RequestLimitExceeded", "频率超限"),
        ("5xx", SmsTemporaryError, "ServerNetworkError", "稍后重试"),
        ("5xx-html", SmsTemporaryError, "ServerNetworkError", "稍后重试"),
        ("invalid-number", SmsPermanentError, "InvalidParameterValue.IncorrectPhoneNumber", "手机号码无效"),
        ("template-refused", SmsPermanentError, "FailedOperation.TemplateIncorrectOrUnapproved", "模板"),
    ],
)
def test_tencent_failures_are_temporary_or_permanent(tencent, mode, error, code, reason):
    fake, backend = tencent(mode)

    with pytest.raises(error) as raised:
        backend.send(TENCENT_MESSAGE)

    assert type(raised.value) is error
    assert raised.value.code == code
    assert reason in raised.value.reason
    assert len(fake.requests) == 1


def test_tencent_gives_up_on_a_silent_gateway_within_the_timeout(tencent):
    fake, backend = tencent("hang")

    started = time.monotonic()
    with pytest.raises(SmsTemporaryError) as raised:
        backend.send(TENCENT_MESSAGE)

    assert time.monotonic() - started < TIMEOUT + 1
    assert raised.value.code == "ClientNetworkError"
    assert "1 秒内无应答" in raised.value.reason
    assert len(fake.requests) == 1


def test_tencent_connection_refused_is_temporary(sms_settings):
    sms_settings.SMS_ENDPOINT = closed_port_endpoint()

    with pytest.raises(SmsTemporaryError) as raised:
        TencentBackend().send(TENCENT_MESSAGE)

    assert raised.value.code == "ClientNetworkError"
    assert raised.value.reason == "无法连接短信网关，稍后重试"


def test_tencent_needs_its_sdk_app_id(sms_settings):
    sms_settings.SMS_SDK_APP_ID = ""

    with pytest.raises(ImproperlyConfigured, match="SMS_SDK_APP_ID"):
        TencentBackend()


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("13912345678", "+8613912345678"),
        ("+8613912345678", "+8613912345678"),
        ("008613912345678", "+8613912345678"),
        ("8613912345678", "+8613912345678"),
        ("139 1234 5678", "+8613912345678"),
    ],
)
def test_tencent_numbers_are_sent_with_the_country_code(phone, e164):
    assert phone_e164(phone) == e164


# The setting chooses them


@pytest.mark.parametrize(("name", "backend"), [("aliyun", AliyunBackend), ("tencent", TencentBackend)])
def test_sms_backend_setting_builds_the_gateway_backend(sms_settings, name, backend):
    sms_settings.SMS_BACKEND = name
    sms_settings.SMS_ENDPOINT = "http://127.0.0.1:9"

    assert type(get_backend()) is backend
