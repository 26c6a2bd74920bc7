"""An audit entry's details in Chinese words, one small formatter per action: the log as a person reads it
(the audit page and its export).

The entries keep their details as JSON (registration.services.audit); a person reads them here as a
sentence: 「到账日期 2026-03-02，2026年度，缴费名单导入」, not `{"paid_on": "2026-03-02", …}`. A key
no formatter knows is still shown, by its label when it has one, so nothing recorded is hidden. The words
are masked by the caller (registration.log_masking.mask_sensitive), as every other column of the log.
"""

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from registration.models import ApiClient, AuditEntry, Material, Operator

A = AuditEntry.Action
YES_NO = {True: "是", False: "否"}
EXPORT_KINDS = {
    "followup": "待跟进名单",
    "report": "统计报表",
    "operators": "附件1（经办人员）",
    "audit": "审计日志",
    "quality": "数据质量",
}
ACCESS_LABELS = dict(Operator.Access.choices)
ACCOUNT_LABELS = {
    "is_active": "启用",
    "is_staff": "管理后台",
    "is_superuser": "超级管理员",
    "groups": "用户组",
    "permissions": "权限",
    "name": "名称",
}
# Keys of details without a formatter of their own, by what they mean.
KEY_LABELS = {
    "kind": "类型",
    "rows": "行数",
    "file": "文件",
    "hospital_id": "医疗机构编号",
    "truncated": "已截断",
    "reason": "原因",
    "size": "纸张",
    "notice": "含告知书",
    "cards": "张数",
    "output": "输出文件",
    "path": "路径",
    "found": "找到记录",
    "covered": "在保",
    "warnings": "提示",
    "birth": "登记编号",
    "via": "查看位置",
}
CONFIRMED_LABELS = {"parent_name_changed": "姓名与此前登记不一致，已核对身份证"}
OUTCOME_LABELS = {"record": "录入", "recorded": "已录入跳过", "error": "有错误"}


def _value(value) -> str:
    if isinstance(value, bool):
        return YES_NO[value]
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "、".join(_value(item) for item in value)
    return str(value)


def _rest(detail: dict, known: set[str]) -> list[str]:
    """The keys no formatter spoke of, as 标签：值."""
    return [
        f"{KEY_LABELS.get(key, key)}：{_value(value)}" for key, value in detail.items() if key not in known
    ]


def _join(parts) -> str:
    return "，".join(part for part in parts if part)


def _register(detail: dict) -> list[str]:
    parts = [f"个人编号 {detail['personal_number']}" if detail.get("personal_number") else ""]
    if "materials" in detail:
        parts.append(f"上传材料 {detail['materials']} 份")
    if detail.get("materials_deferred"):
        parts.append("材料暂缺，稍后补传")
    if detail.get("sms_declined"):
        parts.append("家长拒收短信")
    if detail.get("material_added"):
        parts.append(f"补传材料：{Material.Kind(detail['material_added']).label}")
    if detail.get("confirmed"):
        parts.append("已确认：" + "、".join(CONFIRMED_LABELS.get(code, code) for code in detail["confirmed"]))
    return parts


def _payment(detail: dict) -> list[str]:
    years = detail.get("years") or []
    parts = [f"到账日期 {detail.get('paid_on', '—')}", f"{'、'.join(map(str, years))}年度" if years else ""]
    if detail.get("source") == "import":
        parts.append("缴费名单导入")
    if detail.get("reinstated_from_void"):
        parts.append(f"恢复自作废（原作废原因：{detail['reinstated_from_void']}）")
    return parts


def _void(detail: dict) -> list[str]:
    if detail.get("duplicate_of"):
        return [f"医保中心作废为重复登记，保留的记录 {detail['duplicate_of']}"]
    return ["到期未缴费，自动作废" if detail.get("automatic") else "经办人手工作废"]


def _duplicate(detail: dict) -> list[str]:
    return [f"判定与记录 {_value(detail.get('other'))} 不是重复登记"]


def _update(detail: dict) -> list[str]:
    if detail.get("summary"):
        return [detail["summary"]]
    if "field" in detail:
        return [f"{detail['field']}：{_value(detail.get('old'))} → {_value(detail.get('new'))}"]
    return []


def _print(detail: dict) -> list[str]:
    parts = [f"纸张 {detail['size']}" if detail.get("size") else ""]
    if "notice" in detail:
        parts.append("含告知书" if detail["notice"] else "不含告知书")
    if detail.get("cards"):
        parts.append(f"共 {detail['cards']} 张")
    parts.append("补打" if detail.get("reprint") else "首次打印")
    if detail.get("output"):  # manage.py print_cards
        parts.append(f"输出文件 {detail['output']}")
    return parts


