"""The card's shipped fonts (cards/fonts): complete, simplified, licensed, and embedded as subsets.

Only the comparison with the source font needs fonts-noto-cjk, and only the exact 通用规范汉字表 check needs
unicode-data; both skip without them. Everything else reads the shipped files alone.
"""

import io
import logging
import lzma
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.statisticsPen import StatisticsPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.text.ffi import harfbuzz_subset
from weasyprint.text.fonts import FontConfiguration

ROOT = Path(__file__).resolve().parents[2]
FONTS_DIR = ROOT / "cards" / "fonts"
STYLES = ("Regular", "Bold")
FAMILY = "Card Sans SC"
# The 8,105 characters of Unihan's kTGHZ2013 field (unicode-data 15.0.0-1), in code point order.
TGHZ2013 = Path(__file__).resolve().parent / "data" / "tghz2013.txt"
# Outlines of the source's Regular faces (fonts-noto-cjk 1:20220127+repack1-1): area and bounds in font units.
# 直 and 骨 are drawn differently in simplified Chinese and Japanese.
SOURCE_SHAPES = {
    "直": {"SC": (333088.0, (46, -43, 956, 841)), "JP": (329761.5, (62, -81, 950, 843))},
    "骨": {"SC": (309782.85, (79, -80, 921, 797)), "JP": (302442.2, (79, -80, 921, 797))},
}
GUANGXI_DIVISIONS = ROOT / "registration" / "data" / "divisions" / "guangxi"
NAME_TEXT = "禤覃韦农蒙\U00020bb7之女"  # 𠮷 is outside the BMP and outside the 通用规范汉字表


def font_path(style: str) -> Path:
    return FONTS_DIR / f"CardSansSC-{style}.ttf"


@pytest.fixture(scope="module")
def charset() -> list[int]:
    codepoints = []
    for line in (FONTS_DIR / "charset.txt").read_text(encoding="utf-8").split("\n")[:-1]:
        code, char = line.split("\t")
        assert code == f"U+{ord(char):04X}", line
        codepoints.append(ord(char))
    return codepoints


@pytest.fixture(scope="module", params=STYLES)
def font(request) -> TTFont:
    return TTFont(font_path(request.param))


def is_ideograph(cp: int) -> bool:
    return 0x3400 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x3134F


def test_charset_lists_each_code_point_once_in_order(charset):
    assert charset == sorted(set(charset))


def test_charset_holds_the_guangxi_surnames_and_names_beyond_the_table(charset):
    kept = set(charset)
    for char in "禤覃韦农蒙䶮\U00020bb7·〇":
        assert ord(char) in kept, char
    assert sum(1 for cp in charset if is_ideograph(cp)) >= 8105


def test_charset_holds_every_character_of_the_tonggui_table(charset):
    tghz = TGHZ2013.read_text(encoding="utf-8").rstrip("\n")
    assert len(tghz) == len(set(tghz)) == 8105
    assert {ord(char) for char in tghz} <= set(charset)


@pytest.mark.skipif(not GUANGXI_DIVISIONS.exists(), reason="no Guangxi division data")
def test_charset_holds_every_character_of_the_guangxi_division_names(charset):
    kept = set(charset)
    text = ""
    for path in GUANGXI_DIVISIONS.glob("*.csv.xz"):
        with lzma.open(path, "rt", encoding="utf-8") as lines:
            text += lines.read()
    private_use = range(0xE000, 0xF900)  # placeholders for characters Unicode lacks: no font can help
    missing = {char for char in text if ord(char) not in kept and ord(char) not in private_use} - {"\n"}
    assert not missing


def test_font_maps_every_charset_code_point_to_a_drawn_glyph(font, charset):
    cmap = font.getBestCmap()
    assert set(charset) <= set(cmap)
    loca = font["loca"]  # an empty glyph has no outline bytes: its offset equals the next one's
    blank = [cp for cp in charset if is_ideograph(cp) and not outline_size(font, loca, cmap[cp])]
    assert not blank


