"""How fast the registration card renders, against the floor WeasyPrint cannot beat (issue 4).

Run: .venv/bin/python bench/cards.py    (no database: the rows are built in memory)

Side by side in one process, after a warm-up, the median CPU time of
  (a) one card rendered by cards.services.render_cards with Chinese data and the shipped fonts, and
  (b) the floor: the same template, the same CSS and page size, its text transliterated to Latin
      letters as wide as the Chinese (three letters and a space for two characters, so the page
      lays out into the same lines) and "Card Sans SC" bound to DejaVu Sans;
for one card and for 100 cards in one document (per card). Both sides render the template (with the
QR codes); the floor then lays out its transliteration, made once beforehand so that the bench's own
text substitution is not timed. For information the bench also times a floor with as many glyphs as
the Chinese (one letter a character; one card only): narrower, so a few lines that wrap in Chinese do
not. Ratios are the median of each round's ratio, the runs of a round being next to each other in time
(their order turning round every other round).

Targets: one card <= 1.3x the floor; 100 cards <= 1.0x the floor per card; one card's PDF < 60 KB.
Exits 1 when a target is missed.
"""

import gc
import os
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newborn_enroll.settings")

import django  # noqa: E402

django.setup()

from cards import services  # noqa: E402
from registration.models import Birth, Division, Hospital, InsuranceAgency, Newborn  # noqa: E402
from registration.rules import pre_enrollment_last_day  # noqa: E402

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FLOOR_FONTS = {400: DEJAVU / "DejaVuSans.ttf", 700: DEJAVU / "DejaVuSans-Bold.ttf"}
ONE_CARD_RATIO = 1.3
HUNDRED_CARDS_RATIO = 1.0
MAX_PDF_BYTES = 60 * 1024
ONE_CARD_ROUNDS = 41
HUNDRED_CARDS_ROUNDS = 15
# The day the cards are printed: every card built below is still valid then (render_cards refuses
# expired ones), whatever the date the bench runs.
PRINTED_ON = date(2025, 12, 26)

SURNAMES = "韦覃黄蒙农禤陆莫梁李张陈廖潘卢"
MOTHER_NAMES = ["丽娟", "秀兰", "海燕", "春梅", "美玲", "晓红", "桂芳", "金凤", "玉兰", "小梅"]
FATHER_NAMES = ["建华", "志强", "海军", "文斌", "永明", "国庆", "小龙", "德胜", "家乐", "俊杰"]