def _export(detail: dict) -> list[str]:
    kind = detail.get("kind", "")
    parts = [f"导出{EXPORT_KINDS.get(kind, kind)}", f"{detail.get('rows', 0)} 行"]
    parts.append("含完整证件号码" if detail.get("full_ids") else "证件号码已隐藏部分数字")
    if detail.get("from") or detail.get("to"):
        parts.append(f"期间 {detail.get('from', '')} 至 {detail.get('to', '')}")
    if detail.get("truncated"):
        parts.append("超出上限，已截断")
    return parts


def _import(detail: dict) -> list[str]:
    if detail.get("kind") == "payments":
        parts = [f"导入缴费名单「{detail.get('file', '')}」", f"共 {detail.get('rows', 0)} 行"]
        parts += [f"{label} {detail[key]} 行" for key, label in OUTCOME_LABELS.items() if detail.get(key)]
        return parts
    return []


def _access(detail: dict) -> list[str]:
    old, new = detail.get("from"), detail.get("to")
    parts = ["新增经办人员并申请开通" if detail.get("new_operator") else ""]
    parts.append(f"模块权限：{ACCESS_LABELS.get(old, '—') if old else '—'} → {ACCESS_LABELS.get(new, new)}")
    return parts


def _admin(detail: dict) -> list[str]:
    if "api_client" in detail and (detail.get("created") or detail.get("revoked")):
        if detail.get("revoked"):
            return ["撤销接口客户端（密钥立即失效）"]
        return [f"新建接口客户端，权限范围：{ApiClient.scopes_in_words(detail.get('scopes'))}"]
    if detail.get("summary"):
        return [detail["summary"]]
    changes = detail.get("changes")
    if changes:  # accounts (admin/accounts.py): [old, new] or what was added to and removed from a set
        return [_changes_words(changes, detail.get("model", ""))]
    if detail.get("fields"):  # entries written before old and new values were kept: the fields' names
        return [
            f"修改：{'、'.join(_field_label(detail.get('model', ''), name) for name in detail['fields'])}"
        ]
    return ["新建" if detail.get("added") else ""]


def _changes_words(changes: dict, model: str) -> str:
    parts = []
    for key, change in changes.items():
        label = ACCOUNT_LABELS.get(key) if model.startswith("auth.") else None
        label = label or _field_label(model, key)
        if isinstance(change, dict):
            moves = [f"增加 {'、'.join(change['added'])}" if change.get("added") else ""]
            moves.append(f"移除 {'、'.join(change['removed'])}" if change.get("removed") else "")
            parts.append(f"{label}：{'；'.join(move for move in moves if move)}")
        elif isinstance(change, list | tuple) and len(change) == 2:
            parts.append(f"{label}：{_value(change[0])} → {_value(change[1])}")
    return "，".join(parts)


