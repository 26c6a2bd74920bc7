"""Issue 14, item 10: on a screen without a Chinese font (this test browser's), the report charts' SVG text
and the Django admin are drawn in the app's stack, whose Chinese comes from the shipped font (Card Sans SC,
cards/fonts), never as empty boxes.

The computed font-family shows the stack is applied; Chromium's DevTools protocol then says which font
actually drew the glyphs (CSS.getPlatformFontsForNode).
"""

import pytest

from registration.models import Operator
from tests import factories
from tests.e2e.test_followup_flow import login

pytestmark = pytest.mark.e2e

SHIPPED = "Card Sans SC"
# The Chinese fonts "App CJK" takes from the screen when it has one (static/css/fonts.css), else SHIPPED.
CJK_FONTS = {
    SHIPPED,
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
}

MARK_CHINESE_TEXT = """(selector) => {
    const nodes = [...document.querySelectorAll(selector)];
    const node = nodes.find((n) => /[\\u4e00-\\u9fff]/.test(n.textContent));
    if (!node) return null;
    node.setAttribute("data-font-probe", "");
    return getComputedStyle(node).fontFamily;
}"""


def _fonts_drawing(page, selector: str) -> tuple[str, set[str]]:
    """The computed font-family of the first element under selector with Chinese text, and the fonts
    Chromium drew its glyphs with."""
    page.evaluate("async () => { await document.fonts.ready; }")
    family = page.evaluate(MARK_CHINESE_TEXT, selector)
    assert family is not None, f"no Chinese text under {selector}"
    page.evaluate("async () => { await document.fonts.ready; }")  # the probe's glyphs may load a face
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-font-probe]"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return family, {font["familyName"] for font in fonts}


def test_the_report_charts_svg_text_is_drawn_with_the_apps_fonts(page, clerk):
    factories.register(clerk)
    factories.operator_make(
        username="super",
        hospital=clerk.operator.hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born="19800101", order="035"),
    )
    login(page, "super")
    page.goto("/reports/")

    family, drawn = _fonts_drawing(page, "svg.app-chart text")

    assert '"App CJK"' in family and f'"{SHIPPED}"' in family, family
    assert drawn and drawn <= CJK_FONTS | {"DejaVu Sans"}, drawn  # digits may come from a Latin font
    assert drawn & CJK_FONTS, drawn


def test_the_django_admin_is_drawn_with_the_apps_fonts(page, db):
    factories.user_make("admin", is_staff=True, is_superuser=True)
    login(page, "admin")
    page.goto("/admin/")

    family, drawn = _fonts_drawing(page, "#content h1, #content caption, #content a")

    assert '"App CJK"' in family and f'"{SHIPPED}"' in family, family
    assert drawn & CJK_FONTS, drawn
