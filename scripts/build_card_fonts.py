"""Build the card's pre-subset CJK fonts (cards/fonts/CardSansSC-*.ttf) and their charset.txt.

Needs Debian's fonts-noto-cjk (the source font) and unicode-data (Unihan, for the character list):

    apt-get install fonts-noto-cjk unicode-data
    .venv/bin/python scripts/build_card_fonts.py

The same Debian packages and fontTools give the same files. cards/fonts/README.md says what is kept and why.
"""

import argparse
import bz2
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "cards" / "fonts"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCES = {
    "Regular": SOURCE_DIR / "NotoSansCJK-Regular.ttc",
    "Bold": SOURCE_DIR / "NotoSansCJK-Bold.ttc",
}
SOURCE_FAMILY = "Noto Sans CJK SC"
UNIHAN = Path("/usr/share/unicode")
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

# Neither "Noto" (a Google trademark) nor "Source" (Adobe's Reserved Font Name for Source Han Sans, the
# same design): a subset is a Modified Version under the OFL, and a distinct name keeps it from being
# taken for an installed Noto Sans CJK.
FAMILY = "Card Sans SC"
PS_FAMILY = "CardSansSC"
TGHZ_COUNT = 8105  # 通用规范汉字表 (2013): 3,500 + 3,000 + 1,605 characters

# Beyond the 通用规范汉字表, each one for a reason:
# - 𠮷 (U+20BB7), the 吉 with 土 on top, written in some family names;
# - 𫟷 (U+2B7F7), the one character of Unihan's GIDC source (the Ministry of Public Security's ID-card
#   system, 2009) that the source font has and the 通用规范汉字表 lacks;
# - the characters of Guangxi's division names (NBS 2023 codes, registration/data/divisions/guangxi) that
#   the 通用规范汉字表 lacks, since the card prints the enrollment place.
NAME_EXTRAS = "\U00020bb7\U0002b7f7"
GUANGXI_PLACE_EXTRAS = "乪咘囗崙帲掛枒槓淰濛珮琍砦硃篢耈迴\U00021336"
# Guangxi surnames the SPEC names that GB 2312's common level lacks (覃 is in its second level, 禤 not
# in GB 2312 at all): placed right after that level (glyph_order_by_use).
EARLY_SURNAMES = "覃禤"

# Punctuation and symbols of Chinese forms. REQUIRED_SYMBOLS must all be in the source font; of the
# OPTIONAL_RANGES whatever the source font has is kept.
REQUIRED_SYMBOLS = (
    "\u00a0¥§©®°±·×÷"  # no-break space; · (U+00B7) separates the parts of minority names
    "‐–—―‖‘’“”•…‧‰′″※"
    "℃№←↑→↓√∶≈≠≤≥"
    "■□▲△◆◇○◎●★☆✓・･"  # U+30FB and U+FF65: the other middle dots names are typed with
)
OPTIONAL_RANGES = (
    (0x2010, 0x203F),  # general punctuation
    (0x2160, 0x217F),  # Roman numerals
    (0x2460, 0x249B),  # ① ⑴ ⒈
    (0x3000, 0x303F),  # CJK symbols and punctuation, 〇 included
    (0xFF01, 0xFF5E),  # full-width ASCII
    (0xFFE0, 0xFFE6),  # full-width ￥ ￠ ￡ …
)
# Copyright, names, version, trademark, manufacturer, designer, URLs, licence and licence URL.
KEPT_NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14)
CU2QU_MAX_ERR = 1.0  # font units of 1,000 per em: 0.01 mm at 10 pt


