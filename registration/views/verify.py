"""/verify/: the settlement desk of any hospital checks a card's coverage (issue 16, item 4).

The same answer as GET /api/v1/coverage, from the same function (selectors.newborn_coverage).
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registration import access, throttles
from registration.forms.verify import VerifyForm
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import AuditEntry
from registration.selectors import newborn_coverage
from registration.services.audit import audit_record, user_hospital
from registration.services.budgets import budgets_take

TEMPLATE = "registration/verify.html"


@never_cache
@access.module_access_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """GET: the form. POST (the code is an ID number: never in a URL): the card's coverage, audited."""
    if request.method == "GET":
        return render(request, TEMPLATE, {"form": VerifyForm()})
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form}, status=400)
    ip = client_ip(request)
    hospital = user_hospital(request.user)
    # The minute's rate per user and the day's coverage budgets of the user, the hospital, the address.
    budgets = throttles.lookup_budgets(
        scope=throttles.SCOPE_COVERAGE_DAY, user=request.user, hospital=hospital, ip=ip
    )
    decision = budgets_take([throttles.verify_page_budget(request.user), *budgets])
    if not decision.allowed:
        form.add_error(None, throttles.refused_message(decision.wait, what="核验"))
        response = render(request, TEMPLATE, {"form": form}, status=429)
        response["Retry-After"] = throttles.retry_after(decision.wait)
        return response
    today = timezone.localdate()
    coverage = newborn_coverage(
        code=form.cleaned_data["code"], birth_date=form.cleaned_data["birth_date"], today=today
    )
    audit_record(
        user=request.user,
        action=AuditEntry.Action.VERIFY,
        obj=coverage.newborn if coverage else None,
        ip=ip,
        detail={
            "found": coverage is not None,
            **({"covered": coverage.covered} if coverage else {}),
            # A miss consulted every hospital's records; a hit, the baby's hospital's.
            "lookup": coverage is None or hospital is None or coverage.newborn.hospital_id != hospital.pk,
        },
    )
    # Which code was checked, masked; after "not found" the typed code and date stay to be corrected.
    context = {
        "form": form if coverage is None else VerifyForm(),
        "checked": True,
        "checked_code": mask_id_number(form.cleaned_data["code"]),
        "coverage": coverage,
        "today": today,
    }
    return render(request, TEMPLATE, context, status=200 if coverage else 404)
