"""The community search and the pick lists behind the registration page's community box (附件2)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from registration import selectors

SHORT_QUERY_HINT = "请输入至少两个汉字的名称、社区ID或6至12位区划代码。"


@require_safe
@login_required
def division_search(request):
    """GET /divisions/search?q=…: communities matching an id, a code (prefix) or name fragments, those of
    the clerk's hospital's county first, then those of its city."""
    query = request.GET.get("q", "")
    try:
        divisions = selectors.division_search(query, near=selectors.division_search_near(request.user))
    except selectors.DivisionQueryError as error:
        return JsonResponse({"error": str(error), "results": []}, status=400)
    payload = {"results": selectors.division_rows(divisions)}
    if not divisions and len("".join(query.split())) < 2:
        payload["hint"] = SHORT_QUERY_HINT
    return JsonResponse(payload)


@require_safe
@login_required
def division_children(request, pk=None):
    """GET /divisions/children (the province's cities) or /divisions/<id>/children: the next pick list."""
    return JsonResponse({"results": selectors.division_rows(selectors.division_children(pk))})
