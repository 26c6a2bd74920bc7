"""selectors/reports.py: the report's counts, shares and medians per period, hospital, city and agency."""

from datetime import date, timedelta

import pytest

from registration.selectors import newborn_list_for_user
from registration.selectors.reports import median_from_histogram, period_start, report_build
from registration.services.lifecycle import payment_record
from tests.registration.reports_cohort import MONDAY, paid, registered

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("histogram", "median"),
    [
        ({}, None),
        ({3: 1}, 3),
        ({0: 1, 2: 1, 5: 1}, 2),  # odd: the middle one
        ({0: 1, 2: 1, 5: 1, 9: 1}, 3.5),  # even: the mean of the middle two
        ({1: 3, 9: 1}, 1),
        ({0: 2, 10: 2}, 5),
        ({4: 1, 1: 1}, 2.5),  # the keys' order does not matter
    ],
)
def test_median_from_histogram(histogram, median):
    assert median_from_histogram(histogram) == median


def test_period_start_is_the_day_or_the_monday_of_its_week():
    assert period_start(date(2026, 3, 5), "day") == date(2026, 3, 5)
    assert period_start(date(2026, 3, 5), "week") == date(2026, 3, 2)
    assert period_start(date(2026, 3, 8), "week") == date(2026, 3, 2)


def test_report_counts_registrations_per_day_with_the_empty_days(clerk, cohort):
    report = report_build(
        newborns=newborn_list_for_user(user=clerk), date_from=MONDAY, date_to=MONDAY + timedelta(days=13)
    )

    assert len(report.series) == 14
    assert report.series[0] == (MONDAY, 2)
    assert report.series[1] == (MONDAY + timedelta(days=1), 0)
    assert report.series[2] == (MONDAY + timedelta(days=2), 1)
    assert report.series[9] == (MONDAY + timedelta(days=9), 1)
    assert sum(value for _, value in report.series) == 4


def test_report_counts_registrations_per_week_from_monday(clerk, cohort):
    report = report_build(
        newborns=newborn_list_for_user(user=clerk),
        date_from=MONDAY - timedelta(days=1),
        date_to=MONDAY + timedelta(days=13),
        granularity="week",
    )

    assert report.series == [
        (MONDAY - timedelta(days=7), 1),
        (MONDAY, 3),
        (MONDAY + timedelta(days=7), 1),
    ]


def test_report_shares_by_state_and_the_median_with_an_odd_number_of_payments(clerk, cohort):
    report = report_build(
        newborns=newborn_list_for_user(user=clerk), date_from=MONDAY, date_to=MONDAY + timedelta(days=13)
    )

    counts = report.counts
    assert (counts.total, counts.paid, counts.formalized, counts.void, counts.registered) == (4, 2, 1, 1, 0)
    assert counts.ever_paid == 3
    assert counts.share("ever_paid") == 0.75
    assert counts.percents["void"] == "25.0%"
    assert report.payments_counted == 3
    assert report.median_days_to_payment == 2  # 0, 2, 5 days: the outside record's 30 is not counted


def test_report_median_with_an_even_number_of_payments_counts_only_the_first_payment(clerk, cohort):
    late = registered(clerk, 5, MONDAY + timedelta(days=3))[0]
    paid(late, clerk, 9)
    second_payment_day = late.birth.registered_on + timedelta(days=10)
    payment_record(
        newborn=late, user=clerk, paid_on=second_payment_day, years=[2027], today=second_payment_day
    )

    report = report_build(
        newborns=newborn_list_for_user(user=clerk), date_from=MONDAY, date_to=MONDAY + timedelta(days=13)
    )

    assert report.payments_counted == 4
    assert report.median_days_to_payment == 3.5  # 0, 2, 5, 9


def test_report_of_an_empty_period_has_no_median_and_no_shares(clerk):
    report = report_build(newborns=newborn_list_for_user(user=clerk), date_from=MONDAY, date_to=MONDAY)

    assert report.counts.total == 0
    assert report.median_days_to_payment is None
    assert report.counts.share("paid") is None
    assert report.counts.percents["paid"] == "—"


def test_report_breaks_down_by_hospital(clerk, foreign_clerk, administrator, cohort):
    foreign = registered(foreign_clerk, 6, MONDAY + timedelta(days=1))
    paid(foreign[0], foreign_clerk, 7)

    report = report_build(
        newborns=newborn_list_for_user(user=administrator),
        date_from=MONDAY,
        date_to=MONDAY + timedelta(days=13),
        per_hospital=True,
    )

    assert report.counts.total == 5
    by_name = {item.hospital_name: item for item in report.hospitals}
    assert by_name["南宁市第一人民医院"].counts.total == 4
    assert by_name["南宁市第一人民医院"].median_days_to_payment == 2
    assert by_name["桂林市人民医院"].counts.total == 1
    assert by_name["桂林市人民医院"].counts.ever_paid == 1
    assert by_name["桂林市人民医院"].median_days_to_payment == 7
    assert report.median_days_to_payment == 3.5  # 0, 2, 5, 7 across both


def test_report_runs_a_fixed_number_of_queries_whatever_the_rows(
    clerk, administrator, cohort, django_assert_num_queries
):
    arguments = {"date_from": MONDAY, "date_to": MONDAY + timedelta(days=13)}
    with django_assert_num_queries(2):  # the series; the states and days to payment by hospital
        report_build(newborns=newborn_list_for_user(user=clerk), **arguments)
    for index in range(10, 30):
        newborn = registered(clerk, index, MONDAY + timedelta(days=index % 10))[0]
        paid(newborn, clerk, index % 7)
    with django_assert_num_queries(2):
        report = report_build(newborns=newborn_list_for_user(user=clerk), **arguments)
    everything = newborn_list_for_user(user=administrator)  # asking who the user is is one query
    with django_assert_num_queries(3):  # and the hospitals' names; the whole is the sum of the hospitals'
        by_hospital = report_build(newborns=everything, per_hospital=True, **arguments)
    assert report.counts.total == 24
    whole = report_build(newborns=everything, **arguments)
    assert by_hospital.counts == whole.counts and by_hospital.series == whole.series
    assert (by_hospital.median_days_to_payment, by_hospital.payments_counted) == (
        whole.median_days_to_payment,
        whole.payments_counted,
    )


def test_report_totals_by_city_and_by_agency(clerk, administrator, cohort, guilin):
    report = report_build(
        newborns=newborn_list_for_user(user=administrator),
        date_from=MONDAY,
        date_to=MONDAY + timedelta(days=13),
        per_place=True,
    )

    cities = {place.name: place.counts for place in report.cities}
    assert [place.name for place in report.cities] == ["南宁市", "桂林市"]  # the largest first
    assert (cities["南宁市"].total, cities["南宁市"].ever_paid, cities["南宁市"].void) == (4, 3, 1)
    assert (cities["桂林市"].total, cities["桂林市"].ever_paid) == (2, 1)
    agencies = {place.name: place.counts.total for place in report.agencies}
    assert agencies == {"南宁市医疗保障事业管理中心": 4, "桂林市医疗保障事业管理中心": 2}
    assert sum(agencies.values()) == report.counts.total


def test_report_by_place_runs_two_more_queries(
    clerk, administrator, cohort, guilin, django_assert_num_queries
):
    everything = newborn_list_for_user(user=administrator)
    arguments = {"date_from": MONDAY, "date_to": MONDAY + timedelta(days=13)}
    list(everything[:1])  # who the user is: asked once
    with django_assert_num_queries(4):
        report_build(newborns=everything, per_place=True, **arguments)
