"""The registration card (附件4) and the family notice as one PDF: already-fetched rows in, bytes out.

Rendering is WeasyPrint with the shipped "Card Sans SC" fonts only (cards/fonts/). The font
configuration and the parsed card CSS are built once per process and reused: building them loads the
fonts into fontconfig, which costs far more than laying out a card. Nothing here touches the database.
"""

import atexit
import functools
import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from registration.models import Newborn
from registration.services.rules import benefit_start_rule, format_date_zh

# What render_cards reads beyond the newborn's own row; callers select these so that it runs no query.
CARD_RELATED = ("birth", "birth__hospital", "birth__community", "birth__agency")
PAGE_SIZES = ("A4", "A6")
FONT_FAMILY = "Card Sans SC"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {400: "CardSansSC-Regular", 700: "CardSansSC-Bold"}  # weight → file stem (.otf or .ttf)
TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "cards"
CSS_PATH = TEMPLATE_DIR / "card.css"
UNKNOWN = "—"  # an unknown parent's detail: the card never has an empty cell

# 附件4's two remarks, verbatim; the first gets the card's computed last valid day.
REMARK_VALIDITY = (
    "1. 新生儿预参保登记后，请及时缴费。缴费成功后，凭此卡片在定点医疗本机构就医结算，"
    "出生三个月内有效（有效期至{last_day}）。"
)
REMARK_FORMAL_ENROLLMENT = (
    "2. 新生儿取得户籍身份信息后，须及时到医保经办机构完善个人信息，使用新生儿本人真实姓名及身份证号"
    "办理参保登记，并领取医保电子凭证，办理社会保障卡。"
)


def harfbuzz_subset_check() -> None:
    """Refuse to start without HarfBuzz's subsetter: WeasyPrint's fallback takes seconds per CJK card."""
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        raise ImproperlyConfigured(
            "WeasyPrint cannot find HarfBuzz's font subsetter (libharfbuzz-subset): the registration "
            "cards would be rendered through fontTools, seconds per card. Install the Debian package "
            "libharfbuzz-subset0 (scripts/system-packages.sh does)."
        )


# --- what the card and the notice show -------------------------------------------------------------


@dataclass(frozen=True)
class CardParent:
    role: str
    name: str
    id_number: str
    phone: str


def _or_unknown(value: str) -> str:
    value = (value or "").strip()
    return value or UNKNOWN


