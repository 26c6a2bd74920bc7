"""Every URL × every role: the status each answers, as registration.access decides it.

The URLs are read from the resolver: a URL added later fails test_it_has_a_row_for_every_url until its row
is written here. Each row names the method the page is for, where its arguments point (the user's own
hospital's objects) and the status per role; every object URL is also asked for the other hospital's
object, which must not exist for hospital staff (404) unless the role is refused before any lookup (403).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from registration.models import Operator
from tests import factories
from tests.security.conftest import Side, World

pytestmark = pytest.mark.usefixtures("pinned_today")

ROLES = ("anonymous", "no_access", "clerk", "supervisor", "administrator", "disabled")
LOGIN = "login"  # a redirect to the login page

LOGGED_IN = dict.fromkeys(ROLES, 200) | {"anonymous": LOGIN}
# Module pages (附件1): an operator with granted access at an enabled hospital, or an administrator.
MODULE = LOGGED_IN | {"no_access": 403, "disabled": 403}
# Registering belongs to a hospital: an administrator has none.
REGISTERING = MODULE | {"administrator": 403}
SUPERVISOR = MODULE | {"clerk": 403}
ADMINISTRATOR = dict.fromkeys(ROLES, 403) | {"anonymous": LOGIN, "administrator": 200}
EVERYONE = dict.fromkeys(ROLES, 200)
# The 医保中心's quality page: anyone but an administrator meets an unknown URL (docs/quality.md).
QUALITY = dict.fromkeys(ROLES, 404) | {"administrator": 200}
# The integration API takes Bearer keys only: a browser session, whoever's, is no key (tests/api checks the
# keys' scopes and each client's hospital).
API = dict.fromkeys(ROLES, 401)


def _with(base: dict, **changes) -> dict:
    return base | changes


@dataclass(frozen=True)
class Row:
    expected: dict[str, int | str]
    method: str = "GET"
    kwargs: Callable[[Side], dict] | None = None  # the URL's arguments, from a hospital's objects
    query: Callable[[Side], str] = lambda side: ""
    data: dict = field(default_factory=dict)


def _newborn(side: Side) -> dict:
    return {"pk": side.newborn.pk}


def _pair(side: Side) -> dict:
    # Two records of one mother (not a likely duplicate: another day, another sex): the page still opens.
    return {"first": side.newborn.pk, "second": side.paid.pk}


def _newborn_temp_id(side: Side) -> dict:
    return {"identity": side.newborn.temp_id}


# URL name (or route, for an unnamed URL) → its row.
ROWS: dict[str, Row] = {
    "admin/password_change/": Row(dict.fromkeys(ROLES, 302)),  # a redirect to the site's own page
    "login": Row(EVERYONE),
    "logout": Row(dict.fromkeys(ROLES, LOGIN), method="POST"),
    "password_change": Row(LOGGED_IN),
    "cards:card": Row(MODULE, kwargs=_newborn),
    "cards:batch": Row(MODULE, query=lambda side: f"ids={side.newborn.pk}"),
    "home": Row(LOGGED_IN),
    "register": Row(REGISTERING),
    # No parent's ID yet: the form's error (400) once the user may register.
    "register_preview": Row(_with(REGISTERING, clerk=400, supervisor=400), method="POST"),
    "register_done": Row(MODULE, kwargs=lambda side: {"pk": side.birth.pk}),
    "newborn_list": Row(MODULE),
    # The administrator's export of the list (every hospital's records, masked).
    "newborn_export": Row(ADMINISTRATOR),
    "newborn_detail": Row(MODULE, kwargs=_newborn),
    "newborn_material": Row(
        MODULE, kwargs=lambda side: {"pk": side.newborn.pk, "material_pk": side.material.pk}
    ),
    # An empty form: refused with its errors (400) once the user may add materials at all.
    "newborn_material_add": Row(
        _with(MODULE, clerk=400, supervisor=400, administrator=400), "POST", _newborn
    ),
    # The family declines text messages: recorded, back to the record's page.
    "newborn_sms_decline": Row(_with(MODULE, clerk=302, supervisor=302, administrator=302), "POST", _newborn),
    "newborn_payment": Row(MODULE, kwargs=_newborn),
    "newborn_void": Row(MODULE, kwargs=_newborn),
    "newborn_formalize": Row(MODULE, kwargs=_newborn),
    "newborn_special_group": Row(MODULE, kwargs=_newborn),
    "payment_import": Row(ADMINISTRATOR),
    "payment_import_template": Row(ADMINISTRATOR, kwargs=lambda side: {"extension": "csv"}),
    # No such upload: back to the upload page with the reason.
    "payment_import_preview": Row(
        _with(ADMINISTRATOR, administrator=302), kwargs=lambda side: {"token": "0" * 32}
    ),
    "division_search": Row(LOGGED_IN, query=lambda side: "q=新竹"),
    "division_roots": Row(LOGGED_IN),
    "division_children": Row(LOGGED_IN, kwargs=lambda side: {"pk": side.hospital.division_id}),
    "audit_list": Row(SUPERVISOR),
    "audit_export": Row(SUPERVISOR),
    "audit_lookups": Row(ADMINISTRATOR),
    # JSON for the page's script: 401 rather than a login page; an empty form is a 400.
    "register_advice": Row(_with(REGISTERING, anonymous=401, clerk=400, supervisor=400), method="POST"),
    "followup": Row(MODULE),
    "followup_export": Row(MODULE),
    "reports": Row(SUPERVISOR),
    "reports_export": Row(SUPERVISOR),
    "operator_list": Row(SUPERVISOR),
    "operator_export": Row(SUPERVISOR),
    # A supervisor's page: administrators add operators in the admin instead.
    "operator_request": Row(_with(SUPERVISOR, administrator=403)),
    # The clerk's access is granted already: refused with a message, back to the list.
    "operator_request_existing": Row(
        _with(SUPERVISOR, supervisor=302, administrator=403),
        method="POST",
        kwargs=lambda side: {"pk": side.clerk.operator.pk},
    ),
    "verify": Row(MODULE),
    "api_births": Row(API, method="POST"),
    "api_newborns": Row(API),
    "api_newborn": Row(API, kwargs=_newborn_temp_id),
    "api_newborn_materials": Row(API, method="POST", kwargs=_newborn_temp_id),
    "api_coverage": Row(API),
    "api_payments": Row(API, method="POST"),
    # The OpenAPI document and its docs hold no data: an integrator reads them before having a key.
    "api_schema": Row(EVERYONE),
    "api_docs": Row(EVERYONE),
    "api_redoc": Row(EVERYONE),
    # Any other address under /api/v1/: the API's JSON 404, whoever asks (tests/api/test_errors.py).
    "api_not_found": Row(dict.fromkeys(ROLES, 404)),
    "operator_access": Row(
        _with(ADMINISTRATOR, administrator=302),
        method="POST",
        kwargs=lambda side: {"pk": side.clerk.operator.pk},
    ),
    # A withdrawal's confirmation page (its POST needs a reason: tests/registration/views/test_operators.py).
    "operator_withdraw": Row(ADMINISTRATOR, kwargs=lambda side: {"pk": side.clerk.operator.pk}),
    "quality": Row(QUALITY),
    "quality_export": Row(QUALITY),
    "quality_pair": Row(QUALITY, kwargs=_pair),
    # An empty form: refused with its errors (400) for an administrator.
    "quality_pair_dismiss": Row(_with(QUALITY, administrator=400), "POST", _pair),
    "quality_pair_void": Row(_with(QUALITY, administrator=400), "POST", _pair),
}


@dataclass(frozen=True)
class Route:
    key: str  # the URL's name, or its route when it has none
    name: str | None


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # the Django admin decides its own access: test_it_keeps_the_admin_for_staff
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = namespace + pattern.name if pattern.name else None
            yield Route(name or prefix + str(pattern.pattern), name)


ROUTES = list(_walk(get_resolver().url_patterns))


def test_it_has_a_row_for_every_url():
    unknown = sorted({route.key for route in ROUTES} - set(ROWS))
    stale = sorted(set(ROWS) - {route.key for route in ROUTES})

    assert not unknown, f"URLs without a row in tests/security/test_access_matrix.py ROWS: {unknown}"
    assert not stale, f"rows for URLs that no longer exist: {stale}"


@dataclass
class Users:
    world: World
    no_access: object
    disabled: object

    def get(self, role: str):
        match role:
            case "anonymous":
                return None
            case "clerk" | "supervisor":
                return self.world.own.user(role)
            case "administrator":
                return self.world.administrator
        return getattr(self, role)


@pytest.fixture
def users(world: World) -> Users:
    no_access = factories.operator_make(
        username="nn_new_clerk",
        hospital=world.own.hospital,
        access=Operator.Access.NONE,
        id_number=factories.id_number(born="19820303", order="046"),
    ).user
    closed = factories.hospital_make(code="H45010300099", name="南宁市已停用医院", is_active=False)
    disabled = factories.operator_make(
        username="closed_clerk", hospital=closed, id_number=factories.id_number(born="19830404", order="057")
    ).user
    return Users(world=world, no_access=no_access, disabled=disabled)


def _url(route: Route, row: Row, side: Side) -> str:
    if route.name is None:
        return "/" + route.key
    url = reverse(route.name, kwargs=row.kwargs(side) if row.kwargs else None)
    query = row.query(side)
    return f"{url}?{query}" if query else url


def _status(client, row: Row, url: str) -> int | str:
    response = getattr(client, row.method.lower())(url, row.data)
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("route", [r for r in ROUTES if r.key in ROWS], ids=lambda route: route.key)
def test_it_answers_each_role_as_the_table_says(client, users: Users, route: Route):
    row = ROWS[route.key]
    answers = {}
    for role in ROLES:
        client.logout()
        if (user := users.get(role)) is not None:
            client.force_login(user)
        answers[role] = _status(client, row, _url(route, row, users.world.own))

    assert answers == row.expected


OBJECT_ROUTES = [r for r in ROUTES if r.key in ROWS and ROWS[r.key].kwargs is not None]
NOT_HOSPITAL_OBJECTS = {"division_children", "payment_import_template", "payment_import_preview"}
# A session is no API key (401 before any lookup); tests/api/test_access.py asks with another hospital's key.
NOT_HOSPITAL_OBJECTS |= {"api_newborn", "api_newborn_materials"}


@pytest.mark.parametrize("role", ("clerk", "supervisor"))
@pytest.mark.parametrize(
    "route", [r for r in OBJECT_ROUTES if r.key not in NOT_HOSPITAL_OBJECTS], ids=lambda route: route.key
)
def test_it_hides_another_hospitals_objects(client, users: Users, route: Route, role: str):
    row = ROWS[route.key]
    client.force_login(users.get(role))

    foreign = _status(client, row, _url(route, row, users.world.foreign))

    assert foreign == (403 if row.expected[role] == 403 else 404)


@pytest.mark.parametrize(
    ("role", "expected"),
    [(role, 200 if role == "administrator" else "admin login") for role in ROLES],
)
def test_it_keeps_the_admin_for_staff(client, users: Users, role: str, expected):
    if (user := users.get(role)) is not None:
        client.force_login(user)

    response = client.get(reverse("admin:index"))

    if expected == 200:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
