"""Logging in, changing one's password (forced after a one-time password), the Chinese error pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from registration.models import AuditEntry, Operator, TemporaryPassword
from registration.services.passwords import temporary_password_pending, temporary_password_set
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qingxiu-Ward-2026"


def change(client, old=PASSWORD, new=NEW_PASSWORD, again=None):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post("/password/", data, REMOTE_ADDR="10.1.2.3")


def login(client, password=PASSWORD, username="clerk"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


# --- the password change page --------------------------------------------------------------------------


def test_every_page_links_to_the_password_change(client, clerk):
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert 'href="/password/">修改密码</a>' in html


def test_it_changes_the_password_audits_it_and_keeps_this_session(client, clerk):
    client.force_login(clerk)

    page = client.get("/password/")
    response = change(client)

    assert (
        page.status_code == 200
        and "旧密码" in page.content.decode()
        and "至少 10 个字符" in page.content.decode()
    )
    assert response.status_code == 302 and response["Location"] == "/"
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    assert client.get("/followup/").status_code == 200  # still logged in
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD)
    assert (entry.user, entry.ip, entry.detail["by"]) == (clerk, "10.1.2.3", "self")


@pytest.mark.parametrize(
    ("old", "new", "again", "message"),
    [
        ("wrong-password-1", NEW_PASSWORD, None, "旧密码不正确"),
        (PASSWORD, NEW_PASSWORD, "Qingxiu-Ward-2027", "两个密码不一致"),
        (PASSWORD, "short-1", None, "密码太短，至少需要10个字符"),
        (PASSWORD, "1234567890123", None, "密码只包含数字"),
        (PASSWORD, PASSWORD, None, "新密码不能与当前密码相同"),
        (PASSWORD, " " * 10, None, "密码不能为空，也不能只由空格组成"),
        (PASSWORD, "x" * 12, None, "须包含大写字母、小写字母、数字、符号中的至少两类字符"),
        (PASSWORD, "qingxiuwardnn", None, "须包含大写字母、小写字母、数字、符号中的至少两类字符"),
    ],
)
def test_it_refuses_a_bad_change_in_chinese_and_changes_nothing(client, clerk, old, new, again, message):
    client.force_login(clerk)

    response = change(client, old, new, again)

    assert response.status_code == 400
    assert message in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD).exists()
    if new != PASSWORD:
        assert login(Client(), password=new).status_code == 200  # the refused password does not log in


def test_the_page_states_the_character_class_rule(client, clerk):
    client.force_login(clerk)

    assert "至少两类字符" in client.get("/password/").content.decode()


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/password/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_admins_own_password_page_leads_to_the_audited_one(client, db):
    client.force_login(factories.user_make("admin", is_staff=True, is_superuser=True))

    response = client.get("/admin/password_change/")

    assert response.status_code == 302 and response["Location"] == "/password/"


# --- a one-time password must be replaced first ------------------------------------------------------------


@pytest.fixture
def new_clerk(clerk):
    temporary_password_set(user=clerk, issued_by=None)
    return clerk


@pytest.mark.parametrize("page", ["/", "/newborns/", "/followup/", "/register/", "/audit/", "/admin/"])
def test_a_one_time_password_sends_every_page_to_the_password_change(client, new_clerk, page):
    assert login(client).status_code == 302

    assert client.get(page)["Location"] == "/password/"
    assert client.post(page, {})["Location"] == "/password/"


def test_the_password_change_says_why_and_logging_out_and_static_files_still_work(client, new_clerk):
    login(client)

    html = client.get("/password/").content.decode()

    assert "data-password-required" in html and "初始密码" in html
    assert client.get("/static/css/app.css").status_code != 302
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_after_the_change_every_page_opens_again(client, new_clerk):
    login(client)

    assert change(client).status_code == 302

    assert client.get("/followup/").status_code == 200
    assert temporary_password_pending(new_clerk) is None
    assert "data-password-required" not in client.get("/password/").content.decode()
    assert AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD).detail["temporary_replaced"] is True


def test_a_session_from_before_the_flag_was_known_is_checked_too(client, new_clerk):
    client.force_login(new_clerk)
    session = client.session
    del session["registration_password_change_required"]  # a session older than this check
    session.save()

    assert client.get("/followup/")["Location"] == "/password/"


def test_a_one_time_password_left_unchanged_too_long_no_longer_logs_in(client, new_clerk, settings):
    settings.TEMPORARY_PASSWORD_DAYS = 7
    TemporaryPassword.objects.filter(user=new_clerk).update(issued_at=timezone.now() - timedelta(days=8))

    response = login(client)

    assert response.status_code == 200
    assert "超过7天未修改，已经失效" in response.content.decode()
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.username == "clerk" and entry.detail["reason"] == "temporary_password_expired"
    assert entry.hospital == new_clerk.operator.hospital  # the supervisor sees it in the hospital's log


def test_a_one_time_password_within_its_days_logs_in(client, new_clerk, settings):
    settings.TEMPORARY_PASSWORD_DAYS = 7
    TemporaryPassword.objects.filter(user=new_clerk).update(issued_at=timezone.now() - timedelta(days=6))

    assert login(client).status_code == 302


def test_an_expired_one_time_password_with_a_wrong_password_is_just_a_failed_login(client, new_clerk):
    TemporaryPassword.objects.filter(user=new_clerk).update(issued_at=timezone.now() - timedelta(days=30))

    html = login(client, "wrong-password-1").content.decode()

    assert "已经失效" not in html  # says nothing about an account to someone without its password


def test_a_clerk_created_by_a_supervisor_is_sent_to_change_the_password(client, clerk):
    supervisor = factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(order="035"),
    ).user
    client.force_login(supervisor)
    data = {
        "real_name": "王晓芳",
        "id_number": factories.id_number(born="19920304", order="046"),
        "phone": "13977100001",
        "username": "wangxf",
    }
    html = client.post("/operators/request/", data).content.decode()
    password = html.split("data-password>")[1].split("<")[0]
    assert "首次登录后须立即修改" in html and "7天内未登录修改的，该密码失效" in html
    client.logout()

    assert login(client, password, "wangxf").status_code == 302
    assert client.get("/")["Location"] == "/password/"


# --- Chinese error pages with DEBUG off -------------------------------------------------------------------


def _forbidden(request):
    raise PermissionDenied


def _bad(request):
    raise SuspiciousOperation("bad")


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("test-403/", _forbidden),
    path("test-400/", _bad),
    path("test-500/", _boom),
    path("", include("newborn_enroll.urls")),
]


@pytest.fixture
def errors_client(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/no-such-page/", 404, "找不到该页面或记录"),
        ("/test-403/", 403, "无权访问此页面"),
        ("/test-400/", 400, "请求无法处理"),
        ("/test-500/", 500, "系统出错，本次操作未完成"),
    ],
)
def test_error_pages_are_in_chinese(errors_client, url, status, text):
    response = errors_client.get(url)

    assert response.status_code == status
    html = response.content.decode()
    assert text in html and 'lang="zh-CN"' in html
    assert "Not Found" not in html and "Server Error" not in html and "Forbidden" not in html


def test_a_logged_in_clerk_gets_the_404_page_with_the_menu(errors_client, clerk):
    errors_client.force_login(clerk)

    html = errors_client.get("/newborns/999999/").content.decode()

    assert "找不到该页面或记录" in html and "退出登录" in html


def test_the_500_page_needs_no_context_and_no_database(settings):
    from django.template.loader import get_template

    html = get_template("500.html").render()

    assert "系统出错" in html and "{%" not in html


def test_a_csrf_failure_tells_the_clerk_to_reload_and_retype(settings, clerk):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)

    response = client.post("/register/", {"mother_name": "张三"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "刷新页面" in html and "重新输入" in html
    assert "CSRF verification failed" not in html


def test_a_csrf_failure_on_the_login_page_is_in_chinese_too(settings, db):
    settings.DEBUG = False

    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 403 and "刷新页面" in response.content.decode()


@pytest.mark.django_db
def test_the_login_page_says_who_resets_a_supervisors_password(client):
    html = client.get("/login/").content.decode()

    assert "经办人请联系本院主管；主管请直接联系医保中心管理员" in html
    assert "密码由医保中心管理员重置为一次性密码" in html
