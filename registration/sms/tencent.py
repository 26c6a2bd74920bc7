"""Tencent Cloud SMS (腾讯云短信) through its official SDK, `tencentcloud-sdk-python-sms` (docs/sms.md).

One SendSms call (API version 2021-01-11) per message: PhoneNumberSet (the number as +86…), SmsSdkAppId
(settings.SMS_SDK_APP_ID), SignName (settings.SMS_SIGN_NAME), TemplateId (the message's approved template)
and TemplateParamSet (the parameters' values in their order: Tencent numbers a template's variables {1},
{2}, …). SendStatusSet[0].Code "Ok" gives the message id (SerialNo); any other code, an HTTP error, a
timeout or a lost connection raises SmsTemporaryError (tried again at a later run) or SmsPermanentError
(never again).

Settings: SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET (a CAM SecretId and SecretKey allowed to send SMS),
SMS_SDK_APP_ID, SMS_REGION (default ap-guangzhou), SMS_ENDPOINT (`host[:port]`, or `http://host:port` for
a plain-HTTP server such as the tests' fake; default: the SDK's endpoint), SMS_TIMEOUT (seconds, for the
connection and for the answer each). The SDK's retries and region breaker stay off: the job retries at its
next run.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from registration.sms.backends import (
    Message,
    SmsBackend,
    SmsPermanentError,
    SmsTemporaryError,
    endpoint_and_protocol,
)

logger = logging.getLogger("registration.sms")

DEFAULT_REGION = "ap-guangzhou"

# Tencent's error codes (a SendStatus' Code, or the answer's Error.Code), by what the job does with them.
TEMPORARY_CODES = {
    "RequestLimitExceeded": "短信网关请求频率超限，稍后重试",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "同一号码 30 秒内发送过于频繁，稍后重试",
    "LimitExceeded.PhoneNumberOneHourLimit": "同一号码 1 小时内发送过于频繁，稍后重试",
    "LimitExceeded.PhoneNumberDailyLimit": "同一号码当日发送已达上限，稍后重试",
    "LimitExceeded.PhoneNumberSameContentDailyLimit": "同一号码当日相同内容已达上限，稍后重试",
    "LimitExceeded.DeliveryFrequencyLimit": "短信网关限流，稍后重试",
    "LimitExceeded.AppDailyLimit": "已达短信应用当日发送上限，稍后重试",
    "LimitExceeded.DailyLimit": "已达短信当日发送上限，稍后重试",
    "FailedOperation.InsufficientBalanceInSmsPackage": "短信套餐包余量不足，充值后重试",
    "UnauthorizedOperation.ServiceSuspendDueToArrears": "短信服务欠费停用，恢复后重试",
    "ClientNetworkError": "无法连接短信网关，稍后重试",
    "ServerNetworkError": "短信网关错误（HTTP 状态异常），稍后重试",
    # The SDK's names for an answer it could not read (not JSON, not the expected shape: a proxy's page).
    "JSONDecodeError": "短信网关应答无法解析，稍后重试",
    "KeyError": "短信网关应答无法解析，稍后重试",
}
PERMANENT_CODES = {
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号码无效",
    "FailedOperation.PhoneNumberParseFail": "手机号码无效",
    "FailedOperation.PhoneNumberInBlacklist": "手机号码在黑名单中（用户已退订）",
    "LimitExceeded.AppCountryOrRegionInBlacklist": "手机号码所在国家或地区不可发送",
    "LimitExceeded.PhoneNumberCountLimit": "手机号码个数超过上限",
    "FailedOperation.TemplateIncorrectOrUnapproved": "短信模板未通过审核或模板 ID 有误（SMS_TEMPLATES）",
    "FailedOperation.TemplateUnapprovedOrNotExist": "短信模板未通过审核或模板 ID 有误（SMS_TEMPLATES）",
    "FailedOperation.TemplateIdNotExist": "短信模板 ID 不存在（SMS_TEMPLATES）",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "短信模板参数与审核通过的模板不符",
    "FailedOperation.SignatureIncorrectOrUnapproved": "短信签名未通过审核或签名有误（SMS_SIGN_NAME）",
    "FailedOperation.MissingSignature": "短信签名不存在（SMS_SIGN_NAME）",
    "FailedOperation.ContainSensitiveWord": "短信内容含敏感词",
    "InvalidParameterValue.TemplateParameterFormatError": "短信模板参数格式有误",
    "InvalidParameterValue.TemplateParameterLengthLimit": "短信模板参数超过长度限制",
    "InvalidParameterValue.SdkAppIdNotExist": "短信应用 SdkAppId 不存在（SMS_SDK_APP_ID）",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "短信应用 SdkAppId 校验失败（SMS_SDK_APP_ID）",
    "UnauthorizedOperation.SdkAppIdIsDisabled": "短信应用已停用（SMS_SDK_APP_ID）",
    "UnauthorizedOperation.RequestIpNotInWhitelist": "服务器 IP 不在短信应用的白名单中",
    "AuthFailure.SecretIdNotFound": "SecretId 不存在（SMS_ACCESS_KEY_ID）",
    "AuthFailure.SignatureFailure": "SecretKey 有误（SMS_ACCESS_KEY_SECRET）",
    "AuthFailure.UnauthorizedOperation": "SecretId 无发送短信的权限",
}
# Codes not listed above: these families are worth another try, every other code is a refusal.
TEMPORARY_PREFIXES = ("LimitExceeded.", "InternalError", "ResourceUnavailable", "ResourceInsufficient")


def phone_e164(phone: str) -> str:
    """A mainland number as Tencent wants it: +86 and the 11 digits (a number with its + kept as it is)."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    if phone.startswith("+"):
        return phone
    if phone.startswith("0086"):
        return "+" + phone[2:]
    if phone.startswith("86") and len(phone) == 13:
        return "+" + phone
    return "+86" + phone