def newborn_build(index: int) -> Newborn:
    """An unsaved registration as render_cards receives it: the related rows attached, no database."""
    community = Division(
        pk=1, code="450103001001", name="新竹社区", level=5, full_name="南宁市 青秀区 新竹街道 新竹社区"
    )
    hospital = Hospital(pk=1, code="H45010300001", name="南宁市演示妇幼保健院")
    agency = InsuranceAgency(pk=1, code="450100", name="南宁市医疗保障事业管理中心")
    mother = SURNAMES[index % len(SURNAMES)] + MOTHER_NAMES[index % len(MOTHER_NAMES)]
    father = SURNAMES[(index + 3) % len(SURNAMES)] + FATHER_NAMES[(index // 3) % len(FATHER_NAMES)]
    born = date(2025, 12, 5) + timedelta(days=index % 20)
    mother_id = f"45010319900307{index % 1000:03d}2"[:17] + "X"
    birth = Birth(
        pk=index + 1,
        hospital=hospital,
        community=community,
        agency=agency,
        registered_on=born + timedelta(days=2),
        route=Birth.Route.PARENT_ID,
        parent_role=Birth.ParentRole.MOTHER,
        mother_name=mother,
        mother_id_number=mother_id,
        mother_phone=f"138{index:08d}",
        father_name=father,
        father_id_number=f"45010319880511{index % 1000:03d}3"[:18],
        father_phone=f"139{index:08d}",
        birth_hospital_name="南宁市演示妇幼保健院",
    )
    return Newborn(
        pk=index + 1,
        birth=birth,
        name=mother + ("之女" if index % 2 else "之子"),
        sex=2 if index % 2 else 1,
        birth_date=born,
        temp_id=mother_id + ("X" if index % 2 else "Y"),
        personal_number=f"45010{index:05d}",
        last_day=pre_enrollment_last_day(born),
    )


_PUNCTUATION = str.maketrans(
    {"，": ", ", "。": ". ", "、": ", ", "：": ": ", "；": "; ", "（": " (", "）": ") ", "“": '"', "”": '"',
     "　": "  ", "—": "-"}
)  # fmt: skip
_IDEOGRAPHS = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]+")


def _letters(text: str) -> str:
    return "".join(chr(ord("a") + ord(char) % 26) for char in text)


def _same_width(match: re.Match) -> str:
    # Three Latin letters and a space for every two Chinese characters (two letters for a last odd
    # one): a Chinese character is 1 em wide, a DejaVu letter about 0.6 em, so the text fills the same
    # width and the page lays out into the same lines. Only text is touched: the markup and the QR
    # code's SVG are ASCII.
    text = match.group()
    words = []
    for i in range(0, len(text), 2):
        letters = _letters(text[i : i + 2])
        words.append(letters + letters[0])
    return " ".join(words)


def _same_glyphs(match: re.Match) -> str:
    # One Latin letter per Chinese character, a space after every fourth: the same number of glyphs,
    # but narrower, so some lines that wrap in Chinese do not wrap in Latin.
    letters = _letters(match.group())
    return " ".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def latinize(html: str, *, same_width: bool = True) -> str:
    """The same document with its Chinese text replaced by Latin text (as wide, or as many glyphs)."""
    return _IDEOGRAPHS.sub(_same_width if same_width else _same_glyphs, html.translate(_PUNCTUATION))


def _seconds(function) -> float:
    # CPU time of this process: the machine is shared, and wall-clock time counts the neighbours' work.
    gc.collect()
    started = time.process_time()
    function()
    return time.process_time() - started


def side_by_side(functions: list, rounds: int) -> list[list[float]]:
    """Seconds of each function per round, run in turn so that a busy moment of the machine hits all alike.

    The order turns round every other round: whichever runs first in a round (after the previous
    run's garbage is collected) has no fixed advantage.
    """
    times = [[] for _ in functions]
    for round_ in range(rounds):
        order = list(zip(functions, times, strict=True))
        for function, seconds in order if round_ % 2 == 0 else reversed(order):
            seconds.append(_seconds(function))
    return times


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of the rounds' ratios: each round's two runs are next to each other in time."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def ratio_spread(numerators: list[float], denominators: list[float]) -> tuple[float, float]:
    """The first and third quartiles of the rounds' ratios: how noisy the machine was during the bench."""
    quartiles = statistics.quantiles((a / b for a, b in zip(numerators, denominators, strict=True)), n=4)
    return quartiles[0], quartiles[2]


def main() -> int:
    one = [newborn_build(0)]
    hundred = [newborn_build(index) for index in range(100)]
    floor_style = services.card_style_build(FLOOR_FONTS)

    def cjk(rows):
        return lambda: services.render_cards(rows, with_notice=False, today=PRINTED_ON)

    def floor(rows, *, same_width=True):
        html = latinize(services.cards_html(rows, with_notice=False, today=PRINTED_ON), same_width=same_width)
        assert not _IDEOGRAPHS.search(html), "the floor must be Latin text only"

        def render():
            services.cards_html(
                rows, with_notice=False, today=PRINTED_ON
            )  # the same template work as render_cards
            return services.html_to_pdf(html, floor_style)

        return render

    results = []
    for label, rows, rounds, target in (
        ("one card", one, ONE_CARD_ROUNDS, ONE_CARD_RATIO),
        ("100 cards, per card", hundred, HUNDRED_CARDS_ROUNDS, HUNDRED_CARDS_RATIO),
    ):
        functions = [cjk(rows), floor(rows)]
        if len(rows) == 1:
            functions.append(floor(rows, same_width=False))  # for information; too slow for 100 cards
        for function in functions:
            function()  # warm-up: font loading, fontconfig and Pango caches
        times = side_by_side(functions, rounds)
        medians = [statistics.median(seconds) / len(rows) for seconds in times]
        glyphs = (medians[2], paired_ratio(times[0], times[2])) if len(times) == 3 else None
        ratio = paired_ratio(times[0], times[1])
        spread = ratio_spread(times[0], times[1])
        results.append((label, medians[0], medians[1], ratio, spread, glyphs, target))
    card_bytes = len(services.render_cards(one, with_notice=False, today=PRINTED_ON))
    notice_bytes = len(services.render_cards(one, with_notice=True, today=PRINTED_ON))
    a6_bytes = len(services.render_cards(one, with_notice=False, page_size="A6", today=PRINTED_ON))

    fonts = ", ".join(path.name for path in services.shipped_font_files().values())
    print(f"cards bench (median CPU time): shipped fonts {fonts}; floor DejaVu Sans with Latin text")
    print("  floor = Latin text as wide as the Chinese (same lines); [as many glyphs: narrower, fewer lines]")
    missed = []
    for label, cjk_seconds, floor_seconds, ratio, spread, glyphs, target in results:
        ok = ratio <= target
        print(
            f"{label:20} CJK {cjk_seconds * 1000:6.1f} ms  floor {floor_seconds * 1000:6.1f} ms  "
            f"ratio {ratio:4.2f} (quartiles {spread[0]:.2f}-{spread[1]:.2f}; target <= {target}) "
            f"{'ok' if ok else 'MISSED'}"
            + (f"  [{glyphs[0] * 1000:.1f} ms, ratio {glyphs[1]:.2f}]" if glyphs else "")
        )
        if not ok:
            missed.append(label)
    ok = card_bytes < MAX_PDF_BYTES
    print(
        f"{'one card PDF':20} {card_bytes / 1024:.1f} KB (target < {MAX_PDF_BYTES // 1024} KB) "
        f"{'ok' if ok else 'MISSED'}; with its notice {notice_bytes / 1024:.1f} KB; "
        f"A6 {a6_bytes / 1024:.1f} KB"
    )
    if not ok:
        missed.append("PDF size")
    if missed:
        print("targets missed: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
