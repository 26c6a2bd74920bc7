"""POST /api/v1/births through the registration page's own check: the one adapter to newborn_register.

Everything the page's check decides (the rules, the messages, the warnings) stays in the service; this
module only turns the API's body into its arguments, and a refused body into every one of its errors at
once (birth_errors); the check's field paths (mother.id_number, babies.1.birth_date) are the API's own.
"""

import hashlib
import json
import uuid

from django.core.exceptions import ValidationError
from django.utils import timezone

from registration import access, selectors
from registration.models import ApiClient, Birth, Division
from registration.services.newborns import newborn_register
from registration.services.registration_check import (
    BabyInput,
    ParentInput,
    RegistrationRequest,
    registration_problems,
)

from .serializers import SEX_BY_NAME, BirthSerializer, errors_flatten, values_parsed

# A client's Idempotency-Key, any string, becomes the birth's request key: the same key of the same client
# always names the same registration (and two clients' keys never collide).
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d6c1e-0a43-4c1b-9b7c-3f8e1d2a5b70")
# The check's field paths are the API's (registration.services.registration_check), but for these two.
_SERVICE_PATHS = {"has_household_registration": "no_household_registration", "__all__": "non_field_errors"}
COMMUNITY_UNKNOWN = "没有找到该参保社区，请核对12位社区编码或社区ID。"


def request_key_for(client: ApiClient, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{client.pk}:{idempotency_key}")


def request_fingerprint(body) -> str:
    """The SHA-256 of a parsed JSON body in canonical form (keys sorted, no spaces): kept with the
    Idempotency-Key, so that the key sent again with another body is told from a retry, as payment APIs
    do. Key order and white space do not change it; any value does."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def error_path(key: str) -> str:
    """A check error's field path as the API's: has_household_registration → no_household_registration."""
    return _SERVICE_PATHS.get(key, key)


def errors_by_path(error: ValidationError) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": error.messages}
    errors: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        errors.setdefault(error_path(key), []).extend(messages)
    return errors


def birth_errors(*, client: ApiClient, body: BirthSerializer) -> dict[str, list[str]]:
    """Every error of a body that cannot be registered as it is, at once, by the API's field paths.

    The serializer's own (a malformed value), then those of the registration check over every value that
    did parse, as the registration page does (registration_problems): a bad sex of one baby and a
    mother's ID number with a wrong check digit come back together. A path the serializer already
    reports, or inside a value it could not read at all (`mother` that is no object), gets nothing from
    the check, which saw that value as missing. `body` has been validated (valid or not).

    Raises PermissionDenied when the client's account may not register at all.
    """
    data, unusable = values_parsed(body, body.initial_data)
    community = None
    if data is not None and "community" in data:
        community = selectors.community_resolve(text=data["community"])
    return _errors(client=client, body=body, data=data, unusable=unusable, community=community)


def _errors(*, client: ApiClient, body: BirthSerializer, data, unusable, community) -> dict[str, list[str]]:
    """birth_errors, the body's values parsed and its community looked up (None: not found)."""
    errors = errors_flatten(body.errors)
    if data is None:  # not a JSON object: nothing to check
        return errors
    if "community" in data and community is None:
        errors["community"] = [COMMUNITY_UNKNOWN]

    def reported(key: str) -> bool:
        path = error_path(key)
        parts = path.split(".")
        return path in errors or any(".".join(parts[:end]) in unusable for end in range(1, len(parts)))

    problems = registration_problems(
        hospital=access.registering_hospital(client.user),
        registration=_registration_request(data, community),
        today=timezone.localdate(),
        reported=reported,
    )
    for key, messages in problems.items():
        errors[error_path(key)] = messages
    return errors


def _registration_request(data: dict, community: Division | None) -> RegistrationRequest:
    """The request from BirthSerializer's values, complete (validated_data) or not (values_parsed).

    A value that did not parse is passed empty, which the check reports as missing; a flag that did not
    parse is passed as the value its rule accepts, since the serializer reports it already.
    """

    def parent(role: str) -> ParentInput:
        person = data.get(role) or {}
        return ParentInput(person.get("name", ""), person.get("id_number", ""), person.get("phone", ""))

    def baby(values: dict | None) -> BabyInput:
        values = values or {}
        sex = SEX_BY_NAME.get(values.get("sex"))
        return BabyInput(sex, values.get("birth_date"), values.get("birth_certificate_number", ""))

    return RegistrationRequest(
        route=data.get("route", ""),
        parent_role=data.get("parent_role", ""),
        mother=parent("mother"),
        father=parent("father"),
        babies=tuple(baby(values) for values in data.get("babies", [])),
        community=community,
        has_household_registration=not data.get("no_household_registration", True),
        parent_has_guangxi_household=data.get("parent_has_guangxi_household", True),
        materials_deferred=data.get("materials_deferred", True),
        sms_declined=data.get("sms_declined", False),
        confirmed_warnings=frozenset(data.get("confirm", [])),
        household_address=data.get("household_address", ""),
        household_type=data.get("household_type", ""),
        phone=data.get("phone", ""),
        ethnicity=data.get("ethnicity", ""),
        nationality=data.get("nationality", ""),
        birth_hospital_name=data.get("birth_hospital_name", ""),
    )


def birth_register_from_api(
    *, client: ApiClient, body: BirthSerializer, idempotency_key: str | None, ip: str | None
) -> Birth:
    """Register the birth of a valid BirthSerializer body as the client's service account; with an
    Idempotency-Key, the body's fingerprint (request_fingerprint) is kept with it.

    Raises what newborn_register raises: ValidationError by field (errors_by_path gives the API's paths),
    RegistrationWarning with codes (resend with them in "confirm"), PermissionDenied. A community that is
    not found is a ValidationError with every other error of the body (birth_errors), looked up once.
    """
    data = body.validated_data
    community = selectors.community_resolve(text=data["community"])
    if community is None:
        parsed, unusable = values_parsed(body, body.initial_data)
        raise ValidationError(
            _errors(client=client, body=body, data=parsed, unusable=unusable, community=None)
        )
    return newborn_register(
        clerk=client.user,
        registration=_registration_request(data, community),
        request_key=request_key_for(client, idempotency_key) if idempotency_key else None,
        request_fingerprint=request_fingerprint(body.initial_data) if idempotency_key else "",
        ip=ip,
    )


def same_request(birth: Birth, body: BirthSerializer) -> bool:
    """Whether a body sent with the Idempotency-Key of `birth` is the request that registered it: the same
    body, as its fingerprint says (migration 0027). A birth registered before fingerprints were kept is
    compared by its ID parent."""
    if birth.request_fingerprint:
        return birth.request_fingerprint == request_fingerprint(body.initial_data)
    data = body.validated_data
    parent = data.get(data["parent_role"]) or {}
    return (
        birth.parent_role == data["parent_role"]
        and birth.parent.id_number == parent.get("id_number", "").upper()
    )
