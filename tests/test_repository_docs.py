"""The README and docs/rules.md stand alone in a clone, and `make demo` serves on the port asked for."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GONE = "SPEC" + ".md"  # the shared specification outside the repository (spelled so this file passes)
README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
CITATION = re.compile(r"docs/rules\.md, (?:the )?([A-Za-z][A-Za-z ]+?)(?=[):;.,]|$)", re.M)


def _sections() -> set[str]:
    # Headings, and the bold items of a list (**Age**), in lower case without a leading "the".
    names = re.findall(r"^#+ (.+)$", RULES, re.M) + re.findall(r"^\d+\. \*\*([^*]+)\*\*", RULES, re.M)
    sections = set()
    for name in names:
        for part in name.split(":"):
            sections.add(re.sub(r"^the ", "", part.strip().lower()))
    return sections


def test_the_readme_needs_nothing_outside_the_repository():
    assert "../shared" not in README and GONE not in README
    for link in re.findall(r"\]\(((?!https?:)[^)#]+)\)", README):
        assert (ROOT / link).exists(), link


def test_every_citation_of_the_rules_names_one_of_their_sections():
    sections = _sections()
    cited = {}
    for path in [
        *ROOT.glob("registration/**/*.py"),
        *ROOT.glob("cards/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        assert GONE not in text, f"{path} cites {GONE}, which a clone does not have"
        for match in CITATION.finditer(text):
            cited[match.group(1).strip().lower()] = path
    assert cited, "no citation found: the pattern is wrong"
    unknown = {name: str(path.relative_to(ROOT)) for name, path in cited.items() if name not in sections}
    assert not unknown, unknown


def test_the_readme_and_the_rules_say_that_today_is_chinas_date():
    assert "Asia/Shanghai" in README.split("## Rules and decisions")[1].split("\n## ")[0]
    assert 'The app\'s "today" is the date in **Asia/Shanghai**' in RULES


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
