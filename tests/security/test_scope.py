"""Every URL that takes an object answers another hospital's object exactly as it answers a missing one.

The URLs are read from the resolver, so a URL added later is covered without anyone remembering to add a
test: it fails here until OBJECT_KWARGS (or NOT_HOSPITAL_SCOPED) says what its arguments point at.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from registration.models import AuditEntry
from tests.security.conftest import Side, World

# The records are born around the factories' TODAY; printing their cards depends on the date.
pytestmark = pytest.mark.usefixtures("pinned_today")

ROLES = ("clerk", "supervisor")
MISSING_ID = 2_000_000_000  # fits PostgreSQL's integer; no test creates that many rows

# URL name → the keyword arguments that point at a side's objects.
OBJECT_KWARGS: dict[str, Callable[[Side], dict]] = {
    "newborn_detail": lambda side: {"pk": side.newborn.pk},
    "newborn_material": lambda side: {"pk": side.newborn.pk, "material_pk": side.material.pk},
    "register_done": lambda side: {"pk": side.birth.pk},
    "cards:card": lambda side: {"pk": side.newborn.pk},
    "operator_request_existing": lambda side: {"pk": side.clerk.operator.pk},
    "operator_access": lambda side: {"pk": side.clerk.operator.pk},
    "operator_withdraw": lambda side: {"pk": side.clerk.operator.pk},
    # Administrators only (hospital staff get 403 for any token); tokens are bound to their uploader:
    # test_it_treats_another_administrators_import_like_a_missing_one below.
    "payment_import_preview": lambda side: {"token": f"{side.hospital.pk:032x}"},
}

# Routes whose single `pk` is a newborn's: pages other helpers add under a record follow this rule.
NEWBORN_ROUTE_PREFIXES = ("newborns/<int:pk>/", "cards/<int:pk>/")

# URLs with an argument that is not a hospital's object, and why.
NOT_HOSPITAL_SCOPED = {
    "division_children": "administrative divisions are public reference data shared by every hospital",
    "payment_import_template": "the file format of an empty template (csv or xlsx), not an object",
    # The REST API opens nothing to a session; its clients' hospital scoping is tested with their keys.
    "api_newborn": "the API (Bearer keys): tests/api/test_access.py, another hospital's record is a 404",
    "api_newborn_materials": "the API (Bearer keys): tests/api/test_access.py, as api_newborn",
    # The 医保中心's own pages: every hospital's records, a 404 for anyone but an administrator.
    "quality_pair": "administrators only, across hospitals: tests/security/test_access_matrix.py",
    "quality_pair_dismiss": "administrators only, across hospitals: as quality_pair",
    "quality_pair_void": "administrators only, across hospitals: as quality_pair",
}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    arguments: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            arguments = tuple(pattern.pattern.converters) or tuple(pattern.pattern.regex.groupindex)
            yield Route(namespace + (pattern.name or ""), prefix + str(pattern.pattern), arguments)


def object_routes() -> list[Route]:
    """Every URL with an argument, outside the Django admin (staff only: see the admin test below)."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if route.arguments and not route.name.startswith("admin:")
    ]


def kwargs_builder(route: Route) -> Callable[[Side], dict] | None:
    if route.name in OBJECT_KWARGS:
        return OBJECT_KWARGS[route.name]
    if route.arguments == ("pk",) and route.route.startswith(NEWBORN_ROUTE_PREFIXES):
        return lambda side: {"pk": side.newborn.pk}
    return None


SCOPED = [route for route in object_routes() if route.name not in NOT_HOSPITAL_SCOPED]


def test_it_knows_what_every_object_url_points_at():
    unknown = [f"{route.name} ({route.route})" for route in SCOPED if kwargs_builder(route) is None]

    assert not unknown, (
        "URLs taking an object without a scope test: add them to OBJECT_KWARGS in "
        f"tests/security/test_scope.py (or to NOT_HOSPITAL_SCOPED, with the reason): {unknown}"
    )
    assert {"newborn_detail", "newborn_material", "cards:card", "register_done"} <= {r.name for r in SCOPED}


def _missing(kwargs: dict) -> dict:
    return {key: MISSING_ID if isinstance(value, int) else "missing" for key, value in kwargs.items()}


