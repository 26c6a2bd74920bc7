"""cards.charset: which characters the card font cannot draw; the card's own texts are all drawable."""

import re
import subprocess
import sys
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from cards import charset
from cards.charset import card_charset, characters_missing
from cards.services import cards_html
from registration.models import Newborn
from tests.cards.helpers import GUILIN_COMMUNITY, unsaved_birth, unsaved_newborn

ROOT = Path(__file__).resolve().parents[2]


def test_guangxi_surnames_minority_names_and_characters_beyond_the_table_are_drawable():
    assert characters_missing("禤覃韦农蒙䶮\U00020bb7 阿依古丽·买买提艾力 〇 ＡＢ 13877112345") == []


def test_it_lists_each_missing_character_once_in_order_of_appearance():
    assert characters_missing("龘王😀龘\U0002a6a5😀") == ["龘", "😀", "\U0002a6a5"]


def test_whitespace_is_never_missing():
    assert characters_missing("张\t三\n\u2003\u3000\u00a0 ") == []


def test_control_and_private_use_characters_are_missing():
    assert characters_missing("张\x00三\ue000") == ["\x00", "\ue000"]


def test_it_reads_the_charset_file_once_and_lazily(monkeypatch):
    card_charset.cache_clear()
    reads = []
    read_text = Path.read_text

    def counted(path, *args, **kwargs):
        reads.append(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counted)
    characters_missing("张三")
    characters_missing("李四")
    assert reads == [charset.CHARSET_PATH]
    assert len(card_charset()) == 8655


def test_it_imports_nothing_of_django():
    code = "import sys, cards.charset; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("state", "born", "today", "community", "certificate"),
    [
        (Newborn.State.REGISTERED, date(2025, 12, 5), date(2025, 12, 8), None, False),
        (Newborn.State.REGISTERED, date(2025, 12, 5), date(2026, 1, 8), GUILIN_COMMUNITY, True),
        (Newborn.State.PAID, date(2025, 12, 5), date(2026, 1, 8), None, False),
    ],
)
def test_every_character_the_card_and_notice_print_of_their_own_is_drawable(
    state, born, today, community, certificate
):
    birth = unsaved_birth(community=community) if community else unsaved_birth()
    newborn = unsaved_newborn(
        born=born,
        birth=birth,
        state=state,
        benefit_start=date(2026, 1, 1),
        benefit_rule="在出生次年参保缴费但未补缴出生当年保费，只享受缴费当年待遇，自2026年1月1日起。",
        special_group="low_income",
    )
    if certificate:
        newborn.temp_id, newborn.birth_certificate_number = None, "R450123456"
    html = cards_html([newborn], page_size="A6", today=today)
    body = re.sub(r"<svg.*?</svg>", "", html.split("<body", 1)[1], flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", "", body))
    assert characters_missing(text) == []
