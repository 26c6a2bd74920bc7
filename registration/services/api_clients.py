"""API clients: made with a key shown once, revoked; each acts through its own service account.

A service account is no 经办人员: the operators' pages, their pending count and 附件1 leave it out
(`access.operators_in`) and list the clients apart; revoking the client disables the account and
withdraws its module access.
"""

import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registration import validators
from registration.models import ApiClient, AuditEntry, Hospital, Operator
from registration.services.audit import audit_record

KEY_PREFIX = "nbe"
SCOPES = tuple(ApiClient.Scope.values)
# Scopes only a hospital's client may hold, and those only the 医保中心's may hold.
HOSPITAL_SCOPES = {ApiClient.Scope.BIRTHS_WRITE, ApiClient.Scope.RECORDS_READ}
CENTRE_SCOPES = {ApiClient.Scope.PAYMENTS_WRITE}
REVOKED_REASON = "接口客户端已撤销"
SERVICE_ACCOUNT_REMARK = "接口客户端的系统账号（不能登录）"


def key_hash(key: str) -> str:
    """The stored form of a key. A plain SHA-256 suffices: the keys are 256 random bits, not passwords,
    so there is nothing to guess (and a slow hash would cost every API call)."""
    return hashlib.sha256(key.encode()).hexdigest()


def scopes_parse(text: str) -> list[str]:
    """ "births:write,records:read" as a list of scopes; ValidationError (Chinese) for an unknown one."""
    scopes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationError(f"未知的权限范围：{'、'.join(unknown)}；可选：{'、'.join(SCOPES)}。")
    if not scopes:
        raise ValidationError(f"请至少指定一个权限范围（{'、'.join(SCOPES)}）。")
    return sorted(set(scopes), key=SCOPES.index)


def api_client_check(*, name: str, hospital: Hospital | None, scopes: list[str]) -> str:
    """The client's name, normalised; ValidationError (Chinese) when such a client cannot be made."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("请填写接口客户端的名称。")
    validators.hidden_characters_validate(name, label="接口客户端的名称")
    if not scopes:
        raise ValidationError("请至少选择一个权限范围。")
    wrong = (CENTRE_SCOPES if hospital is not None else HOSPITAL_SCOPES) & set(scopes)
    if wrong:
        who = "医疗机构的客户端" if hospital is not None else "医保中心的客户端（不属于医疗机构）"
        raise ValidationError(f"{who}不能使用权限范围：{'、'.join(sorted(wrong))}。")
    if ApiClient.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise ValidationError(f"已有名为「{name}」的有效接口客户端。")
    return name


@transaction.atomic
def api_client_create(
    *, name: str, hospital: Hospital | None, scopes: list[str], user=None, ip: str | None = None
) -> tuple[ApiClient, str]:
    """A new client and its key (returned once, never stored); audited as the administrator `user`.

    A hospital's client gets an operator of that hospital with module access, the 医保中心's (no hospital)
    a staff account: the services decide what each may see from that account, as for a person.
    """
    name = api_client_check(name=name, hospital=hospital, scopes=scopes)
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    account = get_user_model().objects.create_user(
        username=f"api-{prefix}", first_name=name[:150], is_staff=hospital is None
    )
    account.set_unusable_password()
    account.save(update_fields=["password"])
    if hospital is not None:
        Operator.objects.create(
            user=account,
            hospital=hospital,
            role=Operator.Role.CLERK,
            real_name=name[:50],
            access=Operator.Access.GRANTED,
            access_changed_at=timezone.now(),
            remark=SERVICE_ACCOUNT_REMARK,
        )
    client = ApiClient.objects.create(
        name=name,
        hospital=hospital,
        scopes=list(scopes),
        key_prefix=prefix,
        key_hash=key_hash(key),
        user=account,
    )
    audit_record(
        user=user,
        action=AuditEntry.Action.ADMIN,
        obj=client,
        hospital=hospital,
        ip=ip,
        detail={"api_client": client.pk, "created": True, "scopes": client.scopes},
    )
    return client, key


@transaction.atomic
def api_client_revoke(*, client: ApiClient, user=None, ip: str | None = None) -> ApiClient:
    """Revoke a client: its key stops working at once and its service account is disabled."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    client.user.is_active = False
    client.user.save(update_fields=["is_active"])
    # A hospital's client acts through an operator with module access: withdrawn with the key, so that
    # the account holds no access anywhere (the operators' pages never list it: access.operators_in).
    Operator.objects.filter(user=client.user).exclude(access=Operator.Access.WITHDRAWN).update(
        access=Operator.Access.WITHDRAWN, access_changed_at=client.revoked_at, access_reason=REVOKED_REASON
    )
    audit_record(
        user=user,
        action=AuditEntry.Action.ADMIN,
        obj=client,
        hospital=client.hospital,
        ip=ip,
        detail={"api_client": client.pk, "revoked": True},
    )
    return client


def api_client_for_key(key: str) -> ApiClient | None:
    """The active client whose key this is, or None (an unknown, malformed or revoked key)."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12 or len(key) > 200:
        return None
    client = (
        ApiClient.objects.select_related("hospital__division", "user")
        .filter(key_prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if client is None or not hmac.compare_digest(client.key_hash, key_hash(key)):
        return None
    return client