def _statuses(client, url: str) -> dict[str, int]:
    return {method: getattr(client, method.lower())(url).status_code for method in ("GET", "POST")}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", [r for r in SCOPED if kwargs_builder(r)], ids=lambda route: route.name)
def test_it_answers_another_hospitals_object_like_a_missing_one(client, world: World, route, role):
    build = kwargs_builder(route)
    client.force_login(world.own.user(role))

    foreign = _statuses(client, reverse(route.name, kwargs=build(world.foreign)))
    missing = _statuses(client, reverse(route.name, kwargs=_missing(build(world.foreign))))
    own = _statuses(client, reverse(route.name, kwargs=build(world.own)))

    assert foreign == missing, f"{route.route}: another hospital's object {foreign}, a missing one {missing}"
    assert set(foreign.values()) <= {403, 404, 405}, foreign
    if 403 not in own.values():  # a role the page is not for is refused before any lookup
        assert 404 in foreign.values(), foreign
        # The mapping points at real objects: the user's own hospital's object is found.
        assert any(status not in (404, 405) for status in own.values()), own


@pytest.mark.parametrize("role", ROLES)
def test_it_hides_another_hospitals_material_behind_the_users_own_record(client, world: World, role):
    client.force_login(world.own.user(role))

    url = reverse(
        "newborn_material", kwargs={"pk": world.own.newborn.pk, "material_pk": world.foreign.material.pk}
    )

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_a_batch_of_cards_with_another_hospitals_record(client, world: World, role):
    client.force_login(world.own.user(role))

    mixed = client.get(f"/cards/batch.pdf?ids={world.own.newborn.pk},{world.foreign.newborn.pk}")
    missing = client.get(f"/cards/batch.pdf?ids={world.own.newborn.pk},{MISSING_ID}")
    own = client.get(f"/cards/batch.pdf?ids={world.own.newborn.pk}")

    assert mixed.status_code == missing.status_code == 404
    assert own.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_it_leaves_another_hospitals_records_out_of_the_day_batch(client, world: World, role):
    client.force_login(world.own.user(role))
    day = world.foreign.birth.registered_on.isoformat()

    response = client.get(f"/cards/batch.pdf?date={day}")

    printed = set(
        AuditEntry.objects.filter(action=AuditEntry.Action.PRINT).values_list("newborn_id", flat=True)
    )
    assert response.status_code == 200
    assert printed == {world.own.newborn.pk, world.own.paid.pk}


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_no_other_hospitals_history_on_the_users_own_record(client, world: World, role):
    client.force_login(world.own.user(role))

    html = client.get(reverse("newborn_detail", kwargs={"pk": world.own.newborn.pk})).content.decode()

    assert world.foreign.clerk.username not in html
    assert world.foreign.newborn.name not in html


@pytest.mark.parametrize("role", ROLES)
def test_it_keeps_hospital_staff_out_of_the_admins_object_pages(client, world: World, role):
    client.force_login(world.own.user(role))

    response = client.get(f"/admin/registration/newborn/{world.foreign.newborn.pk}/change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_lets_an_administrator_see_every_hospitals_record(client, world: World):
    client.force_login(world.administrator)

    for side in (world.own, world.foreign):
        assert client.get(reverse("newborn_detail", kwargs={"pk": side.newborn.pk})).status_code == 200


def test_it_treats_another_administrators_import_like_a_missing_one(client, world: World):
    from registration.services.kept_uploads import kept_payment_list_store
    from tests import factories

    other = factories.user_make("other_admin", is_staff=True)
    upload = kept_payment_list_store(
        user=other,
        original_name="缴费名单.csv",
        content=f"新生儿编码,到账日期,缴费年度\n{world.foreign.newborn.temp_id},2026-03-01,2026\n".encode(),
    )
    client.force_login(world.administrator)

    foreign = client.get(reverse("payment_import_preview", kwargs={"token": upload.token}))
    missing = client.get(reverse("payment_import_preview", kwargs={"token": "0" * 32}))

    assert foreign.status_code == missing.status_code
    assert foreign["Location"] == missing["Location"]
    client.force_login(other)
    assert client.get(reverse("payment_import_preview", kwargs={"token": upload.token})).status_code == 200
