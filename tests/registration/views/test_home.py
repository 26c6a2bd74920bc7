"""The home page: today's registrations of the user's hospital and the unpaid ones with days left."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registration.models import Newborn, Operator, Sex
from registration.services.lifecycle import newborn_void
from registration.services.newborns import BabyInput
from tests import factories


def _register_today(clerk, *, born_days_ago=4, **overrides):
    today = timezone.localdate()
    return factories.register(
        clerk,
        today=today,
        babies=[BabyInput(Sex.FEMALE, today - timedelta(days=born_days_ago))],
        **overrides,
    )


@pytest.mark.django_db
def test_it_lists_todays_registrations_of_the_hospital_masked(client, clerk):
    birth = _register_today(clerk)
    newborn = birth.newborns.get()
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert "今日登记" in html
    assert newborn.name in html
    assert newborn.personal_number in html
    assert newborn.temp_id not in html  # lists mask ID numbers
    assert newborn.temp_id[:6] + "*****" in html
    assert f'href="/newborns/{newborn.pk}/"' in html
    assert f'href="/cards/{newborn.pk}/card.pdf"' in html


@pytest.mark.django_db
def test_it_leaves_out_earlier_days_and_other_hospitals(client, clerk):
    earlier = factories.register(clerk)  # registered on factories.TODAY, long before now
    other_hospital = factories.hospital_make(code="H450103002", name="南宁市第二人民医院")
    other = factories.operator_make(username="other", hospital=other_hospital).user
    elsewhere = _register_today(
        other, mother=factories.ParentInput("王五", factories.id_number(order="046"), "13877112346")
    )
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert "今天还没有登记" in html
    assert earlier.newborns.get().personal_number not in html.split("待缴费")[0]
    assert elsewhere.newborns.get().personal_number not in html


@pytest.mark.django_db
def test_it_orders_the_unpaid_by_days_left_and_highlights_the_last_week(client, clerk):
    today = timezone.localdate()
    urgent = _register_today(clerk, born_days_ago=85).newborns.get()
    relaxed = _register_today(
        clerk,
        born_days_ago=2,
        mother=factories.ParentInput("王五", factories.id_number(order="046"), "13877112346"),
    ).newborns.get()
    client.force_login(clerk)

    html = client.get("/").content.decode()
    unpaid = html.split('id="unpaid-heading"')[1]

    assert unpaid.index(urgent.name) < unpaid.index(relaxed.name)
    assert unpaid.index(f"/newborns/{urgent.pk}/") < unpaid.index(f"/newborns/{relaxed.pk}/")
    assert f"剩 {(urgent.last_day - today).days} 天" in unpaid
    assert f"剩 {(relaxed.last_day - today).days} 天" in unpaid
    assert unpaid.count('class="table-danger"') == 1
    assert "1 人剩余 7 天以内" in unpaid


@pytest.mark.django_db
def test_it_leaves_paid_and_void_records_out_of_the_unpaid(client, clerk):
    newborn = _register_today(clerk).newborns.get()
    newborn_void(newborn=newborn, user=clerk, reason="家属放弃登记")
    client.force_login(clerk)

    html = client.get("/").content.decode()
    unpaid = html.split('id="unpaid-heading"')[1]

    assert "没有待缴费的登记" in unpaid
    assert Newborn.objects.get(pk=newborn.pk).state == Newborn.State.VOID


@pytest.mark.django_db
def test_it_shows_no_records_to_an_operator_without_module_access(client, clerk):
    _register_today(clerk)
    clerk.operator.access = Operator.Access.WITHDRAWN
    clerk.operator.save()
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert "暂时不能办理新生儿预参保登记" in html
    assert "今日登记" not in html
    assert 'href="/register/"' not in html.split("<main")[1]


@pytest.mark.django_db
def test_it_runs_a_bounded_number_of_queries(client, clerk, django_assert_max_num_queries):
    for order in range(12):
        _register_today(
            clerk,
            mother=factories.ParentInput("王五", factories.id_number(order=f"{order * 2 + 100:03d}"), ""),
        )
    client.force_login(clerk)

    with django_assert_max_num_queries(12):
        response = client.get("/")

    assert response.status_code == 200
    assert response.content.decode().count("/card.pdf") == 12


@pytest.mark.django_db
def test_it_answers_head_as_it_answers_get(client, clerk):
    assert client.head("/").status_code == 302  # to the login page, as GET does
    client.force_login(clerk)
    response = client.head("/")
    assert response.status_code == 200 and response.content == b""
    assert client.post("/").status_code == 405


# --- issue 29, item 7: the administrator's waiting 附件1 requests, on the home page and in the menu ----


@pytest.mark.django_db
def test_the_administrator_sees_the_waiting_requests_on_the_home_page_and_in_the_menu(
    client, clerk, django_assert_max_num_queries
):
    for index in range(2):
        factories.operator_make(
            username=f"waiting{index}",
            hospital=clerk.operator.hospital,
            access=Operator.Access.REQUESTED,
            id_number=factories.id_number(born="19900101", order=f"{index + 1:02d}4"),
        )
    administrator = factories.user_make("admin", is_staff=True)
    client.force_login(administrator)
    client.get("/")  # warm the session

    with django_assert_max_num_queries(8):
        html = client.get("/").content.decode()

    home = html.split("<main")[1]
    assert "有 <strong>2</strong> 名经办人员的模块权限开通申请（附件1）待处理" in home
    assert 'href="/operators/?access=requested"' in home
    menu = html.split("<main")[0]
    assert 'href="/operators/?access=requested" data-pending-requests="2"' in menu
    assert '2<span class="visually-hidden"> 个开通申请待处理</span>' in menu


@pytest.mark.django_db
def test_no_waiting_request_shows_no_count_and_hospital_staff_never_see_one(client, clerk):
    administrator = factories.user_make("admin", is_staff=True)
    client.force_login(administrator)
    quiet = client.get("/").content.decode()
    factories.operator_make(
        username="waiting",
        hospital=clerk.operator.hospital,
        access=Operator.Access.REQUESTED,
        id_number=factories.id_number(born="19900101", order="014"),
    )
    supervisor = factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born="19800101", order="035"),
    ).user
    client.force_login(supervisor)
    staff = client.get("/").content.decode()

    assert "没有待处理的模块权限开通申请" in quiet and "data-pending-requests" not in quiet
    assert "data-pending-requests" not in staff and "开通申请（附件1）待处理" not in staff


@pytest.mark.django_db
def test_a_withdrawn_clerk_is_told_it_was_withdrawn_and_whom_to_ask(client, clerk):
    from registration.services.operators import operator_access_decide

    administrator = factories.user_make("admin", is_staff=True)
    operator_access_decide(operator=clerk.operator, decision="withdraw", user=administrator, reason="调岗")
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert "被医保中心撤销（当前状态：已撤销）" in html
    assert "请联系本院主管，由主管按附件1向医保中心重新申请开通" in html
    assert "尚未开通" not in html
