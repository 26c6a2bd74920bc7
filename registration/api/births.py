"""POST /api/v1/births through the registration page's own check: the one adapter to newborn_register.

Everything the page's check decides (the rules, the messages, the warnings) stays in the service; this
module only turns the API's body into its arguments, and a refused body into every one of its errors at
once (birth_errors); the check's field paths (mother.id_number, babies.1.birth_date) are the API's own.
"""

import uuid

from django.core.exceptions import ValidationError
from django.utils import timezone

from registration import access, selectors
from registration.models import ApiClient, Birth
from registration.services.newborns import BabyInput, ParentInput, newborn_register
from registration.services.registration_check import registration_check

from .serializers import SEX_BY_NAME, BirthSerializer, errors_flatten, values_parsed

# A client's Idempotency-Key, any string, becomes the birth's request key: the same key of the same client
# always names the same registration (and two clients' keys never collide).
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d6c1e-0a43-4c1b-9b7c-3f8e1d2a5b70")
# The check's field paths are the API's (registration.services.registration_check), but for these two.
_SERVICE_PATHS = {"has_household_registration": "no_household_registration", "__all__": "non_field_errors"}
COMMUNITY_UNKNOWN = "没有找到该参保社区，请核对12位社区编码或社区ID。"


def request_key_for(client: ApiClient, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{client.pk}:{idempotency_key}")


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
    did parse, as the registration page does (views/register.py, hints): a bad sex of one baby and a
    mother's ID number with a wrong check digit come back together. A path the serializer already
    reports, or inside a value it could not read at all (`mother` that is no object), gets nothing from
    the check, which saw that value as missing. `body` has been validated (valid or not).

    Raises PermissionDenied when the client's account may not register at all.
    """
    errors = errors_flatten(body.errors)
    data, unusable = values_parsed(body, body.initial_data)
    if data is None:  # not a JSON object: nothing to check
        return errors
    community = None
    if "community" in data:
        community = selectors.community_resolve(text=data["community"])
        if community is None:
            errors["community"] = [COMMUNITY_UNKNOWN]
    check = registration_check(
        hospital=access.registering_hospital(client.user),
        community=community,
        today=timezone.localdate(),
        **_check_inputs(data),
    )
    for key, messages in check.errors.items():
        path = error_path(key)
        parts = path.split(".")
        inside_unusable = any(".".join(parts[:end]) in unusable for end in range(1, len(parts)))
        if path not in errors and not inside_unusable:
            errors[path] = messages
    return errors


def _check_inputs(data: dict) -> dict:
    """registration_check's inputs from BirthSerializer's values, complete or not (values_parsed).

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

    return {
        "route": data.get("route", ""),
        "parent_role": data.get("parent_role", ""),
        "mother": parent("mother"),
        "father": parent("father"),
        "babies": [baby(values) for values in data.get("babies", [])],
        "has_household_registration": not data.get("no_household_registration", True),
        "parent_has_guangxi_household": data.get("parent_has_guangxi_household", True),
        "materials_deferred": data.get("materials_deferred", True),
        "confirmed_warnings": data.get("confirm", []),
    }


def birth_register_from_api(
    *, client: ApiClient, body: BirthSerializer, idempotency_key: str | None, ip: str | None
) -> Birth:
    """Register the birth of a valid BirthSerializer body as the client's service account.

    Raises what newborn_register raises: ValidationError by field (errors_by_path gives the API's paths),
    RegistrationWarning with codes (resend with them in "confirm"), PermissionDenied. A community that is
    not found is a ValidationError with every other error of the body (birth_errors).
    """
    data = body.validated_data
    community = selectors.community_resolve(text=data["community"])
    if community is None:
        raise ValidationError(birth_errors(client=client, body=body))
    return newborn_register(
        clerk=client.user,
        community=community,
        **_check_inputs(data),
        household_address=data["household_address"],
        household_type=data["household_type"],
        phone=data["phone"],
        ethnicity=data["ethnicity"],
        nationality=data["nationality"],
        birth_hospital_name=data["birth_hospital_name"],
        request_key=request_key_for(client, idempotency_key) if idempotency_key else None,
        ip=ip,
    )
