"""The pages' web font (issue 18, item 3): a WOFF2 of the card's font, same glyphs, cached for good."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from fontTools.ttLib import TTFont
from whitenoise.middleware import WhiteNoiseMiddleware

CARD_FONTS = settings.BASE_DIR / "cards" / "fonts"
TTF = CARD_FONTS / "CardSansSC-Regular.ttf"
WOFF2 = settings.BASE_DIR / "static" / "fonts" / "CardSansSC-Regular.woff2"
# What a hashed static file is served with: ten years, never revalidated.
FOREVER = "max-age=315360000, public, immutable"


def _font_faces(css: str) -> list[str]:
    return re.findall(r"@font-face\s*\{([^}]*)\}", css)


def test_the_pages_font_face_downloads_only_the_woff2():
    css = Path(finders.find("css/fonts.css")).read_text(encoding="utf-8")
    faces = _font_faces(css)

    assert len(faces) == 2  # "App CJK" (the screen's own Chinese font first) and "Card Sans SC"
    for face in faces:
        urls = re.findall(r'url\("([^"]+)"\)\s*format\("([^"]+)"\)', face)
        assert urls == [("../fonts/CardSansSC-Regular.woff2", "woff2")]
        assert ".ttf" not in face and "truetype" not in face
    assert finders.find("fonts/CardSansSC-Regular.woff2") == str(WOFF2)


def test_the_card_keeps_its_truetype_fonts_out_of_the_static_files():
    assert TTF.is_file() and (CARD_FONTS / "CardSansSC-Bold.ttf").is_file()
    assert finders.find("fonts/CardSansSC-Regular.ttf") is None  # not served: the PDF reads them from disk


@pytest.fixture(scope="module")
def fonts():
    return TTFont(TTF, lazy=True), TTFont(WOFF2)


def test_the_woff2_is_a_woff2_half_the_size_of_the_truetype_font(fonts):
    _, woff2 = fonts

    assert WOFF2.read_bytes()[:4] == b"wOF2"
    assert woff2.flavor == "woff2"
    assert WOFF2.stat().st_size < TTF.stat().st_size / 2


def test_the_woff2_has_the_truetype_fonts_glyph_set(fonts):
    ttf, woff2 = fonts

    assert woff2.getBestCmap() == ttf.getBestCmap()
    assert woff2.getGlyphOrder() == ttf.getGlyphOrder()
    assert len(woff2.getBestCmap()) == 8655
    assert woff2["name"].getDebugName(1) == ttf["name"].getDebugName(1) == "Card Sans SC"


@pytest.mark.parametrize("char", ["禤", "覃", "新", "𠮷", "·", "A"])
def test_the_woff2_draws_each_glyph_as_the_truetype_font_does(fonts, char):
    ttf, woff2 = fonts
    name = ttf.getBestCmap()[ord(char)]
    glyph, decoded = ttf["glyf"][name], woff2["glyf"][name]

    assert decoded.getCoordinates(woff2["glyf"])[0] == glyph.getCoordinates(ttf["glyf"])[0]
    assert woff2["hmtx"][name] == ttf["hmtx"][name]


def test_the_woff2_is_made_of_the_shipped_truetype_font_not_an_older_one(fonts):
    # A rebuilt card font (scripts/build_card_fonts.py) needs `make web-font` too.
    ttf, woff2 = fonts

    assert woff2["head"].fontRevision == ttf["head"].fontRevision
    assert woff2["head"].modified == ttf["head"].modified
    assert woff2["maxp"].numGlyphs == ttf["maxp"].numGlyphs


def test_the_woff2_carries_its_licence():
    assert (WOFF2.parent / "OFL.txt").read_bytes() == (CARD_FONTS / "OFL.txt").read_bytes()


def test_production_serves_the_font_under_a_hashed_name_cached_for_good(tmp_path, settings):
    # What production runs: collectstatic with WhiteNoise's manifest storage, then WhiteNoise serves.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.DEBUG = False
    # The project's own static files only: the admin's hundreds would only slow the test down.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    call_command("collectstatic", interactive=False, verbosity=0)
    font_url = staticfiles_storage.url("fonts/CardSansSC-Regular.woff2")
    css_name = staticfiles_storage.stored_name("css/fonts.css")
    css = (settings.STATIC_ROOT / css_name).read_text(encoding="utf-8")

    assert re.fullmatch(r"/static/fonts/CardSansSC-Regular\.[0-9a-f]{12}\.woff2", font_url)
    assert f'url("../fonts/{font_url.rsplit("/", 1)[1]}")' in css  # the stylesheet asks for that name
    middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
    response = middleware(RequestFactory().get(font_url))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == FOREVER
    assert response.headers["Content-Type"] == "font/woff2"
    assert int(response.headers["Content-Length"]) == WOFF2.stat().st_size
