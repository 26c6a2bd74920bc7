"""The calls go one way: each module of the apps lives in a room, and imports only from the rooms its room
may call (docs/architecture.md shows the same table). Read from the source (ast), so that an import inside a
function counts too; no database, no Django."""

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("registration", "cards", "newborn_enroll")

# room: the modules in it (a module and everything below it; the longest match decides).
ROOMS = {
    "helpers": (
        "registration.reference",
        "registration.masking",
        "registration.validators",
        "registration.http",
        "registration.pagination",
        "registration.charts",
        "cards.charset",
        "cards.channels",  # reference data: where families pay, by city (docs/rules.md, Payment channels)
    ),
    "infrastructure": (
        "registration.metrics",
        "registration.throttles",
        "registration.sessions",
        "registration.log_masking",
        "registration.searches",
        "registration.audit_triggers",
        "registration.auth",
        "registration.password_validation",
        "registration.axes_app",
        "registration.sms",  # the SMS backends: console, locmem and the gateways' SDKs
    ),
    "models": ("registration.models",),
    "rules": ("registration.rules",),
    "access": ("registration.access",),
    "selectors": ("registration.selectors", "cards.selectors"),
    "services": ("registration.services", "cards.services", "cards.content"),
    "forms": ("registration.forms",),
    "api": ("registration.api",),  # its views, serializers and DRF adapters
    "views": ("registration.views", "cards.views"),  # the pages
    "urls": ("registration.urls", "registration.api.urls", "cards.urls", "newborn_enroll.urls"),
    "admin": ("registration.admin",),
    "wiring": (
        "registration.apps",
        "registration.signals",
        "registration.middleware",
        "registration.context_processors",
        "cards.apps",
    ),
    "jobs": (
        "registration.management",
        "cards.management",
        "registration.jobs",
        "registration.backup",
        "registration.demo",
    ),
    "project": ("newborn_enroll",),
}

# room: the rooms it may import (its own only when listed). Everything else is against the direction.
MAY_IMPORT = {
    "helpers": {"helpers"},
    "infrastructure": {"infrastructure", "helpers"},
    "models": {"helpers"},
    "rules": {"helpers"},
    "access": {"models", "helpers"},
    "selectors": {"selectors", "access", "rules", "models", "helpers"},
    "services": {"services", "selectors", "access", "rules", "models", "helpers", "infrastructure"},
    "forms": {"forms", "services", "selectors", "rules", "models", "helpers"},
    "api": {
        "api",
        "forms",
        "services",
        "selectors",
        "access",
        "rules",
        "models",
        "helpers",
        "infrastructure",
    },
    "views": {
        "forms",
        "services",
        "selectors",
        "access",
        "rules",
        "models",
        "helpers",
        "infrastructure",
        "wiring",
    },
    "urls": {"urls", "views", "api"},
    "admin": {"admin", "services", "selectors", "access", "models", "helpers", "infrastructure"},
    "wiring": {"wiring", "services", "selectors", "access", "models", "helpers", "infrastructure"},
    "jobs": {"jobs", "services", "selectors", "access", "rules", "models", "helpers", "infrastructure"},
    "project": {"project", "urls", "services", "helpers", "infrastructure"},
}

# The rules are pure functions of their arguments: no database, no clock (`today` is passed in).
RULES_NEVER_IMPORT = ("django.db", "django.utils.timezone", "time")
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "today"), ("timezone", "now")}


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


MODULES = _modules()


def _imported(module: str, path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every import, `from a import b` counted as a.b when a.b is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((node.lineno, submodule if submodule in MODULES else base))
    return found


def room_of(module: str) -> str | None:
    """The room of a module of the apps: the longest prefix in ROOMS that names it or a package above it."""
    best, room = "", None
    for name, prefixes in ROOMS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, room = prefix, name
    return room


def test_every_module_of_the_apps_is_in_a_room():
    # The apps' own package modules hold nothing (registration/__init__.py, cards/__init__.py).
    homeless = [name for name in MODULES if room_of(name) is None and name not in ("registration", "cards")]
    assert homeless == []
    assert all(_imported(name, MODULES[name]) == [] for name in ("registration", "cards"))


def test_every_room_may_import_only_rooms_that_exist():
    assert set(MAY_IMPORT) == set(ROOMS)
    assert set().union(*MAY_IMPORT.values()) <= set(ROOMS)


def test_the_calls_go_one_way():
    wrong = []
    for module, path in sorted(MODULES.items()):
        room = room_of(module)
        if room is None:
            continue
        for line, imported in _imported(module, path):
            if imported.split(".")[0] not in PACKAGES:
                continue
            target = room_of(imported)
            if target not in MAY_IMPORT[room]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({room}) imports {imported} ({target})")
    assert wrong == []


def test_the_direction_holds_what_the_house_says():
    """The table itself keeps the house's lines: a change to it that crosses one fails here."""
    lower = {"selectors", "rules", "models", "access"}
    for room in lower:
        assert not MAY_IMPORT[room] & {"services", "views", "api", "forms"}, room
    assert not MAY_IMPORT["services"] & {"views", "api", "forms"}
    assert not MAY_IMPORT["models"] & {"services", "selectors"}
    assert [room for room, allowed in MAY_IMPORT.items() if "views" in allowed] == ["urls"]
    assert [room for room, allowed in MAY_IMPORT.items() if "api" in allowed] == ["api", "urls"]
    assert [room for room, allowed in MAY_IMPORT.items() if "project" in allowed] == ["project"]


def test_the_rules_read_no_database_and_no_clock():
    path = MODULES["registration.rules"]
    imported = [name for _, name in _imported("registration.rules", path)]
    assert [name for name in imported if name.startswith(RULES_NEVER_IMPORT)] == []
    calls = [
        (node.value.id, node.attr)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    ]
    assert [call for call in calls if call in CLOCK_CALLS] == []


def test_a_misplaced_import_is_found():
    """The checker itself: a selector importing a form, and a relative import into views, are reported."""
    selector = ROOT / "registration" / "selectors" / "records.py"
    source = "def f():\n    from registration.forms.newborns import Form\n    from ..views import home\n"

    imported = [name for _, name in _imported("registration.selectors.records", selector, source)]

    assert [(name, room_of(name)) for name in imported] == [
        ("registration.forms.newborns", "forms"),
        ("registration.views.home", "views"),
    ]
    assert not {room_of(name) for name in imported} & MAY_IMPORT["selectors"]


# --- every transaction where the house keeps them ---------------------------------------------------------

# Writes open transactions in services; the jobs and commands (their runs, flush) and the migrations may too.
TRANSACTIONS_ALLOWED = (
    "registration/services/",
    "registration/jobs.py",
    "registration/management/commands/",
    "cards/management/commands/",
    "registration/migrations/",
    "tests/",
    "bench/",  # the benchmarks' own fixtures
)


def test_transactions_are_opened_only_in_services_jobs_and_migrations():
    listed = subprocess.run(
        ["git", "grep", "-l", "transaction.atomic", "--", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode not in (0, 1):
        pytest.fail(f"git grep failed: {listed.stderr}")
    files = listed.stdout.split()
    assert files, "git grep found no transaction at all: the search itself is broken"
    assert [name for name in files if not name.startswith(TRANSACTIONS_ALLOWED)] == []