class TencentBackend(SmsBackend):
    def __init__(self):
        secret_id = getattr(settings, "SMS_ACCESS_KEY_ID", "")
        secret_key = getattr(settings, "SMS_ACCESS_KEY_SECRET", "")
        self.sdk_app_id = getattr(settings, "SMS_SDK_APP_ID", "")
        if not (secret_id and secret_key and self.sdk_app_id):
            raise ImproperlyConfigured(
                "SMS_BACKEND=tencent needs SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET and SMS_SDK_APP_ID"
            )
        self.sign_name = getattr(settings, "SMS_SIGN_NAME", "")
        self.timeout = getattr(settings, "SMS_TIMEOUT", 5)
        http_profile = HttpProfile(reqTimeout=self.timeout)
        endpoint = getattr(settings, "SMS_ENDPOINT", "")
        if endpoint:
            http_profile.endpoint, http_profile.protocol = endpoint_and_protocol(endpoint)
            http_profile.scheme = http_profile.protocol
        profile = ClientProfile(httpProfile=http_profile)  # no retryer, the region breaker off
        self.client = SmsClient(
            Credential(secret_id, secret_key),
            getattr(settings, "SMS_REGION", "") or DEFAULT_REGION,
            profile,
        )

    def send(self, message: Message) -> str:
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [phone_e164(message.phone)]
        request.SmsSdkAppId = str(self.sdk_app_id)
        request.SignName = self.sign_name
        request.TemplateId = str(message.template_code)
        request.TemplateParamSet = [str(value) for value in message.params.values()]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or ""
            if code == "ClientNetworkError" and "timed out" in str(error.get_message()).lower():
                logger.warning("Tencent SMS: no answer within %ss", self.timeout)
                reason = f"短信网关 {self.timeout} 秒内无应答，稍后重试"
                raise SmsTemporaryError(reason, code=code) from error
            raise _error(code, error.get_message()) from error
        statuses = response.SendStatusSet or []
        if not statuses:
            logger.warning("Tencent SMS: an answer without SendStatusSet (request %s)", response.RequestId)
            raise SmsTemporaryError("短信网关应答中没有发送状态，稍后重试")
        status = statuses[0]
        if status.Code == "Ok" and status.SerialNo:
            return status.SerialNo
        raise _error(status.Code or "", status.Message)


def _error(code: str, gateway_message) -> SmsTemporaryError | SmsPermanentError:
    """The SmsError for Tencent's error code, its reason in Chinese."""
    if isinstance(gateway_message, bytes):
        gateway_message = gateway_message[:200].decode("utf-8", "replace")
    logger.warning("Tencent SMS refused: code %s: %s", code, str(gateway_message or "")[:200])
    if code in PERMANENT_CODES:
        return SmsPermanentError(PERMANENT_CODES[code], code=code)
    if code in TEMPORARY_CODES:
        return SmsTemporaryError(TEMPORARY_CODES[code], code=code)
    if code.startswith(TEMPORARY_PREFIXES):
        return SmsTemporaryError(f"短信网关暂时无法发送（{code}），稍后重试", code=code)
    # FailedOperation.*, InvalidParameter*, UnauthorizedOperation.*, AuthFailure.*, …: sending the same
    # message again would be refused again.
    return SmsPermanentError(f"短信网关拒绝发送（{code}）：{gateway_message or ''}", code=code)
