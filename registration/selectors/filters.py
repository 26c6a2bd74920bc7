"""The lists' filters (django-filter): each names what narrows a list, by already-cleaned values.

The pages' forms (registration.forms) parse what was typed; the selectors apply these filters, with the
values the forms cleaned, to the rows a user may see (registration.access), so the filters never parse
input nor decide who sees what.
"""

import django_filters
from django.db.models import Q, QuerySet

from registration.models import AuditEntry, Newborn, Operator
from registration.selectors.search import newborn_ids_of_resident_id, newborns_name_filter


class CleanedFilterSet(django_filters.FilterSet):
    """A FilterSet applied to values a form has already cleaned: it never builds a form of its own."""

    @classmethod
    def apply(cls, queryset: QuerySet, values: dict) -> QuerySet:
        """The queryset narrowed by already-cleaned values (the form's cleaned_data, or a part of it)."""
        filterset = cls(queryset=queryset)
        for name, value in values.items():
            queryset = filterset.filters[name].filter(queryset, value)
        return queryset


class NewbornFilter(CleanedFilterSet):
    """The registrations list's search (/newborns/, and the audit log's record lookup)."""

    name = django_filters.CharFilter(method="filter_name")
    personal_number = django_filters.CharFilter(field_name="personal_number")
    identity_number = django_filters.CharFilter(method="filter_identity_number")
    born_from = django_filters.DateFilter(field_name="birth_date", lookup_expr="gte")
    born_to = django_filters.DateFilter(field_name="birth_date", lookup_expr="lte")
    state = django_filters.ChoiceFilter(field_name="state", choices=Newborn.State.choices)
    # The registration's day (登记日期, as the list shows it): the births' (registered_on) and (hospital,
    # registered_on) indexes (tests/registration/test_province_scale.py reads the plans).
    registered_from = django_filters.DateFilter(field_name="birth__registered_on", lookup_expr="gte")
    registered_to = django_filters.DateFilter(field_name="birth__registered_on", lookup_expr="lte")

    class Meta:
        model = Newborn
        fields = []  # all declared above

    def filter_name(self, queryset, name, value):
        return newborns_name_filter(queryset, value)

    def filter_identity_number(self, queryset, name, value):
        # The temporary ID is compared with "=", never LIKE or iexact: …1234X and …1234x are two babies.
        if len(value) == 18:  # a parent's resident ID, or the baby's own after formal enrollment
            return queryset.filter(pk__in=newborn_ids_of_resident_id(value))
        return queryset.filter(Q(temp_id=value) | Q(birth_certificate_number=value))


class AuditFilter(CleanedFilterSet):
    """The audit log's filters, by the selector's names (the page's form names them for the user)."""

    at_from = django_filters.DateTimeFilter(field_name="at", lookup_expr="gte")
    at_before = django_filters.DateTimeFilter(field_name="at", lookup_expr="lt")
    action = django_filters.CharFilter(field_name="action")
    username = django_filters.CharFilter(field_name="username")
    usernames = django_filters.BaseInFilter(field_name="username")
    exclude_action = django_filters.CharFilter(field_name="action", exclude=True)
    hospital_id = django_filters.NumberFilter(field_name="hospital_id")
    newborn_id = django_filters.NumberFilter(field_name="newborn_id")

    class Meta:
        model = AuditEntry
        fields = []


class OperatorFilter(CleanedFilterSet):
    """The operators list's filters: a hospital, one access state, or any of several."""

    hospital_id = django_filters.NumberFilter(field_name="hospital_id")
    access = django_filters.CharFilter(field_name="access")
    access_in = django_filters.BaseInFilter(field_name="access")

    class Meta:
        model = Operator
        fields = []