def unihan_field(filename: str, field: str) -> dict[int, str]:
    """Code point -> value of one Unihan field, from Debian's unicode-data."""
    values = {}
    with bz2.open(UNIHAN / filename, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or f"\t{field}\t" not in line:
                continue
            codepoint, _, value = line.rstrip("\n").split("\t", 2)
            values[int(codepoint[2:], 16)] = value
    return values


def tghz_codepoints() -> set[int]:
    """The 8,105 characters of the 通用规范汉字表 (Unihan kTGHZ2013, in Unihan_Readings since 15.0)."""
    codepoints = set(unihan_field("Unihan_Readings.txt.bz2", "kTGHZ2013"))
    if len(codepoints) != TGHZ_COUNT:
        sys.exit(f"kTGHZ2013 gives {len(codepoints)} characters, expected {TGHZ_COUNT}")
    return codepoints


def charset_build(source_cmap: dict[int, str], gb2312: dict[int, str]) -> list[int]:
    """The code points to keep, sorted."""
    # GB 2312, what Chinese systems have typed since 1980: its 108 characters outside the
    # 通用规范汉字表 (後, 馀, radicals) cost little and spare a parent's older name a fallback font.
    required = (
        tghz_codepoints()
        | set(gb2312)
        | {ord(char) for char in NAME_EXTRAS + GUANGXI_PLACE_EXTRAS + REQUIRED_SYMBOLS}
        | set(range(0x20, 0x7F))
    )
    missing = sorted(cp for cp in required if cp not in source_cmap)
    if missing:
        sys.exit("source font lacks: " + " ".join(f"U+{cp:04X}" for cp in missing))
    optional = {cp for start, end in OPTIONAL_RANGES for cp in range(start, end + 1) if cp in source_cmap}
    return sorted(required | optional)


def source_face(path: Path) -> TTFont:
    """The Simplified Chinese face of a Noto Sans CJK collection, found by its family name."""
    collection = TTCollection(path, lazy=True)
    for index, face in enumerate(collection.fonts):
        if face["name"].getName(1, 3, 1, 0x409).toUnicode() == SOURCE_FAMILY:
            # Keep the source's head.modified: the same inputs must give the same bytes.
            return TTFont(path, fontNumber=index, recalcTimestamp=False)
    sys.exit(f"{path}: no face named {SOURCE_FAMILY!r}")


def glyph_order_by_use(cmap: dict[int, str], codepoints: list[int], gb2312: dict[int, str]) -> list[str]:
    """Glyphs ordered so that what a card prints most often comes first.

    WeasyPrint embeds a subset that keeps glyph IDs (HarfBuzz's RETAIN_GIDS) and so has a slot for
    every glyph below the highest one a document uses: the lower the glyphs, the faster the subset.
    Latin and punctuation first, then GB 2312's 3,755 common characters, the Guangxi surnames outside
    them, GB 2312's second level, and the rest.
    """

    def rank(cp: int) -> tuple[int, int]:
        if cp < 0x3000 or 0xFF00 <= cp < 0xFFF0:
            return 0, cp
        if cp < 0x3040:
            return 1, cp
        if chr(cp) in EARLY_SURNAMES:
            return 3, cp
        if cp in gb2312:
            return (2 if int(gb2312[cp][:2]) <= 55 else 4), int(gb2312[cp])
        return 5, cp

    order = {".notdef": None}
    for cp in sorted(codepoints, key=rank):
        order.setdefault(cmap[cp])
    return list(order)


def subset_options() -> subset.Options:
    options = subset.Options()
    # The SC face's cmap already gives the simplified forms, so no GSUB feature is needed for them (its
    # locl would only swap in Japanese, Korean or traditional ones). Without GSUB and GPOS HarfBuzz has
    # nothing to look up when shaping, and WeasyPrint drops both tables from the PDF anyway. Vertical
    # metrics serve vertical writing only; hinting serves screens at small sizes, not PDF.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "DSIG", "kern"]
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = list(KEPT_NAME_IDS)
    options.name_languages = [0x409]
    options.name_legacy = False
    options.notdef_outline = True
    options.prune_unicode_ranges = True
    options.recalc_timestamp = False
    return options


def cmap_strip_variations(font: TTFont) -> None:
    """Keep only the Windows Unicode subtables.

    The format 14 subtable maps ideographic variation sequences to Japanese and traditional glyphs,
    all of which the subsetter would keep; the card never asks for them.
    """
    cmap = font["cmap"]
    cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) in ((3, 1), (3, 10))]


