"""Aliyun SMS (阿里云短信服务) through its official SDK, `alibabacloud-dysmsapi20170525` (docs/sms.md).

One SendSms call per message: PhoneNumbers, SignName (settings.SMS_SIGN_NAME), TemplateCode (the message's
approved template) and TemplateParam (its parameters as a JSON object, Aliyun's `${name}` variables). The
answer's Code "OK" gives the message id (BizId); any other Code, an HTTP error, a timeout or a lost
connection raises SmsTemporaryError (tried again at a later run) or SmsPermanentError (never again).

Settings: SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET (a RAM user's AccessKey allowed to send SMS),
SMS_REGION (default cn-hangzhou), SMS_ENDPOINT (`host[:port]`, or `http://host:port` for a plain-HTTP
server such as the tests' fake; default: the SDK's endpoint for the region), SMS_TIMEOUT (seconds, for the
connection and for the answer each). The SDK's own retries stay off: the job retries at its next run.
"""

import json
import logging

from alibabacloud_dysmsapi20170525 import models as dysms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from darabonba.exceptions import ResponseException
from darabonba.runtime import RuntimeOptions
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from Tea.exceptions import TeaException, UnretryableException

from registration.sms.backends import (
    Message,
    SmsBackend,
    SmsPermanentError,
    SmsTemporaryError,
    endpoint_and_protocol,
)

logger = logging.getLogger("registration.sms")

DEFAULT_REGION = "cn-hangzhou"

# Aliyun's answer codes (SendSms' Code, or an error's code), by what the job should do with them.
TEMPORARY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL": "短信网关限流（同一号码发送过于频繁），稍后重试",
    "isv.DAY_LIMIT_CONTROL": "已达短信网关当日发送上限，稍后重试",
    "isv.AMOUNT_NOT_ENOUGH": "短信账户余额不足，充值后重试",
    "isv.OUT_OF_SERVICE": "短信业务已停机（欠费），恢复后重试",
    "isp.SYSTEM_ERROR": "短信网关系统错误，稍后重试",
    "isp.GATEWAY_ERROR": "短信网关错误，稍后重试",
    "ServiceUnavailable": "短信网关暂不可用，稍后重试",
    "InternalError": "短信网关内部错误，稍后重试",
}
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码无效",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码个数超过上限",
    "isv.BLACK_KEY_CONTROL_LIMIT": "手机号码在黑名单中（用户已退订）",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板未通过审核或模板编码有误（SMS_TEMPLATES）",
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名未通过审核或签名有误（SMS_SIGN_NAME）",
    "isv.SMS_SIGN_ILLEGAL": "短信签名未通过审核或签名有误（SMS_SIGN_NAME）",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "短信签名与模板的使用场景不符",
    "isv.TEMPLATE_MISSING_PARAMETERS": "短信模板缺少参数",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "短信模板参数不符合要求",
    "isv.PARAM_LENGTH_LIMIT": "短信模板参数超过长度限制",
    "isv.INVALID_JSON_PARAM": "短信模板参数格式有误",
    "isv.INVALID_PARAMETERS": "短信请求参数有误",
    "isv.ACCOUNT_NOT_EXISTS": "短信账户不存在（SMS_ACCESS_KEY_ID）",
    "isv.ACCOUNT_ABNORMAL": "短信账户异常",
    "isp.RAM_PERMISSION_DENY": "AccessKey 无发送短信的权限",
    "InvalidAccessKeyId.NotFound": "AccessKey 不存在（SMS_ACCESS_KEY_ID）",
    "InvalidAccessKeyId.Inactive": "AccessKey 已停用（SMS_ACCESS_KEY_ID）",
    "SignatureDoesNotMatch": "AccessKey 密钥有误（SMS_ACCESS_KEY_SECRET）",
    "IncompleteSignature": "AccessKey 密钥有误（SMS_ACCESS_KEY_SECRET）",
    "Forbidden.RAM": "AccessKey 无发送短信的权限",
}


