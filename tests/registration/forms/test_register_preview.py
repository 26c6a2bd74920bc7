"""forms/register_preview.py: the live preview's query, parsed into typed values or refused."""

import pytest

from registration.forms.register_preview import PreviewForm
from registration.reference import Sex
from tests.factories import MOTHER_ID


def test_the_preview_query_parses_sexes_with_gaps():
    form = PreviewForm({"parent_id": MOTHER_ID.lower(), "sexes": "2,,1", "role": "mother"})

    assert form.is_valid()
    assert form.cleaned_data["sexes"] == [Sex.FEMALE, None, Sex.MALE]


@pytest.mark.parametrize(
    "query",
    [
        {"parent_id": "", "sexes": "2"},
        {"parent_id": MOTHER_ID, "sexes": "2,3"},
        {"parent_id": MOTHER_ID, "sexes": ",".join("2" * 9)},
        {"parent_id": MOTHER_ID, "role": "father"},
        {"parent_id": MOTHER_ID, "role": "aunt"},
        {"parent_id": "4" * 100_000},
    ],
)
def test_the_preview_query_refuses_garbage(query):
    assert not PreviewForm(query).is_valid()
