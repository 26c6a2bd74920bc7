#!/usr/bin/env python3
"""Remake the README's two pictures, docs/images/registration-page.png and docs/images/registration-card.png.

    .venv/bin/python scripts/docs_images.py [--port 8000] [--data-dir /tmp/newborn-docs-images]

What `make demo` does (migrate, import_divisions, seed_demo) into a fresh DATA_DIR of its own on SQLite, then
`manage.py runserver` on the port; Debian's Chromium (Playwright) logs in as the demo clerk, fills in the
registration page for one girl and photographs it, saves, fetches the card's PDF from the app and turns its
first page into a PNG with poppler's `pdftoppm`. The server is stopped and the data directory removed at
the end. Needs `chromium` and `poppler-utils` (scripts/system-packages.sh --browser).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
# A mother born 1992-03-15 in 青秀区 (450103): a valid resident ID, its check digit computed below.
MOTHER_ID_17 = "45010319920315124"


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer at {url} within {timeout:.0f} s") from None
            time.sleep(0.5)


def photograph(base: str, workdir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright
    from stdnum.cn.ric import calc_check_digit

    mother_id = MOTHER_ID_17 + calc_check_digit(MOTHER_ID_17 + "0")  # stdnum expects a check digit there
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(base_url=base, viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page.goto("/login/")
        page.locator("#id_username").fill("clerk_nn")
        page.locator("#id_password").fill("demo-pass-2026")
        page.locator("button[type=submit]").click()
        page.wait_for_url(f"{base}/")

        page.goto("/register/")
        page.locator("#id_community_text").fill("新竹社区")
        page.get_by_role("option").filter(has_text="450103001001").click()  # the picker's result, chosen
        page.locator("#id_mother_name").fill("覃小梅")
        page.locator("#id_mother_id_number").fill(mother_id)
        page.locator("#id_mother_phone").fill("13877112345")
        baby = page.locator("[data-baby]").first
        baby.get_by_text("女", exact=True).click()
        born = time.time() - timedelta(days=4).total_seconds()
        baby.locator('input[type="date"]').fill(time.strftime("%Y-%m-%d", time.localtime(born)))
        page.locator("#id_ethnicity").select_option(label="壮族")
        page.locator("#id_household_type").select_option("30")
        page.locator("#id_household_address").fill("广西南宁市青秀区新竹路1号")
        page.locator("#id_phone").fill("13877112345")
        page.locator("#id_no_household_registration").check()
        page.locator("#id_parent_has_guangxi_household").check()
        page.locator("#id_materials_deferred").check()
        # The aside's preview of what will be issued (the server's answer to /register/preview).
        expect(page.locator("[data-preview-list]")).to_contain_text(mother_id + "X")
        page.locator("body").click(position={"x": 5, "y": 5})  # no focus ring in the picture
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(IMAGES / "registration-page.png"))

        page.get_by_role("button", name="保存").first.click()
        page.wait_for_url("**/register/done/**")
        href = page.locator('a[href$="card.pdf"]').first.get_attribute("href")
        response = page.request.get(f"{base}{href}")
        if response.status != 200:
            raise SystemExit(f"the card answered {response.status}")
        pdf = workdir / "card.pdf"
        pdf.write_bytes(response.body())
        browser.close()
    # The card itself: the top of its A4 page (the rest of the page is blank; the notice follows on the next).
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", "-x", "0", "-y", "30",
         "-W", "910", "-H", "640", str(pdf), str(IMAGES / "registration-card")],
        check=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", type=Path, default=None)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="newborn-docs-images-"))
    data_dir = options.data_dir or workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "import_divisions", "registration/data/divisions/guangxi")
    manage(env, "seed_demo")
    base = f"http://127.0.0.1:{options.port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{options.port}", "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(f"{base}/healthz")
        IMAGES.mkdir(parents=True, exist_ok=True)
        photograph(base, workdir)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    for name in ("registration-page.png", "registration-card.png"):
        print(f"docs/images/{name}: {(IMAGES / name).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
