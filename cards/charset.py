"""Which characters the card font (Card Sans SC) can draw, and which of a text's it cannot.

A character outside cards/fonts/charset.txt prints as an empty box (.notdef) without any error, so
whatever goes onto the card is checked here first. No Django import: the registration form's name
validation uses characters_missing too, and so may any script.
"""

import functools
from pathlib import Path

CHARSET_PATH = Path(__file__).resolve().parent / "fonts" / "charset.txt"


@functools.cache
def card_charset() -> frozenset[str]:
    """The characters of cards/fonts/charset.txt (lines "U+XXXX<TAB>character"), read once per process."""
    lines = CHARSET_PATH.read_text(encoding="utf-8").splitlines()
    # The code point column, not the character column: the latter is itself whitespace on some lines.
    return frozenset(chr(int(line.split("\t", 1)[0].removeprefix("U+"), 16)) for line in lines if line)


def characters_missing(text: str) -> list[str]:
    """The characters of `text` the card font cannot draw: each once, in order of appearance.

    Whitespace never counts as missing (the card collapses it).
    """
    charset = card_charset()
    missing = {}  # a dict keeps the order of appearance
    for char in text:
        if char not in charset and not char.isspace():
            missing[char] = None
    return list(missing)
