"""Accounts in the admin (registration.admin.accounts): who created or changed which account, audited."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from registration.models import AuditEntry
from registration.services.passwords import temporary_password_pending
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Qingxiu-Ward-2026"


@pytest.fixture
def superuser(db):
    return factories.user_make("root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def change_form(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [permission.pk for permission in user.user_permissions.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def entries(action=AuditEntry.Action.ADMIN):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_creating_an_account_is_audited_and_its_password_must_be_replaced(admin_client, superuser):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "newadmin",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
        REMOTE_ADDR="10.5.5.5",
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    account = User.objects.get(username="newadmin")
    [entry] = entries()
    assert (entry.user, entry.ip, entry.object_repr) == (superuser, "10.5.5.5", "newadmin")
    assert entry.detail["added"] is True and entry.detail["temporary_password"] is True
    assert entry.detail["changes"]["is_staff"] == [None, False]
    assert entry.reason.startswith("新建用户：")
    assert NEW_PASSWORD not in str(entry.detail) + entry.reason
    assert temporary_password_pending(account).issued_by == superuser


def test_changing_the_flags_records_old_and_new(admin_client, clerk):
    response = admin_client.post(
        f"/admin/auth/user/{clerk.pk}/change/", change_form(clerk, is_staff="on", is_superuser="on")
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    [entry] = entries()
    assert entry.detail["changes"] == {"is_staff": [False, True], "is_superuser": [False, True]}
    assert entry.hospital == clerk.operator.hospital
    assert "管理后台：否 → 是" in entry.reason and "超级管理员：否 → 是" in entry.reason


def test_deactivating_an_account_is_audited(admin_client, clerk):
    admin_client.post(f"/admin/auth/user/{clerk.pk}/change/", change_form(clerk, is_active=""))

    [entry] = entries()
    assert entry.detail["changes"] == {"is_active": [True, False]}
    assert "启用：是 → 否" in entry.reason


def test_groups_and_permissions_added_and_removed_are_audited(admin_client, clerk):
    group = Group.objects.create(name="医保中心管理员")
    permission = Permission.objects.get(codename="view_newborn")
    clerk.user_permissions.add(Permission.objects.get(codename="view_payment"))

    admin_client.post(
        f"/admin/auth/user/{clerk.pk}/change/",
        change_form(clerk, groups=[group.pk], user_permissions=[permission.pk]),
    )

    [entry] = entries()
    assert entry.detail["changes"]["groups"] == {"added": ["医保中心管理员"], "removed": []}
    assert entry.detail["changes"]["permissions"] == {
        "added": ["registration.view_newborn"],
        "removed": ["registration.view_payment"],
    }
    assert "用户组：增加 医保中心管理员" in entry.reason


def test_a_change_of_name_only_adds_no_entry(admin_client, clerk):
    admin_client.post(f"/admin/auth/user/{clerk.pk}/change/", change_form(clerk, first_name="经办"))

    assert entries() == []


def test_a_password_reset_generates_a_one_time_password_shown_once(superuser, clerk):
    # The admin's own page, used as a browser uses it: GET the page, post its form with its CSRF token.
    from tests.registration.admin.browser import AdminBrowser

    browser = AdminBrowser(superuser)
    url = f"/admin/auth/user/{clerk.pk}/password/"
    page = browser.open(url).content.decode()
    values = dict(browser.form_values_of(url, button="_generate"))

    response = browser.client.post(url, {**values, "_generate": "生成一次性密码"}, REMOTE_ADDR="10.5.5.5")

    assert "生成一次性密码" in page and 'name="password1"' not in page  # nothing to invent
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = re.search(r"data-password>([^<]+)<", response.content.decode()).group(1)
    clerk.refresh_from_db()
    assert clerk.check_password(password)
    [entry] = entries(AuditEntry.Action.PASSWORD)
    assert (entry.user, entry.ip, entry.hospital) == (superuser, "10.5.5.5", clerk.operator.hospital)
    assert entry.detail == {"by": "admin", "target": "clerk", "usable": True, "one_time": True}
    assert temporary_password_pending(clerk).issued_by == superuser
    assert password not in browser.open(url).content.decode()  # shown once


def test_opening_the_reset_page_changes_nothing(admin_client, clerk):
    before = User.objects.get(pk=clerk.pk).password

    response = admin_client.get(f"/admin/auth/user/{clerk.pk}/password/")

    assert response.status_code == 200
    assert User.objects.get(pk=clerk.pk).password == before
    assert entries(AuditEntry.Action.PASSWORD) == []
    assert temporary_password_pending(clerk) is None


def test_an_administrator_resetting_their_own_password_is_sent_to_the_password_change(
    admin_client, superuser
):
    response = admin_client.post(f"/admin/auth/user/{superuser.pk}/password/")

    assert response.status_code == 302 and response["Location"] == "/password/"
    assert entries(AuditEntry.Action.PASSWORD) == []


def test_an_api_clients_account_gets_no_password(admin_client, clerk):
    from registration.services.api_clients import api_client_create

    client, _ = api_client_create(name="南宁HIS", hospital=clerk.operator.hospital, scopes=["records:read"])

    response = admin_client.post(f"/admin/auth/user/{client.user.pk}/password/", follow=True)

    assert "接口客户端的系统账号不能登录" in response.content.decode()
    client.user.refresh_from_db()
    assert not client.user.has_usable_password()


def test_a_groups_permissions_are_audited(admin_client):
    group = Group.objects.create(name="统计")
    permission = Permission.objects.get(codename="view_auditentry")

    admin_client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "统计", "permissions": [permission.pk]}
    )

    [entry] = entries()
    assert entry.detail["changes"] == {
        "permissions": {"added": ["registration.view_auditentry"], "removed": []}
    }


def test_the_temporary_passwords_are_listed_read_only(admin_client, clerk):
    from registration.services.passwords import temporary_password_set

    temporary = temporary_password_set(user=clerk, issued_by=None)

    assert "clerk" in admin_client.get("/admin/registration/temporarypassword/").content.decode()
    page = admin_client.get(f"/admin/registration/temporarypassword/{temporary.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/registration/temporarypassword/add/").status_code == 403