def font_to_truetype(font: TTFont, order: list[str]) -> None:
    """Replace the CFF outlines with quadratic glyf ones, in the given glyph order.

    HarfBuzz subsets glyf faster than CFF, and the empty slots of WeasyPrint's retained-GID subset
    cost almost nothing in glyf (repeated loca offsets) where CFF pays an INDEX entry for each.
    """
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, CU2QU_MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    for tag in ("hmtx", "cmap", "OS/2", "hhea", "head", "name", "post", "maxp"):
        font[tag]  # decompile while the glyph names still mean the old order
    del font["CFF "]
    font.setGlyphOrder(order)
    font.sfntVersion = "\x00\x01\x00\x00"
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        glyph.recalcBounds(glyf)
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs"):
        setattr(maxp, field, 0)
    maxp.maxZones, maxp.maxStackElements, maxp.maxSizeOfInstructions, maxp.maxComponentElements = 1, 0, 0, 0
    font["post"].formatType = 3.0


def font_rename(font: TTFont, style: str, source_version: str) -> None:
    """Rename the subset so it cannot be taken for the full Noto Sans CJK SC."""
    ps_name = f"{PS_FAMILY}-{style}"
    name = font["name"]
    name.names = [record for record in name.names if record.platformID == 3]
    for name_id, value in (
        (1, FAMILY),
        (2, style),
        (3, f"{source_version};{ps_name}"),  # source version first, as Noto's own ID 3 has it
        (4, FAMILY if style == "Regular" else f"{FAMILY} {style}"),
        (6, ps_name),
        (10, f"Subset of {SOURCE_FAMILY} {style} {source_version} made by scripts/build_card_fonts.py"),
    ):
        name.setName(value, name_id, 3, 1, 0x409)


def face_build(style: str, codepoints: list[int], gb2312: dict[int, str]) -> TTFont:
    """Subset, reorder, convert and rename one face."""
    font = source_face(SOURCES[style])
    source_version = font["name"].getDebugName(5).split(";")[0].removeprefix("Version ")
    order = glyph_order_by_use(font.getBestCmap(), codepoints, gb2312)
    cmap_strip_variations(font)
    subsetter = subset.Subsetter(subset_options())
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    kept = set(font.getGlyphOrder())
    font_to_truetype(font, [glyph for glyph in order if glyph in kept])
    font_rename(font, style, source_version)
    missing = set(codepoints) - set(font.getBestCmap())
    if missing:
        sys.exit(f"{style}: the subset lost " + " ".join(f"U+{cp:04X}" for cp in sorted(missing)))
    return font


def licence_text(font: TTFont) -> str:
    """OFL.txt: the font's copyright and trademark notices, then the OFL 1.1 as Debian ships it."""
    paragraphs = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").split("\n\n")
    licence = next(p for p in paragraphs if p.startswith("License: SIL-1.1\n"))
    # Debian's copyright format indents the text by one space and writes empty lines as " .".
    body = [line[1:] if line != " ." else "" for line in licence.splitlines()[1:]]
    name = font["name"]
    notices = [
        f"{FAMILY} (cards/fonts/{PS_FAMILY}-*.ttf) is a Modified Version, a subset, of {SOURCE_FAMILY}",
        "(Debian package fonts-noto-cjk), made by scripts/build_card_fonts.py.",
        "",
        name.getDebugName(0),
        name.getDebugName(7),
        "",
    ]
    return "\n".join(notices + body) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in (*SOURCES.values(), DEBIAN_COPYRIGHT):
        if not path.exists():
            sys.exit(f"{path} not found: apt-get install fonts-noto-cjk")
    gb2312 = unihan_field("Unihan_OtherMappings.txt.bz2", "kGB0")
    codepoints = charset_build(source_face(SOURCES["Regular"]).getBestCmap(), gb2312)
    args.out.mkdir(parents=True, exist_ok=True)
    charset = "".join(f"U+{cp:04X}\t{chr(cp)}\n" for cp in codepoints)
    (args.out / "charset.txt").write_text(charset, encoding="utf-8")
    print(f"{args.out / 'charset.txt'}: {len(codepoints)} code points")
    for style in SOURCES:
        font = face_build(style, codepoints, gb2312)
        if style == "Regular":
            (args.out / "OFL.txt").write_text(licence_text(font), encoding="utf-8")
        path = args.out / f"{PS_FAMILY}-{style}.ttf"
        font.save(path)
        print(f"{path}: {len(font.getGlyphOrder())} glyphs, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
