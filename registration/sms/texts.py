"""The messages' Chinese wording, in one place (docs/sms.md): one template per kind, with its parameters.

China's gateways send only templates approved with the signature (签名): the template registered at the
gateway must read exactly as here, `${name}` standing for each parameter (Aliyun names them; Tencent
numbers them {1}, {2}, … in the order of `params`). Each kind's approved code is in settings.SMS_TEMPLATES.
The values are computed by registration/services/sms.py; none of them is a full ID number (the code is
masked as the card's notice masks it).
"""

import re
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Template:
    kind: str
    text: str
    params: tuple[str, ...]  # in order: Tencent's {1}, {2}, … are these


TEMPLATES = {
    "welcome": Template(
        "welcome",
        "${name}已办理新生儿医保预参保登记，新生儿编码${code}。请在${last_day}（含）前缴纳城乡居民医保费，"
        "缴费渠道：${channels}。逾期未缴费，预参保登记作废。",
        ("name", "code", "last_day", "channels"),
    ),
    "reminder": Template(
        "reminder",
        "${name}的新生儿医保费尚未缴纳，缴费截止日${last_day}，还剩${days}天。缴费渠道：${channels}。"
        "逾期未缴费，预参保登记作废，登记卡停用。已缴费请忽略。",
        ("name", "last_day", "days", "channels"),
    ),
    "confirmation": Template(
        "confirmation",
        "${name}的医保费已到账，待遇自${start}起享受，可凭登记卡结算至${until}。下一步：请在${last_day}前为宝宝"
        "办理户籍登记，再持登记卡和户口簿到户籍所在地医保经办机构办理正式参保登记。",
        ("name", "start", "until", "last_day"),
    ),
}

# The payment channels in a text: the first online ones of the city's list, then "等"; without a list for
# the city, the agency (cards/channels.py).
CHANNELS_SHOWN = 3
CHANNELS_UNKNOWN = "请咨询当地医保经办机构"
# The longest a parameter's value may be: Aliyun refuses a variable over 35 characters.
PARAM_MAX_LENGTH = 35

_PARAM = re.compile(r"\$\{([a-z_]+)\}")


def render(kind: str, params: dict[str, str], *, sign_name: str | None = None) -> str:
    """The message as the family reads it: 【signature】 and the template with its parameters filled in."""
    template = TEMPLATES[kind]
    missing = set(template.params) - set(params)
    if missing:
        raise KeyError(f"SMS template {kind} needs {sorted(missing)}")
    sign = settings.SMS_SIGN_NAME if sign_name is None else sign_name
    body = _PARAM.sub(lambda match: str(params[match.group(1)]), template.text)
    return f"【{sign}】{body}"


def template_code(kind: str) -> str:
    """The gateway's approved code for a kind of message (settings.SMS_TEMPLATES)."""
    return settings.SMS_TEMPLATES[kind]
