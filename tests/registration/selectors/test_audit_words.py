"""An audit entry's details in words (registration/selectors/audit_words.py), each shape the app writes."""

import pytest

from registration.models import ApiClient, AuditEntry
from registration.selectors.audit_words import entry_details

A = AuditEntry.Action


def words(action: str, detail: dict) -> str:
    return entry_details(AuditEntry(action=action, detail=detail))


@pytest.mark.parametrize(
    ("action", "detail", "expected"),
    [
        (A.LOGIN, {}, ""),
        (A.LOGIN_FAILED, {"known_user": False}, "账号不存在"),
        (A.LOGIN_FAILED, {"known_user": True, "reason": "expired"}, "临时密码已过期"),
        (
            A.REGISTER,
            {"birth": 7, "personal_number": "4500000019", "materials": 2, "materials_deferred": False},
            "个人编号 4500000019，上传材料 2 份",
        ),
        (
            A.REGISTER,
            {"birth": 7, "personal_number": "4500000019", "materials": 0, "materials_deferred": True},
            "个人编号 4500000019，上传材料 0 份，材料暂缺，稍后补传",
        ),
        (
            A.PAYMENT,
            {"paid_on": "2026-03-02", "years": [2025, 2026], "source": "import", "payment": 3},
            "到账日期 2026-03-02，2025、2026年度，缴费名单导入",
        ),
        (A.VOID, {"automatic": True}, "到期未缴费，自动作废"),
        (A.VOID, {"automatic": False}, "经办人手工作废"),
        (
            A.UPDATE,
            {"field": "special_group", "old": "", "new": "orphan", "summary": "特殊人群：无 → 孤儿"},
            "特殊人群：无 → 孤儿",
        ),
        (
            A.PRINT,
            {"size": "A4", "notice": True, "cards": 1, "reprint": True},
            "纸张 A4，含告知书，共 1 张，补打",
        ),
        (
            A.EXPORT,
            {"kind": "report", "rows": 12, "full_ids": False, "from": "2026-03-01", "to": "2026-03-31"},
            "导出统计报表，12 行，证件号码已隐藏部分数字，期间 2026-03-01 至 2026-03-31",
        ),
        (
            A.EXPORT,
            {"kind": "operators", "rows": 3, "full_ids": True},
            "导出附件1（经办人员），3 行，含完整证件号码",
        ),
        (
            A.IMPORT,
            {"kind": "payments", "file": "三月.xlsx", "rows": 5, "record": 4, "error": 1, "payments": [1]},
            "导入缴费名单「三月.xlsx」，共 5 行，录入 4 行，有错误 1 行",
        ),
        (A.ACCESS, {"from": "granted", "to": "withdrawn"}, "模块权限：已开通 → 已撤销"),
        (
            A.ACCESS,
            {"from": None, "to": "requested", "new_operator": True},
            "新增经办人员并申请开通，模块权限：— → 已申请",
        ),
        (
            A.ADMIN,
            {
                "model": "registration.hospital",
                "pk": 1,
                "added": False,
                "summary": "修改定点医疗机构：启用：是 → 否",
            },
            "修改定点医疗机构：启用：是 → 否",
        ),
        (
            A.ADMIN,
            {"model": "auth.user", "pk": 2, "added": False, "changes": {"is_staff": [False, True]}},
            "管理后台：否 → 是",
        ),
        (
            A.ADMIN,
            {"model": "auth.user", "pk": 2, "changes": {"groups": {"added": ["经办人"], "removed": []}}},
            "用户组：增加 经办人",
        ),
        (
            A.ADMIN,
            {"model": "registration.hospital", "pk": 1, "added": False, "fields": ["name"]},
            "修改：机构名称",
        ),
        (
            A.ADMIN,
            {"api_client": 1, "created": True, "scopes": ["records:read", "coverage:read"]},
            "新建接口客户端，权限范围：查询本院登记记录、核验登记卡参保状态",
        ),
        (A.ADMIN, {"api_client": 1, "revoked": True}, "撤销接口客户端（密钥立即失效）"),
        (A.PASSWORD, {"by": "self", "temporary_replaced": True}, "本人修改密码（替换了临时密码）"),
        (
            A.PASSWORD,
            {"by": "admin", "target": "clerk", "usable": True, "one_time": True},
            "管理员为 clerk 生成一次性密码（须在首次登录时修改）",
        ),
        (A.VERIFY, {"found": True, "covered": False}, "找到登记记录，不在保障期内"),
        (
            A.VIEW_ID,
            {"api_client": 4, "method": "GET", "endpoint": "api_newborn", "status": 200},
            "接口 GET api_newborn，状态 200",
        ),
    ],
)
def test_each_actions_details_read_as_words(action, detail, expected):
    assert words(action, detail) == expected


def test_an_unknown_key_is_still_shown_by_its_label_or_name():
    text = words(A.PRINT, {"size": "A6", "notice": False, "reprint": False, "output": "/tmp/x.pdf", "zz": 1})

    assert text == "纸张 A6，不含告知书，首次打印，输出文件 /tmp/x.pdf，zz：1"


def test_an_entry_of_an_older_shape_lists_its_keys_instead_of_failing():
    assert words(A.IMPORT, {"kind": "payments", "rows": "many", "record": None}) != ""
    assert words(A.ADMIN, {"model": "no.such", "fields": ["x"]}) == "修改：x"


def test_no_detail_is_ever_shown_as_json():
    for action, _ in AuditEntry.Action.choices:
        text = words(action, {"paid_on": "2026-03-02", "years": [2026], "nested": {"a": 1}})
        assert "{" not in text.replace("{'a': 1}", "") and '"' not in text


def test_scopes_read_as_their_labels():
    assert ApiClient.scopes_in_words(["births:write", "unknown"]) == "登记新生儿、补传材料、unknown"
    assert ApiClient.scopes_in_words([]) == "—"
