"""POST /api/v1/births through the registration page's own check: the one adapter to newborn_register.

Everything the page's check decides (the rules, the messages, the warnings) stays in the service; this
module only turns the API's body into its arguments; the check's field paths (mother.id_number,
babies.1.birth_date) are the API's own.
"""

import uuid

from django.core.exceptions import ValidationError

from registration import selectors
from registration.models import ApiClient, Birth
from registration.services.newborns import BabyInput, ParentInput, newborn_register

from .serializers import SEX_BY_NAME

# A client's Idempotency-Key, any string, becomes the birth's request key: the same key of the same client
# always names the same registration (and two clients' keys never collide).
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d6c1e-0a43-4c1b-9b7c-3f8e1d2a5b70")
# The check's field paths are the API's (registration.services.registration_check), but for these two.
_SERVICE_PATHS = {"has_household_registration": "no_household_registration", "__all__": "non_field_errors"}


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


def birth_register_from_api(
    *, client: ApiClient, data: dict, idempotency_key: str | None, ip: str | None
) -> Birth:
    """Register the birth described by BirthSerializer's data as the client's service account.

    Raises what newborn_register raises: ValidationError by field (errors_by_path gives the API's paths),
    RegistrationWarning with codes (resend with them in "confirm"), PermissionDenied.
    """
    community = selectors.community_resolve(text=data["community"])
    if community is None:
        raise ValidationError(
            {"community": ["没有找到该参保社区，请核对12位社区编码或社区ID。"]}, code="community"
        )
    mother, father = data.get("mother") or {}, data.get("father") or {}
    return newborn_register(
        clerk=client.user,
        route=data["route"],
        parent_role=data["parent_role"],
        mother=ParentInput(mother.get("name", ""), mother.get("id_number", ""), mother.get("phone", "")),
        father=ParentInput(father.get("name", ""), father.get("id_number", ""), father.get("phone", "")),
        babies=[
            BabyInput(SEX_BY_NAME[baby["sex"]], baby["birth_date"], baby.get("birth_certificate_number", ""))
            for baby in data["babies"]
        ],
        community=community,
        household_address=data["household_address"],
        household_type=data["household_type"],
        phone=data["phone"],
        ethnicity=data["ethnicity"],
        nationality=data["nationality"],
        birth_hospital_name=data["birth_hospital_name"],
        has_household_registration=not data["no_household_registration"],
        parent_has_guangxi_household=data["parent_has_guangxi_household"],
        confirmed_warnings=data["confirm"],
        materials_deferred=data["materials_deferred"],
        request_key=request_key_for(client, idempotency_key) if idempotency_key else None,
        ip=ip,
    )
