"""Property tests: every form of the app turns any input into data or Chinese errors, never an exception.

The forms are found by walking the modules of registration.forms and registration.views, so a form added
later is covered too. Inputs are arbitrary Unicode (lone surrogates, controls and NUL included), huge strings,
lists of values, date-like and number-like text.
"""

import importlib
import inspect
import pkgutil
import re
from datetime import date

import pytest
from django import forms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import registration.forms
import registration.views
from registration.forms.register import BABY_PREFIX, RegisterForm, baby_formset
from tests import factories

CJK = re.compile(r"[\u4e00-\u9fff]")
# Keyword arguments the forms take beside their data.
FORM_KWARGS = {
    "AuditFilterForm": [{"administrator": True}, {"administrator": False}],
    "NewbornFilterForm": [{"administrator": True}, {"administrator": False}],
    "ReportForm": [{"today": date(2026, 3, 2)}],
    "QualityForm": [{"today": date(2026, 3, 2)}],
    "RegisterForm": [{"today": date(2026, 3, 2)}],
}


def _form_classes() -> list[type[forms.Form]]:
    modules = []
    for package in (registration.forms, registration.views):
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    found = {}
    for module in modules:
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found[name] = value
    return [found[name] for name in sorted(found)]


FORMS = _form_classes()

anything = st.characters(exclude_categories=())  # surrogates, controls, NUL, private use: all of it
texts = st.one_of(
    st.text(anything, max_size=60),
    st.text(st.sampled_from("0123456789-/.年月日 Xx"), max_size=24),  # date- and ID-like
    st.from_regex(r"\A-?\d{1,30}(\.\d{0,5})?\Z"),
    st.sampled_from(
        ["", " ", "NaN", "1e309", "2026-02-30", "2026-02-28", "450103199003070020X", "我" * 5000]
    ),
)
values = st.one_of(texts, st.lists(texts, min_size=2, max_size=3))


def _instances(form_class, data):
    for kwargs in FORM_KWARGS.get(form_class.__name__, [{}]):
        signature = inspect.signature(form_class.__init__)
        if "newborn" in signature.parameters:
            continue  # bound to a record: covered by the views' garbage test
        if "request" in signature.parameters:  # the login form: Django's, request first
            yield form_class(None, data, **kwargs)
            continue
        yield form_class(data, **kwargs)


def _assert_chinese_errors(form) -> None:
    for field, errors in form.errors.items():
        for message in errors:
            assert CJK.search(str(message)), f"{type(form).__name__}.{field}: {message!r}"


def _querydict(mapping):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in mapping.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS, ids=[form.__name__ for form in FORMS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_it_turns_any_input_into_data_or_chinese_errors(form_class, data):
    field_names = list(form_class.base_fields)
    mapping = data.draw(st.fixed_dictionaries({}, optional={name: values for name in field_names}))

    for form in _instances(form_class, _querydict(mapping)):
        valid = form.is_valid()

        if not valid:
            _assert_chinese_errors(form)
        assert valid is (not form.errors)


def test_it_found_the_forms_of_the_app():
    names = {form.__name__ for form in FORMS}

    assert {"RegisterForm", "BabyForm", "NewbornFilterForm", "AuditFilterForm"} <= names


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=texts,
    initial=texts,
    babies=st.lists(
        st.fixed_dictionaries({"sex": texts, "birth_date": texts, "birth_certificate_number": texts}),
        max_size=10,
    ),
    route=texts,
)
def test_it_parses_any_baby_formset(total, initial, babies, route):
    data = {f"{BABY_PREFIX}-TOTAL_FORMS": total, f"{BABY_PREFIX}-INITIAL_FORMS": initial}
    for index, baby in enumerate(babies):
        data.update({f"{BABY_PREFIX}-{index}-{key}": value for key, value in baby.items()})

    formset = baby_formset(_querydict(data), route=route)

    if formset.is_valid():
        assert 1 <= len(formset.baby_inputs()) <= 8
    else:
        messages = [str(m) for m in formset.non_form_errors()]
        messages += [str(m) for form in formset.forms for errors in form.errors.values() for m in errors]
        assert messages
        assert all(CJK.search(message) for message in messages), messages


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=texts, id_number=texts, phone=texts)
def test_it_keeps_a_valid_registration_valid_whatever_the_other_parent_holds(name, id_number, phone):
    factories.division_chain()
    valid = factories.register_post_data(community="", community_text="450103001001")
    form = RegisterForm(
        _querydict({**valid, "father_name": name, "father_id_number": id_number, "father_phone": phone})
    )

    if not form.is_valid():
        assert set(form.errors) <= {"father_name", "father_id_number", "father_phone", "__all__"}, form.errors
        _assert_chinese_errors(form)
