"""The registration page's layout at 1366×768 (issue 14, item 11): short, the preview and 保存 always in
view, the other parent folded, and a single girl registered in a counted handful of actions."""

import re

import pytest
from playwright.sync_api import expect

from registration.models import Birth
from tests.e2e.pages import born_days_ago
from tests.e2e.test_registration_flow import done_birth, png_file
from tests.factories import MOTHER_ID

pytestmark = pytest.mark.e2e

# The page was 2,138 px tall before issue 14 (2,139 filled in); it is 1,648 now, empty and filled in.
MAX_HEIGHT = 1_750
# Community, the mother's name, ID and phone, 女, the birth date, 民族, 户口性质, 户口详址, the two
# confirmations, three scans and 保存: 15 actions, each one field typed or one click (about 3 s each).
MAX_ACTIONS = 15


class Actions:
    """The clerk's actions on the page, each counted: a fill, a click, a check, a select, an upload."""

    def __init__(self):
        self.count = 0

    def fill(self, locator, value: str):
        self.count += 1
        locator.fill(value)

    def click(self, locator):
        self.count += 1
        locator.click()

    def check(self, locator):
        self.count += 1
        locator.check()

    def select(self, locator, **option):
        self.count += 1
        locator.select_option(**option)

    def upload(self, locator, path):
        self.count += 1
        locator.set_input_files(path)


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_a_new_clerk_registers_a_single_girl_in_a_counted_number_of_actions(logged_in_page, tmp_path):
    page = logged_in_page
    page.goto("/register/")
    empty_height = page_height(page)
    act = Actions()

    # As a newcomer would: by the labels on the screen, never by an element's id.
    act.fill(page.get_by_role("combobox", name="参保社区"), "450103001001")
    mother = page.get_by_role("group", name="母亲")
    act.fill(mother.get_by_label("姓名"), "张三")
    act.fill(mother.get_by_label("身份证号码"), MOTHER_ID)
    act.fill(mother.get_by_label("联系电话"), "13877112345")  # copied into the record's 联系电话
    baby = page.locator("[data-baby]").first
    act.click(baby.get_by_text("女"))
    act.fill(baby.get_by_label("出生日期"), born_days_ago(4))
    act.select(page.get_by_label("民族"), label="壮族")
    act.select(page.get_by_label("户口性质"), label="居民家庭户口")
    act.fill(page.get_by_label("户口详址"), "广西南宁市青秀区新竹路1号")
    act.check(page.get_by_label("新生儿尚未办理户籍登记"))
    act.check(page.get_by_label("证件所属父（母）亲为广西户籍（以户口簿为准）"))
    for label, name in (
        ("户口簿户主页", "户主页.png"),
        ("户口簿父（母）亲信息页", "本人页.png"),
        ("出生记录", "记录.png"),
    ):
        act.upload(page.get_by_label(label), png_file(tmp_path, name, "white"))
    expect(page.locator("[data-preview-list]")).to_contain_text(MOTHER_ID + "X")
    filled_height = page_height(page)
    print(f"page height: {empty_height} px empty, {filled_height} px filled")
    act.click(page.locator("[data-submit]", has_text="保存"))

    birth = done_birth(page)
    newborn = birth.newborns.get()
    assert newborn.temp_id == MOTHER_ID + "X" and newborn.name == "张三之女"
    assert birth.materials.count() == 3
    assert act.count <= MAX_ACTIONS, f"{act.count} actions to register one girl"
    assert act.count == 15
    # Well under the 2,200 px of issue 14, empty and filled in.
    assert empty_height <= MAX_HEIGHT and filled_height <= MAX_HEIGHT, (empty_height, filled_height)
    assert 2_200 - max(empty_height, filled_height) >= 450


def test_the_preview_and_save_stay_in_view_while_the_clerk_scrolls(logged_in_page):
    page = logged_in_page
    page.goto("/register/")
    preview = page.locator("[data-preview-box]")
    save = page.locator("[data-submit]", has_text="保存")
    expect(preview).to_be_in_viewport()

    for where in ("document.documentElement.scrollHeight / 2", "document.documentElement.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {where})")
        expect(preview).to_be_in_viewport(ratio=1)
        expect(save).to_be_in_viewport(ratio=1)
    assert page.evaluate("window.scrollY") > 700  # the page did scroll: more than one screen down

    # A tablet held upright: the same two at the window's bottom, in a bar.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.evaluate("window.scrollTo(0, 600)")
    expect(save).to_be_in_viewport(ratio=1)
    expect(preview).to_be_in_viewport()
    box = save.bounding_box()
    assert box["y"] + box["height"] > 1024 - 120  # near the bottom edge


def test_the_other_parent_is_folded_until_it_has_a_value_or_an_error(logged_in_page):
    page = logged_in_page
    page.goto("/register/")
    father = page.locator('[data-parent="father"]')
    expect(father).not_to_have_attribute("open", re.compile(".*"))
    expect(page.locator("#id_father_name")).to_be_hidden()
    expect(page.locator("#id_mother_name")).to_be_visible()

    # Opened by its summary, typed in, folded again: the value is still sent, and the page sent back
    # (a missing field) shows it open.
    father.locator("summary").click()
    page.locator("#id_father_name").fill("李四")
    page.locator("#id_father_id_number").fill("12345")  # too short: an error on the folded parent
    father.locator("summary").click()
    expect(page.locator("#id_father_name")).to_be_hidden()
    page.locator("[data-submit]", has_text="保存").click()
    expect(page.locator("#register-errors")).to_be_visible()
    expect(page.locator("#id_father_name")).to_have_value("李四")
    expect(page.locator("#id_father_id_number")).to_be_visible()
    assert not Birth.objects.exists()

    # 证件所属 → 父亲: the father comes first and open, the mother (nothing typed) folded.
    page.goto("/register/")
    page.get_by_role("radiogroup", name="证件所属").get_by_text("父亲").click()
    first = page.locator("[data-parents] > [data-parent]").first
    expect(first).to_have_attribute("data-parent", "father")
    expect(page.locator("#id_father_name")).to_be_visible()
    expect(page.locator("#id_mother_name")).to_be_hidden()
    # The ID parent's summary is a title, not a fold.
    first.locator("summary").click()
    expect(page.locator("#id_father_name")).to_be_visible()
