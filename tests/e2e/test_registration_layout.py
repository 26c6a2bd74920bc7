"""The registration page's layout at 1366×768 (issue 14, item 11): short, the preview and 保存 always in
view, the other parent folded, and a single girl registered in a counted handful of actions (issue 24,
item 16)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registration.models import Birth, Division, Sex
from registration.services.registration_check import BabyInput, ParentInput
from tests import factories
from tests.e2e.pages import born_days_ago
from tests.e2e.test_registration_flow import done_birth, png_file
from tests.factories import MOTHER_ID

pytestmark = pytest.mark.e2e

# The page was 2,138 px tall before issue 14 (2,139 filled in); 1,648 after it; 1,688 empty and 1,738 filled
# in with issue 24's suggested communities, scans in one choice and their pictures.
MAX_HEIGHT = 1_820
# Issue 24, item 16: 18 actions from the home page before (新增登记; the community: click, type, pick; the
# mother's name, ID and phone; 女; the date; 民族; 户口性质; 户口详址; two checkboxes; three scans; 保存).
# Now 12: 新增登记; the mother's name, ID and phone; the community, one click on a suggestion; 女;
# the date; 民族; 户口性质; the rest of 户口详址 after the start the community gave; the scans, one
# choice; 「确认并保存」, also the one confirmation of the declarations and of the prefilled birth hospital.
MAX_ACTIONS = 12


class Actions:
    """The clerk's actions, each counted: a click, a field typed, a check, a select, a choice of files."""

    def __init__(self):
        self.count = 0

    def fill(self, locator, value: str):
        self.count += 1
        locator.fill(value)

    def type_on(self, locator, text: str):
        """Click at the end of what a box holds and type the rest: one action, as a fill."""
        self.count += 1
        locator.click()
        locator.press("End")
        locator.press_sequentially(text)

    def click(self, locator):
        self.count += 1
        locator.click()

    def check(self, locator):
        self.count += 1
        locator.check()

    def select(self, locator, **option):
        self.count += 1
        locator.select_option(**option)

    def upload(self, locator, paths):
        self.count += 1
        locator.set_input_files(paths)


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def registered_lately(clerk, village: Division, region: str, count: int, first: int):
    """`count` earlier registrations of the clerk's hospital in `village`, by mothers of `region`."""
    today = timezone.localdate()
    for number in range(first, first + count):
        factories.register(
            clerk,
            community=village,
            mother=ParentInput(
                factories.person_name("母亲", number),
                factories.id_number(region=region, order=f"{number:02d}2"),
            ),
            babies=[BabyInput(Sex.FEMALE, today - timedelta(days=5))],
            today=today - timedelta(days=number),
        )


def test_a_new_clerk_registers_a_single_girl_in_a_counted_number_of_actions(logged_in_page, clerk, tmp_path):
    page = logged_in_page
    # What the hospital registered lately: two births of 兴宁区, one of 青秀区 (the mother's ID region).
    xinzhu = Division.objects.get(code="450103001001")
    Division.objects.filter(pk=xinzhu.pk).update(full_name="南宁市 青秀区 新竹街道 新竹社区居委会")
    xingning = factories.division_chain(
        "450102001003", ("广西壮族自治区", "南宁市", "兴宁区", "民生街道", "兴宁社区居委会")
    )
    registered_lately(clerk, xingning, "450102", 2, first=1)
    registered_lately(clerk, xinzhu, "450103", 1, first=3)
    act = Actions()

    # From the home page, as a newcomer would: by the words on the screen, never by an element's id.
    act.click(page.get_by_role("main").get_by_role("link", name="新增登记"))
    page.wait_for_url("**/register/")
    empty_height = page_height(page)
    mother = page.get_by_role("group", name="母亲")
    act.fill(mother.get_by_label("姓名"), "张三")
    act.fill(mother.get_by_label("身份证号码"), MOTHER_ID)
    act.fill(mother.get_by_label("联系电话"), "13877112345")  # copied into the record's 联系电话
    # The hospital's recent communities, those of the mother's ID region (450103, 青秀区) first.
    suggestions = page.locator("[data-community-suggestion]")
    expect(suggestions.first).to_contain_text("新竹社区")
    expect(suggestions.first).to_contain_text("身份证地区")
    expect(suggestions.nth(1)).to_contain_text("兴宁社区居委会")
    act.click(page.get_by_role("button", name="新竹社区"))
    expect(page.get_by_role("combobox", name="参保社区")).to_have_value(
        "南宁市 青秀区 新竹街道 新竹社区居委会"
    )
    address = page.get_by_label("户口详址")
    expect(address).to_have_value("广西壮族自治区南宁市青秀区新竹街道新竹社区")
    baby = page.locator("[data-baby]").first
    act.click(baby.get_by_text("女"))
    act.fill(baby.get_by_label("出生日期"), born_days_ago(4))
    act.select(page.get_by_label("民族"), label="壮族")
    act.select(page.get_by_label("户口性质"), label="居民家庭户口")
    act.type_on(address, "新竹路1号")
    # The three scans in one choice, put into their boxes in file-name order, each shown to check.
    scans = [
        png_file(tmp_path, name, color)
        for name, color in (("扫描1.png", "white"), ("扫描2.png", "gray"), ("扫描3.png", "black"))
    ]
    act.upload(page.get_by_label("一次选择全部扫描件"), scans)
    for kind, name in (
        ("household_head", "扫描1.png"),
        ("household_parent", "扫描2.png"),
        ("birth_record", "扫描3.png"),
    ):
        box = page.locator("[data-material]").filter(has=page.locator(f'input[name="material_{kind}"]'))
        expect(box).to_contain_text(name)
        thumb = box.locator("[data-file-thumb]")
        expect(thumb).to_be_visible()
        assert thumb.evaluate("image => image.complete && image.naturalWidth") == 16  # drawn, not refused
    # The birth hospital is prefilled with the clerk's own, and named in what 「确认并保存」 confirms.
    expect(page.get_by_label("出生医院")).to_have_value("南宁市第一人民医院")
    aside = page.locator(".app-register-aside")
    expect(aside).to_contain_text("新生儿尚未办理户籍登记")
    expect(aside).to_contain_text("证件所属父（母）亲为广西户籍")
    expect(aside).to_contain_text("新生儿的出生医院为「南宁市第一人民医院」")
    expect(page.locator("[data-preview-list]")).to_contain_text(MOTHER_ID + "X")
    filled_height = page_height(page)
    print(f"page height: {empty_height} px empty, {filled_height} px filled")
    act.click(page.get_by_role("button", name="确认并保存"))

    birth = done_birth(page)
    newborn = birth.newborns.get()
    assert newborn.temp_id == MOTHER_ID + "X" and newborn.name == "张三之女"
    assert (
        birth.community == xinzhu
        and newborn.household_address == "广西壮族自治区南宁市青秀区新竹街道新竹社区新竹路1号"
    )
    assert (
        birth.birth_hospital == clerk.operator.hospital and birth.birth_hospital_name == "南宁市第一人民医院"
    )
    materials = {material.kind: material.original_name for material in birth.materials.all()}
    assert materials == {
        "household_head": "扫描1.png",
        "household_parent": "扫描2.png",
        "birth_record": "扫描3.png",
    }
    assert act.count <= MAX_ACTIONS, f"{act.count} actions to register one girl"
    assert act.count == 12
    # Well under the 2,200 px of issue 14, empty and filled in.
    assert empty_height <= MAX_HEIGHT and filled_height <= MAX_HEIGHT, (empty_height, filled_height)
    assert 2_200 - max(empty_height, filled_height) >= 380


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
