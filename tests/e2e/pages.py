"""What a clerk does on a page, in a real browser: shared by the browser tests and the cluster's."""

from datetime import timedelta

from django.utils import timezone

from tests.factories import MOTHER_ID, PASSWORD


def login(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person does, and wait to leave it."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def born_days_ago(days: int) -> str:
    # The live server uses the real date, not factories.TODAY.
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def fill_registration(
    page, *, mother_id: str = MOTHER_ID, girls_born_days_ago=(4,), address: str = "", defer_scans: bool = True
):
    """Fill the new-registration page as a clerk does: community, mother, babies, shared fields; the scans
    deferred unless the test uploads them."""
    page.goto("/register/")
    page.locator("#id_community_text").fill("450103001001")
    page.locator("#id_mother_name").fill("张三")
    page.locator("#id_mother_id_number").fill(mother_id)
    page.locator("#id_mother_phone").fill("13877112345")
    page.locator('[data-parent="father"] summary').click()  # the other parent is folded (issue 14)
    page.locator("#id_father_name").fill("李四")
    for index, days in enumerate(girls_born_days_ago):
        if index:
            page.get_by_role("button", name="＋ 添加婴儿").click()
        baby = page.locator("[data-baby]").nth(index)
        baby.get_by_text("女", exact=True).click()
        baby.locator('input[type="date"]').fill(born_days_ago(days))
    page.locator("#id_ethnicity").select_option(label="壮族")
    page.locator("#id_household_type").select_option("30")
    page.locator("#id_household_address").fill(address)
    page.locator("#id_phone").fill("13877112345")
    # The declarations (no 户籍 yet, the parent's Guangxi 户籍, the birth hospital) go with 「确认并保存」.
    if defer_scans:
        page.locator("#id_materials_deferred").check()
