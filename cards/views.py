"""Printing the registration card: one record's, or a day's or a selection's, as a PDF shown inline.

Rows come only through registration.selectors (another hospital's record is a 404); every successful
print writes one PRINT audit entry per card, after the PDF has been rendered.
"""

from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cards.services import CARD_RELATED, PAGE_SIZES, render_cards
from registration import selectors
from registration.http import client_ip
from registration.models import Newborn
from registration.permissions import module_access_required
from registration.services.audit import newborns_print_record

# A day's registrations of one hospital are a few dozen; the cap keeps a mistaken request from
# holding a worker for minutes.
MAX_BATCH = 300
VOID_REFUSED = (
    "该记录已作废，登记卡不能再使用，不能打印。请家长持相关材料到户籍所在地的医保经办机构办理正式参保登记。"
)


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


def _pdf_response(request, newborns: list[Newborn], *, size: str, notice: bool, filename: str):
    pdf = render_cards(newborns, with_notice=notice, page_size=size)
    newborns_print_record(
        user=request.user,
        newborns=newborns,
        ip=client_ip(request),
        detail={"size": size, "notice": notice, "cards": len(newborns)},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
@module_access_required
def card_pdf(request, pk):
    """GET /cards/<pk>/card.pdf?size=A4|A6&notice=1|0: one record's card, inline."""
    newborns = list(
        selectors.newborn_list_for_user(user=request.user).select_related(*CARD_RELATED).filter(pk=pk)
    )
    if not newborns:
        raise Http404("没有找到该登记记录。")  # absent, or another hospital's: the same answer
    try:
        size, notice = _options(request)
    except BadRequest as error:
        return _error(request, 400, str(error))
    newborn = newborns[0]
    if newborn.state == Newborn.State.VOID:
        return _error(request, 409, VOID_REFUSED)
    return _pdf_response(
        request, newborns, size=size, notice=notice, filename=f"card-{newborn.personal_number}.pdf"
    )


def _selection(request) -> tuple[list[Newborn], str]:
    """The rows a batch asks for (by day or by ids, through the selector) and the PDF's file name."""
    day, ids = request.GET.get("date"), request.GET.get("ids")
    if (day is None) == (ids is None):
        raise BadRequest("请指定登记日期（date=YYYY-MM-DD）或记录编号（ids=1,2,3），二者选一。")
    visible = selectors.newborn_list_for_user(user=request.user).select_related(*CARD_RELATED)
    if day is not None:
        try:
            registered_on = date.fromisoformat(day.strip())
        except ValueError:
            raise BadRequest("登记日期（date）格式应为 YYYY-MM-DD，例如 2026-03-02。") from None
        rows = visible.filter(birth__registered_on=registered_on).order_by(
            "birth__registered_at", "birth_order"
        )
        return list(rows[: MAX_BATCH + 1]), f"cards-{registered_on.isoformat()}.pdf"
    try:
        wanted = list(dict.fromkeys(int(part) for part in ids.split(",") if part.strip()))
    except ValueError:
        raise BadRequest("记录编号（ids）应为以逗号分隔的数字，例如 ids=12,13,15。") from None
    if not wanted:
        raise BadRequest("没有选择任何记录（ids 为空）。")
    if len(wanted) > MAX_BATCH:
        raise BadRequest(f"一次最多打印{MAX_BATCH}张登记卡。")
    found = {newborn.pk: newborn for newborn in visible.filter(pk__in=wanted)}
    if len(found) != len(wanted):
        # Unknown ids and other hospitals' ids look alike: neither exists for this user.
        raise LookupError("所选记录中有不存在或不属于本院的记录。")
    return [found[pk] for pk in wanted], "cards-selection.pdf"


@never_cache
@require_GET
@module_access_required
def batch_pdf(request):
    """GET /cards/batch.pdf?date=YYYY-MM-DD or ?ids=1,2,3 (&size=A4|A6&notice=1|0): many cards in one PDF.

    Void records are left out: their cards are no longer valid.
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
    printable = [newborn for newborn in rows if newborn.state != Newborn.State.VOID]
    if not printable:
        if rows:
            return _error(request, 409, "所选记录均已作废，没有可以打印的登记卡。")
        return _error(request, 404, "没有可以打印的登记记录：该日本院没有新生儿预参保登记。")
    response = _pdf_response(request, printable, size=size, notice=notice, filename=filename)
    response["X-Cards-Printed"] = str(len(printable))
    response["X-Cards-Void-Skipped"] = str(len(rows) - len(printable))
    return response
