"""The login page, the home page and the vendored front-end files."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from registration.models import Operator
from tests import factories
from tests.factories import PASSWORD, operator_make

# The src/href of every <link> and <script> tag: what the browser fetches on its own.
ASSET_URL = re.compile(r"<(?:link|script)\b[^>]*?\b(?:src|href)=[\"']([^\"']*)[\"']", re.IGNORECASE)


def _superuser():
    return get_user_model().objects.create_superuser(username="admin", password=PASSWORD, email="")


@pytest.mark.django_db
def test_it_serves_the_login_page_in_chinese(client):
    response = client.get("/login/")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'lang="zh-CN"' in html
    assert "登录" in html
    assert "用户名" in html
    assert "密码" in html


@pytest.mark.django_db
def test_it_loads_only_local_assets_on_the_login_page(client):
    html = client.get("/login/").content.decode()
    urls = ASSET_URL.findall(html)

    assert "/static/vendor/bootstrap/bootstrap.min.css" in urls
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in urls
    assert "/static/css/app.css" in urls
    assert [url for url in urls if url.startswith(("http://", "https://", "//"))] == []


@pytest.mark.django_db
def test_it_keeps_next_in_the_login_form(client):
    html = client.get("/login/?next=/admin/").content.decode()

    assert '<input type="hidden" name="next" value="/admin/">' in html


@pytest.mark.django_db
def test_it_shows_a_chinese_error_for_a_wrong_password(client):
    operator_make(username="clerk")

    response = client.post("/login/", {"username": "clerk", "password": "wrong-password"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "请输入一个正确的" in html
    assert "区分大小写" in html


@pytest.mark.django_db
def test_it_logs_in_and_redirects_home(client):
    operator_make(username="clerk")

    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"


def test_it_redirects_anonymous_visitors_to_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/"


@pytest.mark.django_db
def test_it_shows_superusers_the_admin_link_and_no_hospital(client):
    client.force_login(_superuser())

    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'href="/admin/"' in html
    assert "管理后台" in html
    assert "退出登录" in html
    assert "暂时不能办理" not in html


@pytest.mark.django_db
def test_it_shows_a_granted_operator_their_hospital_without_notice(client):
    operator = operator_make(username="clerk", access=Operator.Access.GRANTED)
    client.force_login(operator.user)

    html = client.get("/").content.decode()

    assert "李经办" in html
    assert "南宁市第一人民医院" in html
    assert "暂时不能办理" not in html
    assert 'href="/admin/"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "access", [Operator.Access.NONE, Operator.Access.REQUESTED, Operator.Access.WITHDRAWN]
)
def test_it_tells_an_operator_without_module_access_why_they_cannot_register(client, access):
    operator = operator_make(username="clerk", access=access)
    client.force_login(operator.user)

    html = client.get("/").content.decode()

    assert "暂时不能办理新生儿预参保登记" in html
    assert "模块权限" in html
    assert "附件1" in html
    assert "医保中心" in html
    assert operator.get_access_display() in html


@pytest.mark.django_db
def test_it_tells_a_plain_user_they_are_not_an_operator(client):
    client.force_login(get_user_model().objects.create_user(username="nobody", password=PASSWORD))

    html = client.get("/").content.decode()

    assert "没有关联任何医疗机构" in html
    assert 'href="/admin/"' not in html


@pytest.mark.django_db
def test_it_logs_out_with_a_post_form(client):
    operator = operator_make(username="clerk")
    client.force_login(operator.user)

    html = client.get("/").content.decode()
    response = client.post("/logout/")

    assert '<form method="post" action="/logout/"' in html
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "path", ["vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/bootstrap.bundle.min.js", "css/app.css"]
)
def test_it_finds_the_static_files(path):
    assert finders.find(path) is not None


def test_it_vendors_bootstrap_with_its_license_and_without_source_map_links():
    assert "MIT License" in Path(finders.find("vendor/bootstrap/LICENSE")).read_text(encoding="utf-8")
    for path in ["vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/bootstrap.bundle.min.js"]:
        assert "sourceMappingURL" not in Path(finders.find(path)).read_text(encoding="utf-8")


def test_the_pages_fall_back_on_the_cards_own_chinese_font_served_by_the_app():
    # A screen without a Chinese font (a thin client, a test browser) would show empty boxes.
    css = Path(finders.find("css/fonts.css")).read_text(encoding="utf-8")
    font = re.search(r'url\("\.\./(fonts/CardSansSC-Regular\.woff2)"\) format\("woff2"\)', css)

    assert font and finders.find(font.group(1)) is not None
    assert '--app-font-sans: "App CJK",' in css and 'Arial, "Card Sans SC", sans-serif;' in css
    assert "http" not in css
    assert "http" not in Path(finders.find("css/app.css")).read_text(encoding="utf-8")


def test_every_page_and_the_admin_link_the_fonts(client, clerk):
    client.force_login(clerk)
    assert 'href="/static/css/fonts.css"' in client.get("/").content.decode()
    admin = factories.user_make("admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert 'href="/static/css/fonts.css"' in html and 'href="/static/css/admin.css"' in html
