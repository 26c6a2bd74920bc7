"""The registration card (附件4) and the family notice as one PDF: already-fetched rows in, bytes out.

Rendering is WeasyPrint with the shipped "Card Sans SC" fonts only (cards/fonts/). The font
configuration and the parsed card CSS are built once per process and reused: building them loads the
fonts into fontconfig, which costs far more than laying out a card. Nothing here touches the database.

A card is printed only while it is valid (card_state_refusal) and only when the font can draw every
character of it (card_text_problems): render_cards refuses any other card before rendering anything.
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
from django.utils import timezone
from django.utils.safestring import mark_safe

from cards.charset import characters_missing
from cards.content import (  # noqa: F401  (re-exported: what the card prints is part of this API)
    ISSUER_LABEL,
    REMARK_FORMAL_ENROLLMENT,
    REMARK_VALIDITY,
    UNKNOWN,
    CardParent,
    card_context,
    card_parents,
)
from registration.models import Newborn
from registration.rules import format_date_zh

PAGE_SIZES = ("A4", "A6")
# Pages of each part, by page size: a card is always one page; the A6 notice is set in a readable size
# over two pages (card.css breaks it at a fixed section, so a batch's page count is predictable).
CARD_PAGES = 1
NOTICE_PAGES = {"A4": 1, "A6": 2}
FONT_FAMILY = "Card Sans SC"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {400: "CardSansSC-Regular", 700: "CardSansSC-Bold"}  # weight → file stem (.otf or .ttf)
TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "cards"
CSS_PATH = TEMPLATE_DIR / "card.css"


def harfbuzz_subset_check() -> None:
    """Refuse to start without HarfBuzz's subsetter: WeasyPrint's fallback takes seconds per CJK card."""
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        raise ImproperlyConfigured(
            "WeasyPrint cannot find HarfBuzz's font subsetter (libharfbuzz-subset): the registration "
            "cards would be rendered through fontTools, seconds per card. Install the Debian package "
            "libharfbuzz-subset0 (scripts/system-packages.sh does)."
        )


# --- which cards may be printed ----------------------------------------------------------------------


class CardRefused(ValueError):
    """A card that must not be printed; the message says why, in Chinese, for the clerk."""

    def __init__(self, message: str, *, newborn: Newborn | None = None):
        super().__init__(message)
        self.newborn = newborn


class CardStateError(CardRefused):
    """The record's card is no longer valid: `reason` is "void", "formalized" or "expired"."""

    def __init__(self, message: str, *, newborn: Newborn | None = None, reason: str):
        super().__init__(message, newborn=newborn)
        self.reason = reason


class CardTextError(CardRefused):
    """The card's text has characters the card font cannot draw (they would print as empty boxes)."""

    def __init__(self, problems: list[tuple[Newborn, dict[str, list[str]]]]):
        self.problems = problems
        self.characters = list(
            dict.fromkeys(char for _, found in problems for chars in found.values() for char in chars)
        )
        described = "；".join(
            f"{_record_label(newborn)}的"
            + "、".join(
                f"{label}中的{'、'.join(f'「{char}」' for char in chars)}" for label, chars in found.items()
            )
            for newborn, found in problems
        )
        super().__init__(
            f"无法打印登记卡：{described}，是登记卡字体中没有的字符，打印出来会是空白方框。"
            "请核对并更正登记信息（如改用通用规范汉字表中的写法）后再打印。",
            newborn=problems[0][0],
        )


class CardLayoutError(CardRefused):
    """A card did not fit its page (a text longer than anything the registration form accepts)."""


def _record_label(newborn: Newborn) -> str:
    return f"「{newborn.name}」（个人编号{newborn.personal_number}）"


VOID_REFUSED = (
    "该记录已作废，登记卡不能再使用，不能打印。请家长持相关材料到户籍所在地的医保经办机构办理正式参保登记。"
)
FORMALIZED_REFUSED = (
    "该新生儿已办理正式参保登记，登记卡已由宝宝本人的身份证号码代替，不能再打印。"
    "就医结算请凭宝宝的居民身份证、医保电子凭证或社会保障卡。"
)
EXPIRED_REFUSED = (
    "登记卡在出生后3个月内有效，已于{expired_on}过期（有效期至{last_day}），不能再打印。"
    "请家长为宝宝办理户籍登记后，到户籍所在地的医保经办机构办理正式参保登记。"
)


def card_state_refusal(newborn: Newborn, *, today: date) -> CardStateError | None:
    """Why this record's card may not be printed on `today` (None when it may): 已登记 or 已缴费, valid."""
    if newborn.state == Newborn.State.VOID:
        return CardStateError(VOID_REFUSED, newborn=newborn, reason="void")
    if newborn.state == Newborn.State.FORMALIZED:
        return CardStateError(FORMALIZED_REFUSED, newborn=newborn, reason="formalized")
    if newborn.state not in (Newborn.State.REGISTERED, Newborn.State.PAID):
        return CardStateError(
            f"状态为{newborn.get_state_display()}的记录不能打印登记卡。",
            newborn=newborn,
            reason=newborn.state,
        )
    if today > newborn.last_day:
        return CardStateError(
            EXPIRED_REFUSED.format(
                expired_on=format_date_zh(newborn.last_day + timedelta(days=1)),
                last_day=format_date_zh(newborn.last_day),
            ),
            newborn=newborn,
            reason="expired",
        )
    return None


