"""No N+1: the registrations list and a registration's page run as many queries for many rows as for one."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registration.models import Sex
from registration.services.lifecycle import payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories

# Session, user, operator, the page's own reads and their counts: a bound well above today's count, which the
# equality checks below pin down exactly.
LIST_MAX_QUERIES = 15
DETAIL_MAX_QUERIES = 20


def _register_births(clerk_user, count: int, *, first: int = 0):
    """`count` births by different mothers (each its own parent row and letters), twins every other one."""
    births = []
    for index in range(first, first + count):
        babies = [BabyInput(Sex.FEMALE, factories.TODAY - timedelta(days=4))]
        if index % 2:
            babies.append(BabyInput(Sex.MALE, factories.TODAY - timedelta(days=4)))
        mother = ParentInput("王丽娟", factories.id_number(order=f"{100 + 2 * index:03d}"), "13877112345")
        births.append(factories.register(clerk_user, mother=mother, babies=babies))
    return births


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_list_runs_the_same_queries_for_one_row_and_for_many(
    client, clerk, django_assert_max_num_queries
):
    client.force_login(clerk)
    _register_births(clerk, 1)
    url = reverse("newborn_list")
    _queries(client, url)  # the first request warms the session and the content types
    one = _queries(client, url)
    _register_births(clerk, 14, first=1)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert _queries(client, url) == one


@pytest.mark.django_db
def test_a_registrations_page_runs_the_same_queries_for_one_baby_and_for_twins_with_payments(
    client, clerk, django_assert_max_num_queries
):
    client.force_login(clerk)
    single, twins = _register_births(clerk, 2)
    single_newborn = single.newborns.get()
    twin_girl, twin_boy = twins.newborns.order_by("birth_order")
    for newborn in (twin_girl, twin_boy):
        today = factories.TODAY
        payment_record(newborn=newborn, user=clerk, paid_on=today, years=[today.year], today=today)
    single_url = reverse("newborn_detail", args=[single_newborn.pk])
    twin_url = reverse("newborn_detail", args=[twin_girl.pk])
    _queries(client, single_url)
    one = _queries(client, single_url)
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
        response = client.get(twin_url)
    assert response.status_code == 200
    assert _queries(client, twin_url) == one
