"""The calls go one way: each module of the apps lives in a room, and imports only from the rooms its room
may call (docs/architecture.md shows the same table). Read from the source (ast), so that an import inside a
function counts too; no database, no Django. And the tests mirror the modules where logic lives: each
module of registration/services/, selectors/ and forms/ has its test module (docs/testing.md)."""

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


# --- the tests mirror the modules where logic lives --------------------------------------------------------

MIRRORED = ("registration/services", "registration/selectors", "registration/forms")

# Modules with no test module of their own yet, each with where it is exercised today. Take a module off
# this list by giving it its tests/registration/<package>/test_<module>.py; never add one to it.
NOT_MIRRORED_YET = {
    # The audit log's writer: every service's test reads the entries it wrote; the log's page is
    # tests/security/test_audit_log.py, its triggers tests/security/test_audit_triggers.py.
    "registration/services/audit.py",
    # POST /api/v1/payments: tests/api/test_payments.py.
    "registration/services/payment_items.py",
    # The audit log's read: tests/security/test_audit_log.py (the page), test_province_scale.py (its plans).
    "registration/selectors/audit.py",
    # The lists' filters and the searches behind them: through the lists' pages (tests/registration/views/)
    # and test_province_scale.py (the searches' plans).
    "registration/selectors/filters.py",
    "registration/selectors/search.py",
    # Hospitals and operators a user may manage: tests/registration/views/test_operators.py.
    "registration/selectors/people.py",
    # The pages' forms, each through its page's tests (tests/registration/views/test_<page>.py) and
    # Hypothesis over every form (tests/security/test_form_properties.py); fields.py also through the API.
    "registration/forms/accounts.py",
    "registration/forms/advisor.py",
    "registration/forms/audit.py",
    "registration/forms/fields.py",
    "registration/forms/lifecycle.py",
    "registration/forms/newborns.py",
    "registration/forms/operators.py",
    "registration/forms/payments_import.py",
    "registration/forms/quality.py",
    "registration/forms/reports.py",
    "registration/forms/verify.py",
}


def _logic_modules() -> list[str]:
    return sorted(
        path.relative_to(ROOT).as_posix()
        for package in MIRRORED
        for path in (ROOT / package).glob("*.py")
        if path.name != "__init__.py"
    )


def _mirror_of(module: str) -> Path:
    """registration/services/newborns.py -> tests/registration/services/test_newborns.py"""
    package, name = module.rsplit("/", 1)
    return ROOT / "tests" / package / f"test_{name}"


def test_each_service_selector_and_form_module_has_its_own_test_module():
    modules = _logic_modules()
    assert len(modules) > 30, "found too few modules: the search itself is broken"
    missing = [
        module for module in modules if module not in NOT_MIRRORED_YET and not _mirror_of(module).exists()
    ]
    assert missing == [], "give each its tests/<package>/test_<module>.py (docs/testing.md)"


def test_the_list_of_modules_not_mirrored_yet_holds_only_what_is_still_missing():
    modules = _logic_modules()
    assert sorted(NOT_MIRRORED_YET - set(modules)) == [], "a module listed here no longer exists"
    mirrored = [module for module in sorted(NOT_MIRRORED_YET) if _mirror_of(module).exists()]
    assert mirrored == [], "these have their test module now: take them off NOT_MIRRORED_YET"