def card_printed_texts(newborn: Newborn) -> dict[str, str]:
    """The record's own texts the card and the notice print, by what they are (the rest is ours)."""
    birth = newborn.birth
    texts = {"姓名": newborn.name, "新生儿编码": newborn.identity_number, "个人编号": newborn.personal_number}
    for parent in card_parents(newborn):
        texts |= {
            f"{parent.role}姓名": parent.name,
            f"{parent.role}身份证号": parent.id_number,
            f"{parent.role}联系电话": parent.phone,  # the record's 联系电话 when the ID parent has none
        }
    texts |= {
        "出生医院": birth.birth_hospital_name,
        "参保地": birth.community.full_name or birth.community.name,
        "参保所属机构": birth.agency.name if birth.agency is not None else "",
        ISSUER_LABEL: birth.hospital.name,
    }
    if newborn.state == Newborn.State.PAID:
        texts["待遇起始依据"] = newborn.benefit_rule
    return texts


def card_text_problems(newborn: Newborn) -> dict[str, list[str]]:
    """The characters of the card's texts the card font cannot draw, by text (empty when none)."""
    found = {}
    for label, text in card_printed_texts(newborn).items():
        if missing := characters_missing(text or ""):
            found[label] = missing
    return found


def card_refusal(newborn: Newborn, *, today: date) -> CardRefused | None:
    """Why this record's card may not be printed on `today`, whatever the reason; None when it may."""
    if (refusal := card_state_refusal(newborn, today=today)) is not None:
        return refusal
    if found := card_text_problems(newborn):
        return CardTextError([(newborn, found)])
    return None


# --- the HTML ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG, sized by the card's CSS (4 modules of quiet zone).

    Cached per process: a card is printed again (a reprint, the day's batch) with the same code.
    """
    # A fixed mask: choosing the best of eight takes segno longer than laying out the whole card, and
    # any mask scans.
    qr = segno.make(text, error="m", micro=False, mask=3)
    return qr.svg_inline(border=4, omitsize=True, dark="#000")


def cards_html(
    newborns, *, with_notice: bool = True, page_size: str = "A4", today: date | None = None
) -> str:
    """The HTML of the cards (and notices) of `newborns`: a card a page, a notice one (A4) or two (A6)."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {PAGE_SIZES}, got {page_size!r}")
    today = today or timezone.localdate()
    cards = []
    for newborn in newborns:
        card = card_context(newborn, today=today)
        # segno's markup is path data only: the code itself is not written into the SVG.
        card["qr_svg"] = mark_safe(qr_svg(card["code"]))
        cards.append(card)
    context = {"cards": cards, "with_notice": with_notice, "size_class": page_size.lower()}
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


def html_to_pdf(html: str, style: CardStyle, *, parts: dict[str, int] | None = None) -> bytes:
    """Lay out `html` with `style` and return the PDF (fonts embedded and subset by HarfBuzz).

    `parts` maps the id of each part of the document (a card, a notice) to the pages it must take:
    a part laid out on more or fewer pages raises CardLayoutError instead of printing a broken card.
    """
    from weasyprint import HTML

    document = HTML(string=html, base_url=TEMPLATE_DIR.as_uri() + "/", url_fetcher=_url_fetcher())
    with _render_lock, _cyclic_gc_paused():
        rendered = document.render(stylesheets=[style.css], font_config=style.font_config)
        if parts is not None:
            _pages_check(rendered.pages, parts)
        return rendered.write_pdf()


def _pages_check(pages, parts: dict[str, int]) -> None:
    # Each page carries the anchors (ids) of the parts laid out on it: a part split over two pages is
    # on both.
    counts = dict.fromkeys(parts, 0)
    for page in pages:
        for anchor in page.anchors:
            if anchor in counts:
                counts[anchor] += 1
    wrong = [
        f"{anchor}占{count}页，应为{parts[anchor]}页"
        for anchor, count in counts.items()
        if count != parts[anchor]
    ]
    if wrong or len(pages) != sum(parts.values()):
        raise CardLayoutError(
            f"登记卡排版异常（{'；'.join(wrong) or f'共{len(pages)}页'}），未能打印。"
            "请把该记录的登记信息告知系统管理员。"
        )


def render_cards(
    newborns, *, with_notice: bool = True, page_size: str = "A4", today: date | None = None
) -> bytes:
    """One PDF: each newborn's card (附件4), followed by its family notice when `with_notice`.

    `newborns` are Newborn rows fetched with cards.selectors' CARD_RELATED selected (birth,
    birth__hospital, birth__community, birth__agency), and optionally CARD_PREFETCH: this function runs
    no query.
    `page_size` is "A4" or "A6"; `today` (the local date by default) decides which cards are still
    valid and the notice's dates. Raises CardStateError for a card that is no longer valid and
    CardTextError for text the card font cannot draw, before anything is rendered.
    """
    newborns = list(newborns)
    if not newborns:
        raise ValueError("render_cards needs at least one newborn")
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {PAGE_SIZES}, got {page_size!r}")
    today = today or timezone.localdate()
    for newborn in newborns:
        if (refusal := card_state_refusal(newborn, today=today)) is not None:
            raise refusal
    problems = [(newborn, found) for newborn in newborns if (found := card_text_problems(newborn))]
    if problems:
        raise CardTextError(problems)
    html = cards_html(newborns, with_notice=with_notice, page_size=page_size, today=today)
    parts = {}
    for number in range(1, len(newborns) + 1):
        parts[f"card-{number}"] = CARD_PAGES
        if with_notice:
            parts[f"notice-{number}"] = NOTICE_PAGES[page_size]
    return html_to_pdf(html, card_style(), parts=parts)
