"""Build the pages' web font, static/fonts/CardSansSC-Regular.woff2, from the card's TrueType font.

    .venv/bin/python scripts/build_web_font.py          (or: make web-font)

The WOFF2 holds the same tables and glyphs as cards/fonts/CardSansSC-Regular.ttf, Brotli-compressed with
the glyf and loca tables transformed (the WOFF2 format); a browser decodes it back to the same font, at
less than half the size (1.2 MB against 2.5). Only screens without a Chinese system font download it
(static/css/app.css); the card's PDF keeps using the TrueType files. The font's licence, OFL.txt, is
copied beside it. The same fontTools and Brotli give the same file: run this whenever
scripts/build_card_fonts.py has rebuilt the card's fonts.
"""

import argparse
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "cards" / "fonts" / "CardSansSC-Regular.ttf"
TARGET = ROOT / "static" / "fonts" / "CardSansSC-Regular.woff2"
LICENCE = "OFL.txt"  # beside the source font, and copied beside the WOFF2: the OFL travels with the font


def web_font_build(source: Path, target: Path) -> TTFont:
    try:
        import brotli  # noqa: F401  (fontTools writes WOFF2 with it)
    except ImportError:
        sys.exit("the brotli module is missing: run `make venv` (pyproject.toml's dev extras have it)")
    # Nothing is recalculated: the font's own checksums, bounding boxes and timestamps are kept, so the
    # file depends only on the source font and the library versions.
    font = TTFont(source, recalcBBoxes=False, recalcTimestamp=False)
    font.flavor = "woff2"
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target, reorderTables=False)
    return font


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="TrueType font (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=TARGET, help="WOFF2 to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        sys.exit(f"{args.source} not found: scripts/build_card_fonts.py builds it")
    font = web_font_build(args.source, args.out)
    licence = args.source.with_name(LICENCE)
    if licence.is_file():
        args.out.with_name(LICENCE).write_bytes(licence.read_bytes())
    print(
        f"{args.out}: {len(font.getGlyphOrder())} glyphs, {args.out.stat().st_size:,} bytes "
        f"({args.source.stat().st_size:,} as TrueType)"
    )


if __name__ == "__main__":
    main()
