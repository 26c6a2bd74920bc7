"""render_cards: the card's rows and the notice's dates in the PDF's text, its fonts, pages and size."""

import io
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader

from cards import services
from cards.services import CARD_RELATED, card_context, render_cards
from registration.models import Birth, Division, Hospital, InsuranceAgency, Newborn
from registration.services import BabyInput, ParentInput, Sex
from tests import factories
from tests.factories import FATHER_ID, MOTHER_ID, TODAY, register

BORN = TODAY - timedelta(days=4)  # 2026-02-26: the window's last day is 2026-05-25
MOTHER = ParentInput("禤秀兰", MOTHER_ID, "13877112345")
FATHER = ParentInput("覃建华", FATHER_ID, "13977154321")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def pdf_pages_text(pdf: bytes) -> list[str]:
    """Each page's text in reading order (pdftotext -layout), whitespace removed: cells join, lines wrap."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return ["".join(page.split()) for page in text.split("\f")[:-1]]


def compact(text: str) -> str:
    return "".join(text.split())


def card_rows(birth: Birth) -> list[Newborn]:
    return list(Newborn.objects.select_related(*CARD_RELATED).filter(birth=birth).order_by("birth_order"))


@pytest.fixture
def clerk(db):
    factories.division_chain()
    factories.agency_make()
    return factories.operator_make().user


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
    assert f"新生儿编码{MOTHER_ID}X" in card and girl.temp_id == MOTHER_ID + "X"
    assert f"个人编号{girl.personal_number}" in card
    assert f"父亲覃建华身份证号{FATHER_ID}联系电话13977154321" in card
    assert f"母亲禤秀兰身份证号{MOTHER_ID}联系电话13877112345" in card
    assert "出生医院南宁市第一人民医院" in card
    # The two-line 参保地 cell: its label sits between its lines in the extracted text.
    assert "新竹社区参保地参保所属机构：南宁市医疗保障事业管理中心" in card
    assert "参保日期2026年3月2日" in card
    assert "有效期至2026年5月25日" in card
    assert "登记机构：南宁市第一人民医院" in card


@needs_pdftotext
def test_it_prints_both_remarks_of_attachment_4_with_the_last_valid_day(twins_pdf):
    card = pdf_pages_text(twins_pdf)[0]
    assert compact(services.REMARK_VALIDITY.format(last_day="2026年5月25日")) in card
    assert "出生三个月内有效（有效期至2026年5月25日）" in card
    assert compact(services.REMARK_FORMAL_ENROLLMENT) in card


@needs_pdftotext
def test_it_gives_each_twin_its_card_then_its_notice(twins, twins_pdf):
    pages = pdf_pages_text(twins_pdf)
    assert len(pages) == 4
    card, notice, boy_card, boy_notice = pages
    assert "禤秀兰之女" in card and "新生儿参保缴费告知书" in notice and twins[0].temp_id in notice
    assert f"新生儿编码{MOTHER_ID}Y" in boy_card and "姓名禤秀兰之子性别男" in boy_card
    assert twins[1].temp_id in boy_notice


@needs_pdftotext
def test_the_notice_tells_the_family_their_own_dates_and_what_to_do(twins_pdf):
    notice = pdf_pages_text(twins_pdf)[1]
    assert "请在2026年5月25日（含）前缴纳城乡居民基本医疗保险费" in notice
    for channel in (
        "“南宁医保”微信公众号",
        "“广西税务”微信公众号",
        "微信城市服务",
        "支付宝市民中心",
        "银联“云闪付”",
    ):
        assert channel in notice
    for channel in ("银行柜面（工商银行、农业银行", "农村金融服务点", "移动智能终端（POS机）", "办税服务厅"):
        assert channel in notice
    # Born and paid in the same year: from birth; after the window: three months from the payment.
    assert "在2026年5月25日（含）前缴费：从出生之日（2026年2月26日）起享受医保待遇" in notice
    assert "2026年5月26日缴费到账的，从2026年8月26日起才能享受待遇" in notice
    assert "有效期至2026年5月25日" in notice
    assert "及时办理户籍登记" in notice and "持登记卡和户口本到户籍所在地的医保经办机构" in notice
    assert "到2026年5月25日仍未缴费的，这次预参保登记信息作废" in notice
    assert "3个月待遇等待期" in notice


def test_the_notice_states_the_cross_year_rules_with_the_guides_example_dates():
    # The 2026 guide's example 2: born 2025-12-05, last day 2026-03-04.
    notice = card_context(unsaved_newborn(born=date(2025, 12, 5), registered_on=date(2025, 12, 8)))["notice"]
    assert notice["birth_year_payable"] and notice["birth_year_end"] == "2025年12月31日"
    assert notice["next_year"] == 2026 and notice["next_year_start"] == "2026年1月1日"
    assert notice["both_years_start"] == "2025年12月5日"
    assert notice["next_year_only_start"] == "2026年1月1日"
    assert (notice["late_paid_on"], notice["late_start"]) == ("2026年3月5日", "2026年6月5日")


def test_the_notice_drops_paying_in_the_birth_year_once_that_year_is_over():
    notice = card_context(unsaved_newborn(born=date(2025, 12, 5), registered_on=date(2026, 1, 3)))["notice"]
    assert not notice["birth_year_payable"] and notice["next_year"] == 2026


def test_the_card_names_a_birth_certificate_number_as_such_and_fills_unknown_parents():
    newborn = unsaved_newborn(born=date(2025, 1, 2), registered_on=date(2025, 1, 3))
    newborn.temp_id, newborn.birth_certificate_number = None, "R450123456"
    newborn.birth.father_name = newborn.birth.father_id_number = newborn.birth.father_phone = ""
    card = card_context(newborn)
    assert card["code"] == "R450123456" and card["code_note"] == "（出生医学证明编号）"
    assert card["notice"]["by_certificate"]
    father = card["parents"][0]
    assert (father.role, father.name, father.id_number, father.phone) == ("父亲", "—", "—", "—")
    assert card["last_day"] == "2025年4月1日" and card["notice"]["next_year"] is None


@needs_pdftotext
def test_an_unknown_father_prints_dashes_never_an_empty_cell(clerk):
    birth = register(clerk, mother=MOTHER, father=ParentInput())
    card = pdf_pages_text(render_cards(card_rows(birth), with_notice=False))[0]
    assert "父亲—身份证号—联系电话—" in card


def test_it_prints_one_page_per_card_without_the_notice(twins):
    for size in ("A4", "A6"):
        reader = PdfReader(io.BytesIO(render_cards(twins, with_notice=False, page_size=size)))
        assert len(reader.pages) == 2, size


def test_a6_fits_each_card_and_each_notice_on_one_card_sized_page(twins):
    reader = PdfReader(io.BytesIO(render_cards(twins, page_size="A6")))
    assert len(reader.pages) == 4
    width, height = (float(value) * 25.4 / 72 for value in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (148, 105)  # A6, landscape


def test_a4_pages_are_a4(twins_pdf):
    width, height = (
        float(value) * 25.4 / 72 for value in PdfReader(io.BytesIO(twins_pdf)).pages[0].mediabox[2:]
    )
    assert (round(width), round(height)) == (210, 297)


def test_the_pdf_embeds_only_subsets_of_card_sans_sc(twins_pdf):
    names = set()
    for page in PdfReader(io.BytesIO(twins_pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded
            names.add(str(font["/BaseFont"]))
    assert names
    for name in names:
        subset_tag, family = name.lstrip("/").split("+")
        assert len(subset_tag) == 6 and family.startswith("Card-Sans-SC"), name


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


def unsaved_newborn(*, born: date, registered_on: date) -> Newborn:
    """A card's rows without the database (the rules give the last day)."""
    from registration.services.rules import pre_enrollment_last_day

    birth = Birth(
        hospital=Hospital(pk=1, code="H1", name="南宁市第一人民医院"),
        community=Division(pk=1, code="450103001001", name="新竹社区", level=5, full_name="新竹社区"),
        agency=InsuranceAgency(pk=1, code="450100", name="南宁市医疗保障事业管理中心"),
        registered_on=registered_on,
        route=Birth.Route.PARENT_ID,
        parent_role=Birth.ParentRole.MOTHER,
        mother_name="禤秀兰",
        mother_id_number=MOTHER_ID,
        mother_phone="13877112345",
        father_name="覃建华",
        father_id_number=FATHER_ID,
        father_phone="13977154321",
        birth_hospital_name="南宁市第一人民医院",
    )
    return Newborn(
        birth=birth,
        name="禤秀兰之女",
        sex=Sex.FEMALE,
        birth_date=born,
        temp_id=MOTHER_ID + "X",
        personal_number="4501000001",
        last_day=pre_enrollment_last_day(born),
    )
