"""Printing the registration card: one record's, or a day's or a selection's, as a PDF shown inline.

Rows come only through cards.selectors, built on registration.selectors (another hospital's record is a
404); every successful print writes one PRINT audit entry per card, after the PDF has been rendered. A
card is printed only while it is valid (cards.services.card_state_refusal): one record's is refused with
the reason (409); a batch leaves such records out, and says so on a page of its own before printing the
rest, never on the card stock.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cards.selectors import (
    card_newborn_get_for_user,
    card_newborns_by_pk_for_user,
    card_newborns_registered_on,
)
from cards.services import (
    PAGE_SIZES,
    VOID_REFUSED,  # noqa: F401  (kept importable from here)
    CardRefused,
    CardStateError,
    card_state_refusal,
    render_cards,
)
from registration import access, metrics
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import Newborn
from registration.services.audit import newborns_print_record
from registration.validators import date_bounds_validate

# A day's registrations of one hospital are a few dozen; the cap keeps a mistaken request from
# holding a worker for minutes.
MAX_BATCH = 300


class BadRequest(ValueError):
    """A malformed query parameter; its message is shown to the clerk."""


def _error(request, status: int, message: str):
    return render(request, "cards/print_error.html", {"message": message, "status": status}, status=status)


def _options(request) -> tuple[str, bool]:
    size = request.GET.get("size", "A4").upper()
    if size not in PAGE_SIZES:
        raise BadRequest("纸张大小（size）只能是 A4 或 A6。")
    notice = request.GET.get("notice", "1")
    if notice not in ("0", "1"):
        raise BadRequest("告知书参数（notice）只能是 1（打印）或 0（不打印）。")
    return size, notice == "1"


def _refused(request, refusal: CardRefused):
    # A card no longer valid is a conflict with the record's state; text the font cannot print is
    # a record the clerk must correct first.
    return _error(request, 409 if isinstance(refusal, CardStateError) else 422, str(refusal))


def _pdf_response(request, newborns: list[Newborn], *, size: str, notice: bool, filename: str, today: date):
    try:
        pdf = render_cards(newborns, with_notice=notice, page_size=size, today=today)
    except CardRefused as refusal:
        return _refused(request, refusal)
    newborns_print_record(
        user=request.user,
        newborns=newborns,
        ip=client_ip(request),
        detail={"size": size, "notice": notice, "cards": len(newborns)},
    )
    metrics.cards_counted(len(newborns))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_safe
@access.module_access_required
def card_pdf(request, pk):
    """GET /cards/<pk>/card.pdf?size=A4|A6&notice=1|0: one record's card, inline."""
    newborn = card_newborn_get_for_user(user=request.user, pk=pk)
    if newborn is None:
        raise Http404("没有找到该登记记录。")  # absent, or another hospital's: the same answer
    try:
        size, notice = _options(request)
    except BadRequest as error:
        return _error(request, 400, str(error))
    # render_cards refuses a card no longer valid or with text its font cannot print: 409 or 422.
    filename = f"card-{newborn.personal_number}.pdf"
    return _pdf_response(
        request, [newborn], size=size, notice=notice, filename=filename, today=timezone.localdate()
    )


def _selection(request) -> tuple[list[Newborn], str]:
    """The rows a batch asks for (by day or by ids, through the selector) and the PDF's file name."""
    day, ids = request.GET.get("date"), request.GET.get("ids")
    if (day is None) == (ids is None):
        raise BadRequest("请指定登记日期（date=YYYY-MM-DD）或记录编号（ids=1,2,3），二者选一。")
    if day is not None:
        try:
            registered_on = date.fromisoformat(day.strip())
        except ValueError:
            raise BadRequest("登记日期（date）格式应为 YYYY-MM-DD，例如 2026-03-02。") from None
        try:
            date_bounds_validate(registered_on)
        except ValidationError as error:
            raise BadRequest(error.messages[0]) from None
        rows = card_newborns_registered_on(user=request.user, day=registered_on, limit=MAX_BATCH + 1)
        return rows, f"cards-{registered_on.isoformat()}.pdf"
    try:
        wanted = list(dict.fromkeys(int(part) for part in ids.split(",") if part.strip()))
    except ValueError:
        raise BadRequest("记录编号（ids）应为以逗号分隔的数字，例如 ids=12,13,15。") from None
    if not wanted:
        raise BadRequest("没有选择任何记录（ids 为空）。")
    if len(wanted) > MAX_BATCH:
        raise BadRequest(f"一次最多打印{MAX_BATCH}张登记卡。")
    found = card_newborns_by_pk_for_user(user=request.user, pks=wanted)
    if len(found) != len(wanted):
        # Unknown ids and other hospitals' ids look alike: neither exists for this user.
        raise LookupError("所选记录中有不存在或不属于本院的记录。")
    return [found[pk] for pk in wanted], "cards-selection.pdf"


def _acknowledged(request) -> set[int]:
    """The records the clerk was shown as left out (?skip=1,2: the link of batch_skipped.html)."""
    try:
        return {int(part) for part in request.GET.get("skip", "").split(",") if part.strip()}
    except ValueError:
        return set()


def _skipped_page(request, skipped: list[tuple[Newborn, CardStateError]], printable: int, status: int):
    query = request.GET.copy()
    query["skip"] = ",".join(str(newborn.pk) for newborn, _ in skipped)
    rows = [
        {
            "name": newborn.name,
            "code": mask_id_number(newborn.identity_number),
            "personal_number": newborn.personal_number,
            "state": newborn.get_state_display(),
            "reason": str(refusal),
        }
        for newborn, refusal in skipped
    ]
    context = {"rows": rows, "printable": printable, "print_url": f"{request.path}?{query.urlencode()}"}
    return render(request, "cards/batch_skipped.html", context, status=status)


@never_cache
@require_safe
@access.module_access_required
def batch_pdf(request):
    """GET /cards/batch.pdf?date=YYYY-MM-DD or ?ids=1,2,3 (&size=A4|A6&notice=1|0): many cards in one PDF.

    Records whose card is no longer valid (void, formally enrolled, expired) are left out. When any
    is, the clerk first gets a page listing them with the reasons and a link that prints the rest
    (the same query with &skip= naming them): a PDF cannot say so anywhere but on the card stock.
    """
    try:
        size, notice = _options(request)
        rows, filename = _selection(request)
    except BadRequest as error:
        return _error(request, 400, str(error))
    except LookupError as error:
        return _error(request, 404, str(error))
    if len(rows) > MAX_BATCH:
        return _error(request, 400, f"该日登记超过{MAX_BATCH}条，请分批选择记录打印。")
    if not rows:
        return _error(request, 404, "没有可以打印的登记记录：该日本院没有新生儿预参保登记。")
    today = timezone.localdate()
    skipped, printable = [], []
    for newborn in rows:
        refusal = card_state_refusal(newborn, today=today)
        if refusal is None:
            printable.append(newborn)
        else:
            skipped.append((newborn, refusal))
    if not printable:
        return _skipped_page(request, skipped, 0, status=409)
    if skipped and _acknowledged(request) != {newborn.pk for newborn, _ in skipped}:
        return _skipped_page(request, skipped, len(printable), status=200)
    response = _pdf_response(request, printable, size=size, notice=notice, filename=filename, today=today)
    if response.status_code == 200:
        response["X-Cards-Printed"] = str(len(printable))
        response["X-Cards-Skipped"] = str(len(skipped))
        response["X-Cards-Void-Skipped"] = str(sum(refusal.reason == "void" for _, refusal in skipped))
    return response
