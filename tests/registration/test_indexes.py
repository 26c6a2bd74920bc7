"""Every foreign key of the registration models can be looked up through an index (migration 0009)."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def _leading_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        info["columns"][0]
        for info in constraints.values()
        if (info["index"] or info["unique"] or info["primary_key"]) and info["columns"]
    }


def test_every_foreign_key_leads_an_index():
    unindexed = []
    for model in apps.get_app_config("registration").get_models():
        leading = _leading_columns(model._meta.db_table)
        for field in model._meta.concrete_fields:
            if field.is_relation and field.column not in leading:
                unindexed.append(f"{model._meta.db_table}.{field.column}")
    assert unindexed == []


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("registration_birth", "hospital_id"),
        ("registration_newborn", "birth_id"),
        ("registration_newborn", "hospital_id"),
        ("registration_issuedtemporaryid", "parent_id"),
        ("registration_auditentry", "hospital_id"),
        ("registration_auditentry", "newborn_id"),
        ("registration_payment", "newborn_id"),
    ],
)
def test_no_single_column_index_repeats_a_composite_one(table, column):
    # These foreign keys are covered by a composite index that starts with them; their own index
    # only cost every registration a write.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    single = [name for name, info in constraints.items() if info["index"] and info["columns"] == [column]]
    composite = [
        name
        for name, info in constraints.items()
        if info["columns"][:1] == [column] and len(info["columns"]) > 1
    ]
    assert single == []
    assert composite
