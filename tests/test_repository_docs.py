"""The README and docs/ stand alone in a clone and say where things are; `make demo` serves on the port asked.

The README is a front door: it opens with the two commands and stays short; every page under docs/ is
reachable from it; every link resolves (file and anchor); every repository path a page names in backticks
exists, so that a page naming a module that moved fails here instead of misleading its reader.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
RULES = (DOCS / "rules.md").read_text(encoding="utf-8")
# Files outside the repository that nothing in it may cite (spelled so that this file passes its own test).
GONE = ("SPEC" + ".md", "STYLE" + ".md", "../" + "shared")
CITATION = re.compile(r"docs/rules\.md, (?:the )?([A-Za-z][A-Za-z ]+?)(?=[):;.,]|$)", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# What a path in backticks starts with when it names a file or folder of this repository.
TOP_LEVEL = (
    "registration/",
    "cards/",
    "newborn_enroll/",
    "bench/",
    "deploy/",
    "scripts/",
    "tests/",
    "docs/",
    "templates/",
    "static/",
    "locale/",
    ".ci/",
)
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".html", ".js", ".css", ".sh", ".conf"}
TEXT_SUFFIXES |= {".service", ".timer", ".yml", ".yaml", ".json", ".csv"}
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
SKIPPED_DIRS |= {".hypothesis", "build", "dist"}
VENDORED = ("static/vendor", "tests/e2e/assets")  # others' files, kept as they ship
MAX_README_LINES = 250
MAX_IMAGE_BYTES = 300 * 1024


def _pages() -> list[Path]:
    return [README_PATH, *sorted(DOCS.rglob("*.md"))]


def _prose(text: str) -> str:
    """The text without its fenced code blocks (a shell example's paths are not the page's claims)."""
    return FENCE.sub("", text)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, seen = set(), {}
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(path.read_text(encoding="utf-8")), re.M):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _links(path: Path) -> list[tuple[Path, str]]:
    """(target file, anchor) of each relative link of a page."""
    links = []
    for target in LINK.findall(_prose(path.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        links.append(((path.parent / file).resolve() if file else path, anchor))
    return links


def _text_files():
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in relative.parts):
            continue
        if relative.as_posix().startswith(VENDORED):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in {"Makefile", "run"}):
            yield path


# --- the README is a front door -------------------------------------------------------------------------


def test_the_readme_opens_with_the_two_commands():
    lines = README.splitlines()
    assert lines[0] == "# newborn-enroll"
    opening = [line for line in lines[1:] if line.strip()][0]
    assert opening == "```sh", f"the README opens with {opening!r}, not the commands"
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands[0] == "make demo" and "make test" in commands, commands


def test_the_readme_is_short():
    count = len(README.splitlines())
    assert count <= MAX_README_LINES, f"README.md has {count} lines: move the detail into docs/"


def test_every_docs_page_is_reachable_from_the_readme():
    reached, todo = set(), [README_PATH.resolve()]
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        todo += [
            target for target, _ in _links(page) if target.suffix == ".md" and target.is_relative_to(DOCS)
        ]
    unlinked = [str(p.relative_to(ROOT)) for p in DOCS.rglob("*.md") if p.resolve() not in reached]
    assert not unlinked, f"not linked from the README nor from a page it links: {unlinked}"


# --- every link and every named file exists --------------------------------------------------------------


def test_every_relative_link_resolves_to_a_file_and_its_anchor():
    broken = []
    for page in _pages():
        for target, anchor in _links(page):
            shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
            where = f"{page.relative_to(ROOT)} → {shown}"
            if not target.is_relative_to(ROOT) or not target.exists():
                broken.append(f"{where}: no such file")
            elif anchor and (target.suffix != ".md" or anchor not in _anchors(target)):
                broken.append(f"{where}#{anchor}: no such heading")
    assert not broken, "\n".join(broken)


def test_every_repository_path_a_page_names_exists():
    named, missing = 0, []
    for page in _pages():
        for code in INLINE_CODE.findall(_prose(page.read_text(encoding="utf-8"))):
            for word in code.split():
                word = word.rstrip(",;:)")
                if not word.startswith(TOP_LEVEL) or any(c in word for c in "*…<>{}$?="):
                    continue
                named += 1
                if not (ROOT / word).exists():
                    missing.append(f"{page.relative_to(ROOT)}: `{word}`")
    assert named > 50, "hardly any path found: the pattern is wrong"
    assert not missing, "pages name files that do not exist (moved? update the page):\n" + "\n".join(missing)


def test_the_code_cites_only_pages_that_exist():
    cited, missing = 0, []
    for path in _text_files():
        if path.suffix == ".md":
            continue
        for page in re.findall(
            r"(?<![\w/.-])docs/[\w/-]+\.md\b", path.read_text(encoding="utf-8", errors="replace")
        ):
            cited += 1
            if not (ROOT / page).exists():
                missing.append(f"{path.relative_to(ROOT)}: {page}")
    assert cited, "no citation of a docs page found: the pattern is wrong"
    assert not missing, "\n".join(missing)


def test_the_pictures_are_small():
    images = list((DOCS / "images").glob("*.png"))
    assert images, "the README's pictures are missing"
    large = {p.name: p.stat().st_size for p in images if p.stat().st_size > MAX_IMAGE_BYTES}
    assert not large, large


# --- nothing outside the repository ----------------------------------------------------------------------


def test_nothing_cites_a_file_outside_the_repository():
    citing = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += [f"{path.relative_to(ROOT)}: {gone}" for gone in GONE if gone in text]
    assert not citing, "a clone does not have these:\n" + "\n".join(citing)


def _sections() -> set[str]:
    # Headings, and the bold items of a list (**Age**), in lower case without a leading "the".
    names = re.findall(r"^#+ (.+)$", RULES, re.M) + re.findall(r"^\d+\. \*\*([^*]+)\*\*", RULES, re.M)
    sections = set()
    for name in names:
        for part in name.split(":"):
            sections.add(re.sub(r"^the ", "", part.strip().lower()))
    return sections


def test_every_citation_of_the_rules_names_one_of_their_sections():
    sections = _sections()
    cited = {}
    for path in [
        *ROOT.glob("registration/**/*.py"),
        *ROOT.glob("cards/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
    ]:
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            cited[match.group(1).strip().lower()] = path
    assert cited, "no citation found: the pattern is wrong"
    unknown = {name: str(path.relative_to(ROOT)) for name, path in cited.items() if name not in sections}
    assert not unknown, unknown


def test_the_decisions_and_the_rules_say_that_today_is_chinas_date():
    decisions = (DOCS / "decisions.md").read_text(encoding="utf-8")
    assert '**"Today"** is the date in Asia/Shanghai' in decisions
    assert 'The app\'s "today" is the date in **Asia/Shanghai**' in RULES


# --- make demo ---------------------------------------------------------------------------------------------


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_make_demo_serves_on_the_port_asked_for():
    default = _make("-n", "demo")
    other = _make("-n", "demo", "PORT=8001")

    assert default.returncode == 0 and "manage.py runserver 127.0.0.1:8000" in default.stdout
    assert other.returncode == 0 and "manage.py runserver 127.0.0.1:8001" in other.stdout
    assert "http://127.0.0.1:8001/" in other.stdout
    assert "runserver 0.0.0.0:8001" in _make("-n", "demo", "PORT=8001", "HOST=0.0.0.0").stdout


def test_make_demo_refuses_a_port_that_is_no_number_before_installing_anything():
    result = _make("demo", "PORT=80a1")

    assert result.returncode != 0
    assert "PORT must be a port number from 1 to 65535, got '80a1'" in result.stderr
    assert "migrate" not in result.stdout and "installing" not in result.stdout
    assert _make("demo", "PORT=70000").returncode != 0
