"""POST /register/advice: the 新生儿出生一件事 advisor of the registration page, as JSON (issue 5 item 8).

POST, not GET: the parents' ID numbers travel in the body, never in a URL that a proxy or a log keeps.
Informational only: what is typed is not stored, and the registration itself does not depend on it.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registration import access, selectors, validators
from registration.forms.advisor import AdviceForm
from registration.services.joint_handling import JointHandlingFacts, joint_handling_advice


def _valid_id(value: str, role: str, today: date) -> str:
    if not value:
        return ""
    try:
        return validators.parent_id_validate(value, role=role, today=today)
    except ValidationError:
        return ""


@never_cache
@require_POST
def register_advice(request):
    """The advice for what the clerk has typed so far: {"advice": null} or its conditions."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "请先登录。"}, status=401)
    if (reason := access.registering_denied_reason(request.user)) is not None:
        return JsonResponse({"error": reason}, status=403)
    operator = access.user_operator(request.user)
    form = AdviceForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"advice": None, "error": "填写内容格式有误。"}, status=400)
    data, today = form.cleaned_data, timezone.localdate()
    community = None
    if data["community"] or data["community_text"]:
        community_id = (
            data["community"] if data["community"].isdigit() and len(data["community"]) <= 9 else None
        )
        community = selectors.community_resolve(pk=community_id, text=data["community_text"])
    hospital = _birth_hospital(operator.hospital, data["birth_hospital_name"])
    facts = JointHandlingFacts(
        birth_dates=data["birth_dates"],
        today=today,
        mother_id_number=_valid_id(data["mother_id_number"], "mother", today),
        father_id_number=_valid_id(data["father_id_number"], "father", today),
        id_parent_role=data["parent_role"],
        # Declared by the page's 「确认并保存」, after this advice: still a point to confirm here.
        id_parent_has_guangxi_household=None,
        nationality=data["nationality"],
        household_type=data["household_type"],
        community_code=community.code if community else "",
        birth_hospital_code=hospital.division.code if hospital else None,
        birth_hospital_has_maternity_ward=hospital.has_maternity_ward if hospital else None,
        birth_hospital_name=data["birth_hospital_name"],
    )
    advice = joint_handling_advice(facts)
    if advice is None:
        return JsonResponse({"advice": None})
    return JsonResponse(
        {
            "advice": {
                "eligible": advice.eligible,
                "last_day": advice.last_day.isoformat(),
                "last_day_zh": f"{advice.last_day.year}年{advice.last_day.month}月{advice.last_day.day}日",
                "unmet": list(advice.unmet),
                "to_confirm": list(advice.to_confirm),
            }
        }
    )


def _birth_hospital(own, name: str):
    """The birth hospital when this system knows it: the clerk's own (name empty or its name), or by name."""
    if not name or name == own.name:
        return own
    return selectors.hospital_by_name(name)