class AliyunBackend(SmsBackend):
    def __init__(self):
        access_key_id = getattr(settings, "SMS_ACCESS_KEY_ID", "")
        access_key_secret = getattr(settings, "SMS_ACCESS_KEY_SECRET", "")
        if not (access_key_id and access_key_secret):
            raise ImproperlyConfigured("SMS_BACKEND=aliyun needs SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET")
        self.sign_name = getattr(settings, "SMS_SIGN_NAME", "")
        self.timeout_ms = int(float(getattr(settings, "SMS_TIMEOUT", 5)) * 1000)
        config = open_api_models.Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            region_id=getattr(settings, "SMS_REGION", "") or DEFAULT_REGION,
            connect_timeout=self.timeout_ms,
            read_timeout=self.timeout_ms,
        )
        endpoint = getattr(settings, "SMS_ENDPOINT", "")
        if endpoint:
            config.endpoint, config.protocol = endpoint_and_protocol(endpoint)
        self.client = Client(config)

    def send(self, message: Message) -> str:
        request = dysms_models.SendSmsRequest(
            phone_numbers=message.phone,
            sign_name=self.sign_name,
            template_code=message.template_code,
            template_param=json.dumps(message.params, ensure_ascii=False),
        )
        runtime = RuntimeOptions(
            autoretry=False,
            max_attempts=1,
            connect_timeout=self.timeout_ms,
            read_timeout=self.timeout_ms,
        )
        try:
            response = self.client.send_sms_with_options(request, runtime)
        except ResponseException as error:  # the gateway answered with an HTTP error
            raise _error(error.code, getattr(error, "status_code", None), error.message) from error
        except (UnretryableException, TeaException, OSError) as error:  # timeout, no connection, no JSON
            inner = getattr(error, "inner_exception", None) or error
            raise SmsTemporaryError(_no_answer_reason(inner, self.timeout_ms / 1000)) from error
        body = response.body
        if body.code == "OK" and body.biz_id:
            return body.biz_id
        raise _error(body.code, response.status_code, body.message)


def _no_answer_reason(error: BaseException, timeout: float) -> str:
    """Why no answer came, in Chinese; logged without the request (its URL holds the number and params)."""
    text = str(error).lower()
    if "timed out" in text or "timeout" in type(error).__name__.lower():
        logger.warning("Aliyun SMS: no answer within %ss", f"{timeout:g}")
        return f"短信网关 {timeout:g} 秒内无应答，稍后重试"
    if "json" in text:
        logger.warning("Aliyun SMS: an answer that is not JSON (%s)", type(error).__name__)
        return "短信网关的应答无法解析（网关或代理出错），稍后重试"
    logger.warning("Aliyun SMS: no connection (%s)", type(error).__name__)
    return "无法连接短信网关，稍后重试"


def _error(code: str | None, status: int | None, gateway_message: str | None):
    """The SmsError for a gateway's error code (and HTTP status), its reason in Chinese."""
    code = code or ""
    logger.warning("Aliyun SMS refused: status %s, code %s: %s", status, code, gateway_message)
    if code in PERMANENT_CODES:
        return SmsPermanentError(PERMANENT_CODES[code], code=code)
    if code in TEMPORARY_CODES:
        return SmsTemporaryError(TEMPORARY_CODES[code], code=code)
    if code.startswith("Throttling") or status == 429:
        return SmsTemporaryError("短信网关限流，稍后重试", code=code)
    if status is not None and status >= 500:
        return SmsTemporaryError(f"短信网关错误（HTTP {status}），稍后重试", code=code)
    if code.startswith("isp."):
        return SmsTemporaryError(f"短信网关错误（{code}），稍后重试", code=code)
    # Anything else is a refusal of this message (isv.*, a 4xx): sending it again would be refused again.
    return SmsPermanentError(
        f"短信网关拒绝发送（{code or f'HTTP {status}'}）：{gateway_message or ''}", code=code
    )
