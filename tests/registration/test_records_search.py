"""Records search with a lowercase check character (issue 14, item 7): a parent's ID typed with `x` as its
18th character, then the baby's letter, is normalised as the registration page does (the 18th character
upper-cased, the letter's case kept), instead of refused as not 19 characters long."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from registration import validators
from registration.models import Sex
from registration.services.newborns import BabyInput, ParentInput
from tests import factories


def _id_ending_in_x() -> str:
    for order in range(2, 1000, 2):  # even: a woman's
        number = factories.id_number(born="19930808", order=f"{order:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no ID ending in X")  # pragma: no cover


MOTHER = _id_ending_in_x()


def test_the_check_character_is_upper_cased_and_the_letter_kept():
    lower = MOTHER[:17] + "x"
    assert validators.temp_id_validate(lower + "X") == MOTHER + "X"
    assert validators.temp_id_validate(lower + "x") == MOTHER + "x"
    assert validators.temp_id_validate(f" {lower}x ") == MOTHER + "x"
    with pytest.raises(ValidationError, match="共19位"):
        validators.temp_id_validate(lower + "a")  # a lower-case letter other than x and y stays refused


@pytest.mark.django_db
def test_the_records_list_finds_each_twin_with_a_lowercase_check_character(client, clerk):
    born = factories.TODAY - timedelta(days=4)
    birth = factories.register(
        clerk,
        mother=ParentInput("覃小梅", MOTHER, "13877112345"),
        babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.FEMALE, born)],
    )
    girl_x, girl_small_x = birth.newborns.order_by("birth_order")
    assert (girl_x.temp_id, girl_small_x.temp_id) == (MOTHER + "X", MOTHER + "x")
    client.force_login(clerk)

    for typed, expected in ((MOTHER[:17] + "xX", girl_x), (MOTHER[:17] + "xx", girl_small_x)):
        response = client.get("/newborns/", {"identity_number": typed})
        html = response.content.decode()
        assert response.status_code == 200 and "共19位" not in html, typed
        assert [row.newborn for row in response.context["rows"]] == [expected], typed
