"""The SMS backends' interface: one message in, the gateway's message id out, or an error that says
whether to try again (docs/sms.md).

China's gateways send only approved templates: a message is the signature (settings.SMS_SIGN_NAME), the
template code of its kind (settings.SMS_TEMPLATES) and the template's parameters. `text` is the same
message rendered in Chinese, for the console and locmem backends and the record page; the real backends
send `template_code` and `params` only.
"""

import itertools
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from registration.masking import mask_phone

logger = logging.getLogger("registration.sms")


@dataclass(frozen=True)
class Message:
    phone: str
    kind: str  # "welcome", "reminder" or "confirmation"
    template_code: str
    params: dict[str, str] = field(hash=False)
    text: str


class SmsError(Exception):
    """A message the gateway did not take; `reason` says why in Chinese (shown on the record page)."""

    def __init__(self, reason: str, *, code: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.code = code  # the gateway's own error code, when it gave one


class SmsTemporaryError(SmsError):
    """Try again later: throttled, the gateway's 5xx, a timeout, no connection."""


class SmsPermanentError(SmsError):
    """Never retried: an invalid number, a template or signature refused, credentials refused."""


class SmsBackend:
    """Send one message; return the gateway's message id, or raise SmsTemporaryError / SmsPermanentError.

    A backend is built once per job run (`registration.sms.get_backend()`), without arguments: it reads
    its settings (SMS_SIGN_NAME, SMS_TIMEOUT, SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, SMS_ENDPOINT,
    SMS_REGION, SMS_SDK_APP_ID) from django.conf.settings. Every network call is bounded by SMS_TIMEOUT.
    """

    def send(self, message: Message) -> str:
        raise NotImplementedError


def endpoint_and_protocol(endpoint: str) -> tuple[str, str]:
    """SMS_ENDPOINT as the gateways' SDKs take it: `host[:port]` and the protocol (https unless it says http://)."""
    if "://" not in endpoint:
        return endpoint, "https"
    parts = urlsplit(endpoint)
    return parts.netloc, parts.scheme.lower()


_ids = itertools.count(1)


class ConsoleBackend(SmsBackend):
    """The development default: the text in the log (the phone masked), nothing sent."""

    def send(self, message: Message) -> str:
        gateway_id = f"console-{next(_ids)}"
        logger.info(
            "SMS %s to %s [%s]: %s", message.kind, mask_phone(message.phone), gateway_id, message.text
        )
        return gateway_id


@dataclass(frozen=True)
class SentMessage:
    phone: str
    text: str
    kind: str
    template_code: str
    params: dict[str, str] = field(hash=False)
    gateway_id: str = ""


class LocmemBackend(SmsBackend):
    """For tests: each message appended to `registration.sms.outbox`."""

    def send(self, message: Message) -> str:
        from registration.sms import outbox

        gateway_id = f"locmem-{next(_ids)}"
        outbox.append(
            SentMessage(
                phone=message.phone,
                text=message.text,
                kind=message.kind,
                template_code=message.template_code,
                params=dict(message.params),
                gateway_id=gateway_id,
            )
        )
        return gateway_id