def outline_size(font: TTFont, loca, glyph_name: str) -> int:
    gid = font.getGlyphID(glyph_name)
    return loca[gid + 1] - loca[gid]


def test_font_is_renamed_so_it_is_not_taken_for_noto(font):
    name = font["name"]
    assert name.getDebugName(1) == FAMILY
    assert name.getDebugName(6).startswith("CardSansSC-")
    assert not any("Noto" in (name.getDebugName(i) or "") for i in (1, 4, 6, 16))


def test_font_carries_the_ofl_licence(font):
    name = font["name"]
    assert "SIL Open Font License, Version 1.1" in name.getDebugName(13)
    assert "OFL" in name.getDebugName(14)
    assert "Adobe" in name.getDebugName(0)
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS_DIR / "OFL.txt").read_text(encoding="utf-8")


def test_font_has_no_glyph_substitution_so_the_forms_stay_simplified(font):
    # Noto's locl would swap in Japanese, Korean or traditional forms for other languages.
    assert "GSUB" not in font


def glyph_shape(font: TTFont, char: str) -> tuple[float, tuple]:
    glyph_set = font.getGlyphSet()
    glyph = glyph_set[font.getBestCmap()[ord(char)]]
    area, bounds = StatisticsPen(glyphset=glyph_set), BoundsPen(glyph_set)
    glyph.draw(area)
    glyph.draw(bounds)
    return abs(area.area), bounds.bounds


def test_glyphs_are_the_simplified_chinese_forms_of_the_source():
    shipped = TTFont(font_path("Regular"))
    for char, sources in SOURCE_SHAPES.items():
        area, bounds = glyph_shape(shipped, char)
        (sc_area, sc_bounds), (jp_area, _) = sources["SC"], sources["JP"]
        # Within the quadratic conversion's error: 0.2 % of the area, a unit of the bounds.
        assert abs(area - sc_area) < sc_area * 0.002, char
        assert all(abs(a - b) <= 1 for a, b in zip(bounds, sc_bounds, strict=True)), char
        assert abs(area - jp_area) > abs(area - sc_area) * 10, char


def card_pdf(text: str, lang: str = "zh-CN") -> bytes:
    html = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>
        @font-face {{ font-family: "{FAMILY}"; src: url({font_path("Regular").as_uri()}); }}
        @font-face {{ font-family: "{FAMILY}"; font-weight: bold; src: url({font_path("Bold").as_uri()}); }}
        body {{ font-family: "{FAMILY}"; }}
        </style></head><body><p>{text}</p><p><b>{text}</b></p></body></html>"""
    return HTML(string=html).write_pdf(font_config=FontConfiguration())


@pytest.fixture(scope="module")
def name_pdf() -> bytes:
    return card_pdf(NAME_TEXT)


def test_pdf_text_extracts_back_exactly_as_printed(name_pdf):
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=name_pdf, capture_output=True, check=True
    ).stdout.decode()
    assert text.split() == [NAME_TEXT, NAME_TEXT]


def test_pdf_embeds_only_subsets_of_the_card_fonts(name_pdf):
    fonts = PdfReader(io.BytesIO(name_pdf)).pages[0]["/Resources"]["/Font"].values()
    embedded = []
    for font in (ref.get_object() for ref in fonts):
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        assert font["/BaseFont"].split("+")[1].startswith(FAMILY.replace(" ", "-"))
        glyf = program["glyf"]
        drawn = sum(1 for name in program.getGlyphOrder() if glyf[name].numberOfContours)
        embedded.append((program["name"].getDebugName(1), drawn))
    assert len(embedded) == 2  # regular and bold; no fallback font
    for family, drawn in embedded:
        assert family == FAMILY
        assert drawn <= len(set(NAME_TEXT)) + 1  # the subset: the name's glyphs and .notdef


def test_pdf_is_made_with_harfbuzz_subsetting(caplog):
    # Without libharfbuzz-subset0 WeasyPrint falls back to fontTools, many times slower on these fonts.
    assert harfbuzz_subset is not None
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        card_pdf("新生儿预参保登记卡")
    assert not [record.getMessage() for record in caplog.records]
