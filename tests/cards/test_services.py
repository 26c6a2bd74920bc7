"""render_cards: the card's rows in the PDF's text, its fonts, pages and size; which cards it refuses."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader

from cards import services
from cards.selectors import CARD_PREFETCH, CARD_RELATED
from cards.services import (
    CardStateError,
    CardTextError,
    card_context,
    card_refusal,
    render_cards,
)
from registration.models import Birth, Newborn
from registration.services import Sex
from registration.services.newborns import BabyInput, ParentInput
from tests.cards.helpers import (
    babies_prefetched,
    embedded_fonts,
    needs_pdftotext,
    page_count,
    pdf_pages_text,
    pdftotext,
    unsaved_birth,
    unsaved_newborn,
)
from tests.factories import FATHER_ID, MOTHER_ID, TODAY, register

BORN = TODAY - timedelta(days=4)  # 2026-02-26: the window's last day is 2026-05-25
MOTHER = ParentInput("禤秀兰", MOTHER_ID, "13877112345")
FATHER = ParentInput("覃建华", FATHER_ID, "13977154321")


def card_rows(birth: Birth, *, prefetch: bool = False) -> list[Newborn]:
    rows = Newborn.objects.select_related(*CARD_RELATED).filter(birth=birth).order_by("birth_order")
    return list(rows.prefetch_related(*CARD_PREFETCH) if prefetch else rows)


@pytest.fixture
def twins(clerk) -> list[Newborn]:
    """A girl and a boy, registered with the mother's ID; both parents' names have Guangxi surnames."""
    birth = register(
        clerk, mother=MOTHER, father=FATHER, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.MALE, BORN)]
    )
    return card_rows(birth)


@pytest.fixture
def twins_pdf(twins, django_assert_num_queries) -> bytes:
    with django_assert_num_queries(0):
        return render_cards(twins)


@needs_pdftotext
def test_it_prints_every_row_of_the_card_with_full_numbers(twins, twins_pdf):
    girl, boy = twins
    card = pdf_pages_text(twins_pdf)[0]
    assert "新生儿预参保登记卡" in card
    assert "姓名禤秀兰之女性别女出生日期2026年2月26日" in card
    assert f"新生儿编码{MOTHER_ID}X（末位为大写字母X）" in card and girl.temp_id == MOTHER_ID + "X"
    assert f"个人编号{girl.personal_number}出生顺序第1个" in card
    assert f"父亲覃建华身份证号{FATHER_ID}联系电话13977154321" in card
    assert f"母亲禤秀兰身份证号{MOTHER_ID}联系电话13877112345" in card
    assert "出生医院南宁市第一人民医院" in card
    # The two-line 参保地 cell: its label sits between its lines in the extracted text.
    assert "新竹社区参保地参保所属机构：南宁市医疗保障事业管理中心" in card
    assert "参保日期2026年3月2日有效期至2026年5月25日" in card
    assert "登记医院：南宁市第一人民医院" in card


@needs_pdftotext
def test_it_prints_both_remarks_of_attachment_4_with_the_last_valid_day(twins_pdf):
    card = pdf_pages_text(twins_pdf)[0]
    assert "备注" in card
    assert "".join(services.REMARK_VALIDITY.format(last_day="2026年5月25日").split()) in card
    assert "出生三个月内有效（有效期至2026年5月25日）" in card
    assert "".join(services.REMARK_FORMAL_ENROLLMENT.split()) in card


@needs_pdftotext
def test_it_gives_each_twin_its_card_then_its_notice(twins, twins_pdf):
    pages = pdf_pages_text(twins_pdf)
    assert len(pages) == 4
    card, notice, boy_card, boy_notice = pages
    assert "禤秀兰之女" in card and "新生儿参保缴费告知书" in notice and twins[0].temp_id in notice
    assert f"新生儿编码{MOTHER_ID}Y" in boy_card and "姓名禤秀兰之子性别男" in boy_card
    assert twins[1].temp_id in boy_notice


@needs_pdftotext
def test_the_issuer_is_named_alike_on_the_card_and_the_notice(twins_pdf):
    card, notice = pdf_pages_text(twins_pdf)[:2]
    assert "登记医院：南宁市第一人民医院" in card and "登记医院：南宁市第一人民医院" in notice
    assert "登记机构" not in card + notice


@needs_pdftotext
def test_twins_codes_extract_exactly_and_the_lowercase_letter_is_spelled_out(clerk):
    birth = register(clerk, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.FEMALE, BORN)])
    first, second = card_rows(birth, prefetch=True)
    assert (first.temp_id, second.temp_id) == (MOTHER_ID + "X", MOTHER_ID + "x")
    pdf = render_cards([second], with_notice=True)
    # Raw extraction (no whitespace removed): the letter's shading adds no space inside the code.
    raw = pdftotext(pdf)
    assert raw.count(second.temp_id) == 3  # the card, the notice's header and its section 三
    assert MOTHER_ID + " x" not in raw
    reader_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert second.temp_id in reader_text
    card = pdf_pages_text(pdf)[0]
    assert f"新生儿编码{MOTHER_ID}x（末位为小写字母x）" in card
    assert "出生顺序双胞胎第2个" in card


def test_the_birth_order_needs_the_babies_prefetched_to_say_twins(clerk, django_assert_num_queries):
    birth = register(clerk, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.FEMALE, BORN)])
    prefetched, plain = card_rows(birth, prefetch=True), card_rows(birth)
    with django_assert_num_queries(0):
        assert card_context(prefetched[1], today=TODAY)["birth_order"] == "双胞胎第2个"
        assert card_context(plain[1], today=TODAY)["birth_order"] == "第2个"
        render_cards(prefetched, with_notice=False)


def test_a_single_babys_card_leaves_out_the_birth_order_when_it_is_known(clerk):
    [single] = card_rows(register(clerk), prefetch=True)
    assert card_context(single, today=TODAY)["birth_order"] == ""
    birth = unsaved_birth()
    triplets = babies_prefetched([unsaved_newborn(birth=birth, birth_order=order) for order in (1, 2, 3)])
    assert card_context(triplets[2], today=date(2025, 1, 3))["birth_order"] == "三胞胎第3个"


@needs_pdftotext
def test_the_id_parent_without_a_phone_gets_the_records_phone(clerk):
    birth = register(
        clerk,
        parent_role="father",
        mother=ParentInput("禤秀兰", MOTHER_ID, ""),
        father=ParentInput("覃建华", FATHER_ID, ""),
        babies=[BabyInput(Sex.MALE, BORN)],
        phone="13912345678",
    )
    card = pdf_pages_text(render_cards(card_rows(birth), with_notice=False))[0]
    assert f"新生儿编码{FATHER_ID}Y" in card and "姓名覃建华之子" in card
    assert f"父亲覃建华身份证号{FATHER_ID}联系电话13912345678" in card
    assert f"母亲禤秀兰身份证号{MOTHER_ID}联系电话—" in card  # not the ID parent: unknown stays unknown


@needs_pdftotext
def test_an_unknown_father_prints_dashes_never_an_empty_cell(clerk):
    birth = register(clerk, mother=MOTHER, father=ParentInput())
    card = pdf_pages_text(render_cards(card_rows(birth), with_notice=False))[0]
    assert "父亲—身份证号—联系电话—" in card


@needs_pdftotext
def test_a_birth_certificate_number_is_labelled_cleanly_on_the_card_and_the_notice():
    newborn = unsaved_newborn(temp_id=None, birth_certificate_number="R450123456")
    newborn.birth.route = Birth.Route.BIRTH_CERTIFICATE
    pdf = render_cards([newborn], today=date(2025, 1, 3))
    layout = pdftotext(pdf, layout=True)
    # The label is one word on one line; the kind of number goes under the number itself.
    assert "新生儿编码   R450123456" in layout or "新生儿编码  R450123456" in layout
    card, notice = pdf_pages_text(pdf)
    assert "新生儿编码R450123456出生医学证明编号" in card
    assert "新生儿编码（出生医学证明编号）：R450123456" in notice
    assert "用出生医学证明编号绑定宝宝" in notice


def test_it_prints_one_page_per_card_without_the_notice(twins):
    for size in ("A4", "A6"):
        reader = PdfReader(io.BytesIO(render_cards(twins, with_notice=False, page_size=size)))
        assert len(reader.pages) == 2, size


def test_a6_gives_each_card_one_page_and_its_notice_two(twins):
    reader = PdfReader(io.BytesIO(render_cards(twins, page_size="A6")))
    assert len(reader.pages) == 6
    width, height = (float(value) * 25.4 / 72 for value in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (148, 105)  # A6, landscape


def test_a4_pages_are_a4(twins_pdf):
    width, height = (
        float(value) * 25.4 / 72 for value in PdfReader(io.BytesIO(twins_pdf)).pages[0].mediabox[2:]
    )
    assert (round(width), round(height)) == (210, 297)


def test_the_pdf_embeds_one_subset_of_card_sans_sc_and_nothing_else(twins):
    for size in ("A4", "A6"):
        names = embedded_fonts(render_cards(twins, page_size=size))
        assert len(names) == 1, names  # one weight: the regular
        subset_tag, family = names.pop().lstrip("/").split("+")
        assert len(subset_tag) == 6 and family.startswith("Card-Sans-SC"), family


def test_one_cards_pdf_is_under_60_kb(twins):
    assert len(render_cards(twins[:1], with_notice=False)) < 60 * 1024


def test_it_reuses_one_font_configuration_and_stylesheet_per_process(twins):
    render_cards(twins[:1], with_notice=False)
    style = services.card_style()
    render_cards(twins[:1], with_notice=False)
    assert services.card_style() is style


def test_it_loads_only_the_shipped_fonts_by_file_url():
    files = services.shipped_font_files()
    assert set(files) == {400, 700}
    assert all(
        path.parent == services.FONT_DIR and path.suffix in {".ttf", ".otf"} for path in files.values()
    )
    rules = services.font_face_css(files)
    assert rules.count("@font-face") == 2 and rules.count('font-family: "Card Sans SC"') == 2
    assert all(path.as_uri() in rules for path in files.values())


def test_a_missing_font_is_a_configuration_error(monkeypatch, tmp_path):
    monkeypatch.setattr(services, "FONT_DIR", tmp_path)
    with pytest.raises(ImproperlyConfigured, match="CardSansSC-Regular"):
        services.shipped_font_files()


def test_it_refuses_to_start_without_harfbuzz_subsetting(monkeypatch):
    import weasyprint.text.ffi

    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    with pytest.raises(ImproperlyConfigured, match="libharfbuzz-subset0"):
        services.harfbuzz_subset_check()


def test_it_rejects_an_unknown_page_size_and_an_empty_list(twins):
    with pytest.raises(ValueError, match="page_size"):
        render_cards(twins, page_size="A5")
    with pytest.raises(ValueError):
        render_cards([])


# --- which cards are refused --------------------------------------------------------------------------


@pytest.mark.parametrize("state", [Newborn.State.REGISTERED, Newborn.State.PAID])
def test_a_registered_or_paid_card_prints_up_to_its_last_day(state):
    newborn = unsaved_newborn(state=state, benefit_start=date(2025, 1, 2))
    assert newborn.last_day == date(2025, 4, 1)
    assert card_refusal(newborn, today=date(2025, 4, 1)) is None
    assert page_count(render_cards([newborn], with_notice=False, today=date(2025, 4, 1))) == 1


def test_a_void_card_is_refused():
    refusal = card_refusal(unsaved_newborn(state=Newborn.State.VOID), today=date(2025, 1, 3))
    assert isinstance(refusal, CardStateError) and refusal.reason == "void"
    assert "已作废" in str(refusal)


def test_a_formally_enrolled_babys_card_is_refused_for_the_real_id():
    newborn = unsaved_newborn(state=Newborn.State.FORMALIZED, benefit_start=date(2025, 1, 2))
    with pytest.raises(CardStateError) as refused:
        render_cards([newborn], today=date(2025, 1, 10))
    assert refused.value.reason == "formalized" and refused.value.newborn is newborn
    message = str(refused.value)
    assert "已办理正式参保登记" in message
    assert all(word in message for word in ("居民身份证", "医保电子凭证", "社会保障卡"))


def test_a_card_past_its_last_day_is_refused_with_the_day_it_expired():
    newborn = unsaved_newborn(state=Newborn.State.PAID, benefit_start=date(2025, 1, 2))
    with pytest.raises(CardStateError) as refused:
        render_cards([newborn], today=date(2025, 4, 2))
    assert refused.value.reason == "expired"
    assert str(refused.value).startswith(
        "登记卡在出生后3个月内有效，已于2025年4月2日过期（有效期至2025年4月1日）"
    )
    assert "办理正式参保登记" in str(refused.value)


def test_render_cards_uses_the_local_date_when_not_told_the_day(monkeypatch):
    newborn = unsaved_newborn()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2025, 4, 2))
    with pytest.raises(CardStateError):
        render_cards([newborn])


def test_text_the_font_cannot_draw_is_refused_before_rendering_naming_record_and_characters(monkeypatch):
    newborn = unsaved_newborn(name="𠮷秀兰之女")
    newborn.birth.mother_name = "𠮷秀兰"
    newborn.birth.birth_hospital_name = "龘龘医院😀"
    rendered = []
    monkeypatch.setattr(services, "html_to_pdf", lambda *args, **kwargs: rendered.append(args))
    with pytest.raises(CardTextError) as refused:
        render_cards([newborn, unsaved_newborn(personal_number="4501000002")], today=date(2025, 1, 3))
    assert rendered == []
    error = refused.value
    assert isinstance(error, ValueError) and error.newborn is newborn
    assert error.characters == ["龘", "😀"]  # 𠮷 is in the font
    assert error.problems == [(newborn, {"出生医院": ["龘", "😀"]})]
    assert "「𠮷秀兰之女」（个人编号4501000001）的出生医院中的「龘」、「😀」" in str(error)
    assert "空白方框" in str(error)


def test_card_refusal_reports_text_problems_of_a_valid_card():
    newborn = unsaved_newborn()
    newborn.birth.father_name = "王龘"
    refusal = card_refusal(newborn, today=date(2025, 1, 3))
    assert isinstance(refusal, CardTextError) and refusal.problems[0][1] == {"父亲姓名": ["龘"]}


def test_a_layout_that_does_not_fit_its_pages_is_refused_not_printed(monkeypatch):
    # A part laid out on more pages than it must (here: the rule asks a card for none) is an error.
    monkeypatch.setattr(services, "CARD_PAGES", 0)
    with pytest.raises(services.CardLayoutError, match="card-1占1页，应为0页"):
        render_cards([unsaved_newborn()], with_notice=False, today=date(2025, 1, 3))


@needs_pdftotext
def test_guangxi_surnames_and_characters_beyond_the_table_print_as_themselves():
    newborn = unsaved_newborn(name="𠮷秀兰之女")
    newborn.birth.mother_name, newborn.birth.father_name = "𠮷秀兰", "禤覃韦农蒙"
    pdf = render_cards([newborn], with_notice=False, today=date(2025, 1, 3))
    card = pdf_pages_text(pdf)[0]
    assert "姓名𠮷秀兰之女" in card and "父亲禤覃韦农蒙" in card and "母亲𠮷秀兰" in card