@functools.lru_cache(maxsize=1024)
def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG, sized by the card's CSS (4 modules of quiet zone).

    Cached per process: a card is printed again (a reprint, the day's batch) with the same code.
    """
    # A fixed mask: choosing the best of eight takes segno longer than laying out the whole card, and
    # any mask scans.
    qr = segno.make(text, error="m", micro=False, mask=3)
    return qr.svg_inline(border=4, omitsize=True, dark="#000")


def _notice_dates(newborn: Newborn, registered_on: date) -> dict:
    """The benefit-start cases of the 2026 guide (section 四) with this baby's dates, from the rules."""
    born, last_day = newborn.birth_date, newborn.last_day
    year = born.year
    late_paid_on = last_day + timedelta(days=1)
    dates = {
        "birth_year": year,
        "next_year": None,
        "birth_year_payable": True,
        "birth_year_end": format_date_zh(min(last_day, date(year, 12, 31))),
        "late_paid_on": format_date_zh(late_paid_on),
        "late_start": format_date_zh(benefit_start_rule(born, late_paid_on, {late_paid_on.year}).start),
        "by_certificate": not newborn.temp_id,
        "special_group": newborn.get_special_group_display() if newborn.special_group else "",
    }
    if last_day.year > year:
        # The window runs into the next year: paying then needs both years' premiums to start at birth.
        both = benefit_start_rule(born, last_day, {year, year + 1}).start
        only_next = benefit_start_rule(born, last_day, {year + 1}).start
        dates.update(
            next_year=year + 1,
            birth_year_payable=registered_on.year == year,
            next_year_start=format_date_zh(date(year + 1, 1, 1)),
            both_years_start=format_date_zh(both),
            next_year_only_start=format_date_zh(only_next),
        )
    return dates


def card_context(newborn: Newborn) -> dict:
    """Everything one card and its notice print, as display strings (no query: see CARD_RELATED)."""
    birth = newborn.birth
    community = birth.community
    last_day = format_date_zh(newborn.last_day)
    code = newborn.identity_number
    return {
        "name": newborn.name,
        "sex": newborn.get_sex_display(),
        "birth_date": format_date_zh(newborn.birth_date),
        "code_label": "新生儿编码",
        "code_note": "" if newborn.temp_id else "（出生医学证明编号）",
        "code": code,
        # segno's markup is path data only: the code itself is not written into the SVG.
        "qr_svg": mark_safe(qr_svg(code)),
        "personal_number": newborn.personal_number,
        "parents": [
            CardParent(
                "父亲",
                _or_unknown(birth.father_name),
                _or_unknown(birth.father_id_number),
                _or_unknown(birth.father_phone),
            ),
            CardParent(
                "母亲",
                _or_unknown(birth.mother_name),
                _or_unknown(birth.mother_id_number),
                _or_unknown(birth.mother_phone),
            ),
        ],
        "birth_hospital": _or_unknown(birth.birth_hospital_name),
        "community": _or_unknown(community.full_name or community.name),
        "agency": birth.agency.name if birth.agency is not None else "",
        "registered_on": format_date_zh(birth.registered_on),
        "last_day": last_day,
        "remarks": [REMARK_VALIDITY.format(last_day=last_day), REMARK_FORMAL_ENROLLMENT],
        "hospital": birth.hospital.name,
        "notice": _notice_dates(newborn, birth.registered_on),
    }


def cards_html(newborns, *, with_notice: bool = True, page_size: str = "A4") -> str:
    """The HTML of the cards (and notices) of `newborns`, one page each."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {PAGE_SIZES}, got {page_size!r}")
    context = {
        "cards": [card_context(newborn) for newborn in newborns],
        "with_notice": with_notice,
        "size_class": page_size.lower(),
    }
    return render_to_string("cards/cards.html", context)


# --- the PDF ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardStyle:
    """A font configuration and the card CSS parsed into it: built once, reused for every render."""

    font_config: object
    css: object


_style: CardStyle | None = None
_style_lock = threading.Lock()
# Pango's font map and WeasyPrint's caches inside the shared font configuration are not thread-safe.
_render_lock = threading.Lock()


def shipped_font_files() -> dict[int, Path]:
    """The shipped font file of each weight, or ImproperlyConfigured naming what is missing."""
    files = {}
    for weight, stem in FONT_FILES.items():
        found = sorted(path for path in FONT_DIR.glob(f"{stem}.*") if path.suffix in {".otf", ".ttf"})
        if not found:
            raise ImproperlyConfigured(f"The card font {FONT_DIR / stem}.otf (or .ttf) is missing.")
        files[weight] = found[0]
    return files


def font_face_css(files: dict[int, Path], family: str = FONT_FAMILY) -> str:
    """@font-face rules binding `family` to local font files by file URL."""
    return "".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{path.as_uri()}"); }}\n'
        for weight, path in sorted(files.items())
    )


def _url_fetcher():
    from weasyprint.urls import URLFetcher

    # Only local files (the fonts); a missing font stops the render instead of printing in another font.
    return URLFetcher(allowed_protocols={"file"}, fail_on_errors=True)


def card_style_build(font_files: dict[int, Path]) -> CardStyle:
    """A new font configuration with `font_files` as "Card Sans SC" and the card CSS parsed into it."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = CSS(
        string=font_face_css(font_files) + CSS_PATH.read_text(encoding="utf-8"),
        base_url=TEMPLATE_DIR.as_uri() + "/",
        url_fetcher=_url_fetcher(),
        font_config=font_config,
    )
    return CardStyle(font_config, css)


def card_style() -> CardStyle:
    """The process's card style with the shipped fonts, built on first use."""
    global _style
    if _style is None:
        with _style_lock:
            if _style is None:
                _style = card_style_build(shipped_font_files())
    return _style


@atexit.register
def card_style_reset() -> None:
    """Drop the process's card style (at exit, before module teardown breaks its cleanup)."""
    global _style
    _style = None


@contextmanager
def _cyclic_gc_paused():
    # WeasyPrint builds hundreds of thousands of objects per document that all live until the PDF is
    # written: the cyclic collector's passes over them find next to nothing and took a quarter of the
    # time of a 100-card PDF. Reference counting still frees everything as usual.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def html_to_pdf(html: str, style: CardStyle) -> bytes:
    """Lay out `html` with `style` and return the PDF (fonts embedded and subset by HarfBuzz)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=TEMPLATE_DIR.as_uri() + "/", url_fetcher=_url_fetcher())
    with _render_lock, _cyclic_gc_paused():
        return document.write_pdf(stylesheets=[style.css], font_config=style.font_config)


def render_cards(newborns, *, with_notice: bool = True, page_size: str = "A4") -> bytes:
    """One PDF: each newborn's card (附件4), followed by its family notice when `with_notice`.

    `newborns` are Newborn rows fetched with CARD_RELATED selected (birth, birth__hospital,
    birth__community, birth__agency): this function runs no query. `page_size` is "A4" or "A6".
    """
    newborns = list(newborns)
    if not newborns:
        raise ValueError("render_cards needs at least one newborn")
    html = cards_html(newborns, with_notice=with_notice, page_size=page_size)
    return html_to_pdf(html, card_style())