def _field_label(model: str, name: str) -> str:
    try:
        return str(apps.get_model(model)._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return ACCOUNT_LABELS.get(name, name)


def _password(detail: dict) -> list[str]:
    if detail.get("by") == "self":
        return ["本人修改密码" + ("（替换了临时密码）" if detail.get("temporary_replaced") else "")]
    target = detail.get("target", "")
    if not detail.get("usable", True):
        return [f"管理员停用了 {target} 的密码登录"]
    if detail.get("one_time"):
        return [f"管理员为 {target} 生成一次性密码（须在首次登录时修改）"]
    return [f"管理员为 {target} 设置密码（须在首次登录时修改）"]


def _login_failed(detail: dict) -> list[str]:
    if detail.get("reason") == "expired":
        return ["临时密码已过期"]
    return ["账号存在，密码错误" if detail.get("known_user") else "账号不存在"]


def _backup(detail: dict) -> list[str]:
    parts = [f"目录 {detail['path']}" if detail.get("path") else "", f"数据库 {detail.get('vendor', '')}"]
    parts.append(f"文件 {detail.get('media_files', 0)} 个")
    if detail.get("backup_created_at"):
        parts.append(f"备份时间 {detail['backup_created_at']}")
    return parts


def _verify(detail: dict) -> list[str]:
    if not detail.get("found"):
        return ["未找到登记记录"]
    return ["找到登记记录", "在保" if detail.get("covered") else "不在保障期内"]


LOOKUP_KINDS = {"preview": "登记页预览", "check": "登记检查", "coverage": "核验参保状态"}


def _lookup(detail: dict) -> list[str]:
    parts = [f"跨院查询（{LOOKUP_KINDS.get(detail.get('kind'), detail.get('kind', ''))}）"]
    if detail.get("answered"):
        parts.append(f"回答：{_value(detail['answered'])}")
    return parts


def _verify_or_lookup(detail: dict) -> list[str]:
    parts = _verify(detail)
    if detail.get("lookup"):
        parts.append("涉及其他医疗机构的记录")
    return parts


def _api(detail: dict) -> list[str]:
    parts = [f"接口 {detail.get('method', '')} {detail.get('endpoint', '')}".strip()]
    if "status" in detail:
        parts.append(f"状态 {detail['status']}")
    return parts


SMS_KINDS = {"welcome": "登记告知", "reminder": "缴费提醒", "confirmation": "缴费确认"}
SMS_STATES = {"sent": "已发送", "pending": "发送失败，稍后重试", "failed": "发送失败"}


def _sms(detail: dict) -> list[str]:
    kind = SMS_KINDS.get(detail.get("kind"), detail.get("kind", ""))
    if detail.get("step"):
        kind += f"（截止前{detail['step']}天）"
    return [
        f"短信：{kind}",
        f"发往 {detail.get('phone', '—')}",
        SMS_STATES.get(detail.get("state"), detail.get("state", "")),
        f"第{detail['attempts']}次" if detail.get("attempts") else "",
        f"网关消息ID {detail['gateway_id']}" if detail.get("gateway_id") else "",
    ]


def _sms_decline(detail: dict) -> list[str]:
    parts = ["家长拒收短信" + ("（登记时）" if detail.get("at_registration") else "")]
    if detail.get("pending_dropped"):
        parts.append(f"未发送的 {detail['pending_dropped']} 条不再发送")
    return parts


# action → (formatter, the keys it speaks of; the others are listed after it)
FORMATTERS: dict[str, tuple[Callable[[dict], list[str]], set[str]]] = {
    A.REGISTER: (
        _register,
        {
            "personal_number",
            "materials",
            "materials_deferred",
            "material_added",
            "material",
            "confirmed",
            "sms_declined",
        },
    ),
    A.PAYMENT: (_payment, {"paid_on", "years", "source", "payment", "reinstated_from_void"}),
    A.VOID: (_void, {"automatic", "duplicate_of"}),
    A.DUPLICATE: (_duplicate, {"other", "decision"}),
    A.UPDATE: (_update, {"summary", "field", "old", "new", "material_added", "material"}),
    A.PRINT: (_print, {"size", "notice", "cards", "reprint", "output"}),
    A.EXPORT: (
        _export,
        {"kind", "rows", "full_ids", "from", "to", "truncated", "hospital_id", "granularity"},
    ),
    A.IMPORT: (_import, {"kind", "file", "sha256", "rows", "payments", *OUTCOME_LABELS}),
    A.ACCESS: (_access, {"from", "to", "new_operator"}),
    A.ADMIN: (
        _admin,
        {
            "model",
            "pk",
            "added",
            "fields",
            "changes",
            "summary",
            "api_client",
            "created",
            "revoked",
            "scopes",
        },
    ),
    A.PASSWORD: (_password, {"by", "target", "usable", "one_time", "temporary_replaced"}),
    A.LOGIN_FAILED: (_login_failed, {"known_user", "reason"}),
    A.BACKUP: (_backup, {"path", "vendor", "media_files", "database_bytes", "backup_created_at"}),
    A.RESTORE: (_backup, {"path", "vendor", "media_files", "database_bytes", "backup_created_at"}),
    A.VERIFY: (_verify_or_lookup, {"found", "covered", "lookup"}),
    A.LOOKUP: (_lookup, {"kind", "answered"}),
    A.API: (_api, {"api_client", "method", "endpoint", "status"}),
    A.SMS: (_sms, {"message", "kind", "step", "phone", "state", "attempts", "gateway_id", "backend"}),
    A.SMS_DECLINE: (_sms_decline, {"at_registration", "pending_dropped"}),
}
# Keys that only point at rows (the entry's own columns say what they are), never worth a word.
POINTERS = {
    "api_client",
    "payment",
    "payments",
    "pk",
    "model",
    "birth",
    "material",
    "sha256",
    "database_sha256",
}


def entry_details(entry: AuditEntry) -> str:
    """The entry's details as a sentence in Chinese ("" for none)."""
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    if not detail:
        return ""
    formatter, known = FORMATTERS.get(entry.action, (lambda detail: [], set()))
    try:
        parts = formatter(detail)
        if "endpoint" in detail and entry.action != A.API:  # a call of the integration API (api/views.py)
            api, api_keys = FORMATTERS[A.API]
            parts, known = [*api(detail), *parts], known | api_keys
    except (KeyError, TypeError, ValueError):
        parts, known = [], set()  # an entry of an older shape: every key is listed as it is
    return _join([*parts, *_rest(detail, known | POINTERS)])
