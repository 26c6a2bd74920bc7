"""Passwords someone else chose (services.passwords): set, pending, expired, replaced; changes audited."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from registration.models import AuditEntry, Operator, TemporaryPassword
from registration.services.api_clients import api_client_create
from registration.services.operators import OperatorInput, operator_request_new
from registration.services.passwords import (
    PASSWORD_ALPHABET,
    one_time_password,
    password_change,
    password_reset_temporary,
    temporary_password_expired,
    temporary_password_pending,
    temporary_password_set,
)
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qingxiu-Ward-2026"


@pytest.fixture
def supervisor(clerk):
    hospital = clerk.operator.hospital
    return factories.operator_make(
        username="super",
        hospital=hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(order="035"),
    ).user


@pytest.fixture
def administrator(db):
    return factories.user_make("admin", is_staff=True)


def test_a_clerk_created_with_a_one_time_password_must_replace_it(supervisor):
    data = OperatorInput("wangxf", "王晓芳", factories.id_number(born="19920304", order="046"), "13977100001")
    operator, _ = operator_request_new(hospital=supervisor.operator.hospital, data=data, user=supervisor)

    temporary = temporary_password_pending(operator.user)
    assert temporary is not None and temporary.issued_by == supervisor


def test_an_account_with_its_own_password_has_nothing_pending(clerk):
    assert temporary_password_pending(clerk) is None


def test_a_temporary_password_expires_after_the_configured_days(clerk, settings):
    settings.TEMPORARY_PASSWORD_DAYS = 7
    temporary = temporary_password_set(user=clerk, issued_by=None)

    assert not temporary_password_expired(temporary, now=temporary.issued_at + timedelta(days=7))
    assert temporary_password_expired(temporary, now=temporary.issued_at + timedelta(days=7, seconds=1))
    assert not temporary_password_expired(None)


def test_changing_the_password_replaces_the_temporary_one_and_is_audited(clerk):
    temporary_password_set(user=clerk, issued_by=None)

    password_change(user=clerk, new_password=NEW_PASSWORD, ip="10.1.2.3")

    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    assert temporary_password_pending(clerk) is None
    assert TemporaryPassword.objects.get(user=clerk).replaced_at is not None  # the history stays
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD)
    assert (entry.user, entry.ip, entry.hospital) == (clerk, "10.1.2.3", clerk.operator.hospital)
    assert entry.detail == {"by": "self", "temporary_replaced": True}
    assert NEW_PASSWORD not in str(entry.detail) + entry.reason + entry.object_repr


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (factories.PASSWORD, "不能与当前密码相同"),
        ("12345678901", "密码只包含数字"),
        ("short-1", "密码太短，至少需要10个字符"),
        (" " * 12, "不能只由空格组成"),
        ("\u3000" * 10 + "\t\n", "不能只由空格组成"),
        ("a" * 12, "至少两类字符"),
        ("qingxiuward", "至少两类字符"),
        ("QINGXIUWARD", "至少两类字符"),
        ("-.-.-.-.-.-.", "至少两类字符"),
        ("青秀区新竹路一号产科", "至少两类字符"),
        ("qingxiu ward", "至少两类字符"),  # a space is no second class
    ],
)
def test_a_weak_or_unchanged_password_is_refused_and_nothing_is_recorded(clerk, password, message):
    temporary_password_set(user=clerk, issued_by=None)

    with translation.override("zh-hans"), pytest.raises(ValidationError, match=message):
        password_change(user=clerk, new_password=password)

    assert temporary_password_pending(clerk) is not None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD).exists()


@pytest.mark.parametrize(
    "password", ["", " ", "          ", "aaaaaaaaaa", "ZZZZZZZZZZ", "1111111111", "!!!!!!!!!!"]
)
def test_the_character_class_validator_refuses_blank_and_one_class_passwords(password):
    from registration.password_validation import CharacterClassValidator

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refusal:
        CharacterClassValidator().validate(password)

    assert refusal.value.code in {"password_blank", "password_single_class"}
    assert all("\u4e00" <= char <= "\u9fff" for char in refusal.value.messages[0][:2])


@pytest.mark.parametrize(
    "password",
    ["qingxiu-ward", "Qingxiuward", "qingxiu2026", "青秀区2026号", "QINGXIU-2026", factories.PASSWORD],
)
def test_the_character_class_validator_accepts_two_classes(password):
    from registration.password_validation import CharacterClassValidator

    CharacterClassValidator().validate(password)  # no error


def test_the_validator_is_one_of_the_sites_rules():
    from django.contrib.auth.password_validation import get_default_password_validators

    from registration.password_validation import CharacterClassValidator

    assert any(isinstance(v, CharacterClassValidator) for v in get_default_password_validators())


def test_an_administrators_reset_is_a_one_time_password_audited_and_to_be_replaced(clerk, administrator):
    password = password_reset_temporary(user=clerk, admin=administrator, ip="10.9.9.9")

    clerk.refresh_from_db()
    assert clerk.check_password(password)
    assert re.fullmatch(r"[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}", password)
    temporary = temporary_password_pending(clerk)
    assert temporary is not None and temporary.issued_by == administrator
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD)
    assert entry.user == administrator and entry.hospital == clerk.operator.hospital
    assert entry.detail == {"by": "admin", "target": "clerk", "usable": True, "one_time": True}
    assert password not in str(entry.detail) + entry.reason


def test_a_reset_sets_a_new_expiry(clerk, administrator):
    old = temporary_password_set(user=clerk, issued_by=None)
    TemporaryPassword.objects.filter(pk=old.pk).update(issued_at=timezone.now() - timedelta(days=30))

    password_reset_temporary(user=clerk, admin=administrator)

    assert not temporary_password_expired(temporary_password_pending(clerk))


def test_a_reset_of_ones_own_or_an_api_clients_account_is_refused(clerk, administrator):

    client, _ = api_client_create(name="南宁HIS", hospital=clerk.operator.hospital, scopes=["records:read"])

    with pytest.raises(ValidationError, match="不能为自己的账号"):
        password_reset_temporary(user=administrator, admin=administrator)
    with pytest.raises(ValidationError, match="接口客户端的系统账号"):
        password_reset_temporary(user=client.user, admin=administrator)
    client.user.refresh_from_db()
    assert not client.user.has_usable_password()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD).exists()


def test_one_time_password_is_long_random_and_unambiguous():
    passwords = {one_time_password() for _ in range(50)}

    assert len(passwords) == 50
    for password in passwords:
        assert re.fullmatch(r"[^-]{4}-[^-]{4}-[^-]{4}-[^-]{4}", password)
        assert set(password.replace("-", "")) <= set(PASSWORD_ALPHABET)
    assert not set("0O1lI") & set(PASSWORD_ALPHABET)
