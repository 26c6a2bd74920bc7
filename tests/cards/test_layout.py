"""Every card fits one page, and every notice its pages, whatever the registration form accepts.

The limits: a parent's name up to 50 characters (RegisterForm and Birth.*_name), so a baby's name up to
52 (Newborn.name allows 60); the birth hospital up to 100 (the form and Birth.birth_hospital_name); a
hospital's and an agency's name up to 100 (their models); a phone up to 20 (the model; the validator
stores at most 16). A community's full name comes from the division data, whose longest in Guangxi is
34 characters: tested at 80 (Division.full_name allows 255, which together with every other text at its
longest no longer fits an A6 card). A long text gets a smaller font (cards.content.fit_class), one size
per range of lengths: the lengths tested are the longest of each range, where a card is tallest.
"""

from datetime import date

import pytest

from cards.content import FIT_SCALES, NAME_WIDTH, fit_scale
from cards.services import render_cards
from registration.models import Birth, Newborn
from registration.rules import pre_enrollment_last_day
from tests.cards.helpers import needs_pdftotext, page_count, pdftotext, unsaved_birth, unsaved_newborn

BORN = date(2025, 12, 5)  # the window runs into 2026: the notice's longest variant
PRINTED_ON = date(2025, 12, 8)
PAGES_PER_BABY = {"A4": 2, "A6": 3}  # the card, then its notice (one A4 page, two A6 pages)
MINORITY_NAME = "阿依古丽·买买提艾力"


def longest_name_of_each_size(width: float, lines: float, limit: int) -> list[int]:
    """The longest length (up to `limit`) that fit_scale sets at each of FIT_SCALES."""
    lengths = {}
    for length in range(1, limit + 1):
        lengths[fit_scale("禤" * length, width, lines)] = length
    return sorted(lengths.values())


PARENT_NAME_LENGTHS = longest_name_of_each_size(NAME_WIDTH, 2.4, 50)


def family(parent_name: str, **overrides) -> Newborn:
    """A Nanning registration with every other text at its longest: the tallest card and notice."""
    birth = unsaved_birth(
        mother_name=parent_name,
        father_name=parent_name.replace("禤", "覃"),
        mother_phone="+8529123456789012345",
        father_phone="+8529123456789012345",
        birth_hospital_name="南" * 100,
        hospital_name="宁" * 100,
        community=("450103001001", "区" * 80),
        registered_on=PRINTED_ON,
    )
    birth.agency.name = "机" * 100
    fields = {"name": parent_name + "之女", "special_group": "poverty_monitored"}
    fields.update(overrides)
    return unsaved_newborn(born=BORN, birth=birth, **fields)


def test_the_lengths_tested_cover_every_font_size_up_to_the_forms_limit():
    assert PARENT_NAME_LENGTHS[-1] == 50
    assert len(PARENT_NAME_LENGTHS) >= 3 and len(PARENT_NAME_LENGTHS) <= len(FIT_SCALES)


@pytest.mark.parametrize("page_size", ["A6", "A4"])
@pytest.mark.parametrize("length", PARENT_NAME_LENGTHS)
def test_the_longest_names_of_each_size_keep_each_card_on_one_page(page_size, length):
    newborn = family("禤" * length)
    pdf = render_cards([newborn, newborn], page_size=page_size, today=PRINTED_ON)
    assert page_count(pdf) == 2 * PAGES_PER_BABY[page_size]
    assert page_count(render_cards([newborn], with_notice=False, page_size=page_size, today=PRINTED_ON)) == 1


@pytest.mark.parametrize("page_size", ["A6", "A4"])
def test_the_models_limits_fit_too(page_size):
    # A baby's name at Newborn.name's 60 characters, Latin letters as wide as the font has them.
    newborn = family("W" * 50, name="禤" * 58 + "之女")
    assert (
        page_count(render_cards([newborn], page_size=page_size, today=PRINTED_ON))
        == PAGES_PER_BABY[page_size]
    )


# The paid notice's longest variants (docs/rules.md, Which days are covered): the next year still to pay
# (born 2025-12-05, paid for 2025 only), the birth year still to pay back (2026 only), and a premium for a
# year after the card's last day only (born 2025-06-05, paid for 2026 only).
PAID_VARIANTS = {
    "next_year_due": (BORN, BORN, date(2025, 12, 31), date(2025, 12, 20)),
    "birth_year_to_pay_back": (BORN, date(2026, 1, 1), date(2026, 12, 31), date(2026, 1, 5)),
    "card_covers_nothing": (date(2025, 6, 5), date(2026, 1, 1), date(2026, 12, 31), date(2025, 6, 20)),
}


@pytest.mark.parametrize("page_size", ["A6", "A4"])
@pytest.mark.parametrize("variant", list(PAID_VARIANTS))
def test_a_paid_babys_longest_notice_keeps_its_pages(page_size, variant):
    born, start, paid_until, today = PAID_VARIANTS[variant]
    newborn = family(
        "禤" * 50,
        state=Newborn.State.PAID,
        benefit_start=start,
        paid_until=paid_until,
        benefit_rule="在出生次年参保缴费但未补缴出生当年保费，只享受缴费当年待遇，自2026年1月1日起。",
    )
    newborn.birth_date = born
    newborn.last_day = pre_enrollment_last_day(born)
    pdf = render_cards([newborn], page_size=page_size, today=today)
    assert page_count(pdf) == PAGES_PER_BABY[page_size]


@needs_pdftotext
@pytest.mark.parametrize("page_size", ["A6", "A4"])
def test_a_wrapping_name_keeps_its_zhi_nv_together_and_never_starts_a_line_with_a_dot(page_size):
    for extra in range(0, 22):
        parent = MINORITY_NAME + "买" * extra
        newborn = unsaved_newborn(name=parent + "之女", birth=unsaved_birth(mother_name=parent))
        text = pdftotext(
            render_cards([newborn], with_notice=False, page_size=page_size, today=date(2025, 1, 3))
        )
        assert "之\n女" not in text, parent
        assert "\n·" not in text, parent
        assert "".join((parent + "之女").split()) in "".join(text.split())


@needs_pdftotext
@pytest.mark.parametrize("page_size", ["A6", "A4"])
def test_long_minority_names_print_whole_at_full_size(page_size):
    mother, father = MINORITY_NAME + "·吐尔逊·阿不都", "买买提艾力·阿不都热合曼·艾山"  # 18 and 15 characters
    birth = unsaved_birth(mother_name=mother, father_name=father)
    newborn = unsaved_newborn(name=mother + "之女", birth=birth)
    assert {fit_scale(name, NAME_WIDTH, 2.4) for name in (mother + "之女", father)} == {1.0}
    pdf = render_cards([newborn], page_size=page_size, today=date(2025, 1, 3))
    assert page_count(pdf) == PAGES_PER_BABY[page_size]
    text = "".join(pdftotext(pdf).split())
    assert f"姓名{mother}之女" in text and f"父亲{father}" in text and f"母亲{mother}" in text


@pytest.mark.parametrize("page_size", ["A6", "A4"])
def test_the_birth_certificate_routes_longest_notice_keeps_its_pages(page_size):
    newborn = family("禤" * 50, temp_id=None, birth_certificate_number="R450123456")
    newborn.birth.route = Birth.Route.BIRTH_CERTIFICATE
    assert (
        page_count(render_cards([newborn], page_size=page_size, today=PRINTED_ON))
        == PAGES_PER_BABY[page_size]
    )
