"""Text messages to families (docs/sms.md): the backends and the one to use.

`get_backend()` builds the backend settings.SMS_BACKEND names: "console" (the development default: the
text in the log), "locmem" (tests: messages appended to `outbox`), "aliyun" or "tencent" (the gateways,
through their SDKs, imported only when chosen so that a missing SDK breaks no other backend).
"""

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from registration.sms.backends import (
    Message,
    SentMessage,
    SmsBackend,
    SmsError,
    SmsPermanentError,
    SmsTemporaryError,
)

__all__ = [
    "BACKENDS",
    "Message",
    "SentMessage",
    "SmsBackend",
    "SmsError",
    "SmsPermanentError",
    "SmsTemporaryError",
    "get_backend",
    "outbox",
]

# What the locmem backend sent, oldest first; tests clear it (`outbox.clear()`).
outbox: list[SentMessage] = []

BACKENDS = {
    "console": "registration.sms.backends.ConsoleBackend",
    "locmem": "registration.sms.backends.LocmemBackend",
    "aliyun": "registration.sms.aliyun.AliyunBackend",
    "tencent": "registration.sms.tencent.TencentBackend",
}


def get_backend() -> SmsBackend:
    """The backend settings.SMS_BACKEND names, built now (its SDK imported now, not at start-up)."""
    name = getattr(settings, "SMS_BACKEND", "console")
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ImproperlyConfigured(f"SMS_BACKEND={name!r}: expected one of {', '.join(BACKENDS)}") from None
    module_name, _, class_name = path.rpartition(".")
    return getattr(import_module(module_name), class_name)()
