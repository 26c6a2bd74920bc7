"""Payment lists (缴费名单) imported by 医保中心 administrators: upload, preview, confirm; and the template.

The upload is read at once (a file that cannot be used is refused on the upload page) and kept on the
server; the preview and the confirmation both read the kept file again, so the confirming form carries
only the upload's token and the previewed plan's digest, never the data.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from registration import access
from registration.forms.payments_import import PaymentImportForm
from registration.http import client_ip
from registration.services.kept_uploads import (
    kept_payment_list_get,
    kept_payment_list_store,
    kept_upload_discard,
    kept_upload_read,
)
from registration.services.payment_files import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    TEMPLATE_HEADERS,
    TOO_LARGE_MESSAGE,
    payment_rows_read,
    payment_template_csv,
    payment_template_xlsx,
)
from registration.services.payments import (
    Outcome,
    PaymentImportPlan,
    PlanChanged,
    payment_import_apply,
    payment_import_plan,
)
from registration.services.storage import RETRY_AFTER_SECONDS, StorageUnavailable

GONE_MESSAGE = "上传的文件已失效或不存在（文件保留一天，导入后即删除），请重新上传。"


@require_http_methods(["GET", "POST"])
@access.administrator_required
def payment_import(request):
    """GET/POST /payments/import/: upload a payment list; a usable one goes on to its preview."""
    form = PaymentImportForm(request.POST, request.FILES) if request.method == "POST" else PaymentImportForm()
    storage_down = False
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > IMPORT_MAX_BYTES:
                raise ValidationError(TOO_LARGE_MESSAGE, code="too_large")
            content = upload.read()
            payment_rows_read(content)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            try:
                stored = kept_payment_list_store(
                    user=request.user, original_name=upload.name, content=content
                )
            except StorageUnavailable:
                storage_down = True
                form.add_error("file", "文件存储服务暂时不可用，名单未保存，请稍后重新上传。")
            else:
                return redirect("payment_import_preview", token=stored.token)
    status = 503 if storage_down else 400 if form.is_bound and form.errors else 200
    context = {"form": form, "headers": TEMPLATE_HEADERS, "max_rows": IMPORT_MAX_ROWS}
    return render(request, "registration/lifecycle/import_upload.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@access.administrator_required
def payment_import_preview(request, token):
    """GET /payments/import/<token>/: each row's outcome; POST applies the previewed plan."""
    upload = kept_payment_list_get(user=request.user, token=token)
    if upload is None:
        messages.error(request, GONE_MESSAGE)
        return redirect("payment_import")
    try:
        return _preview_or_apply(request, upload)
    except StorageUnavailable:  # the list stays kept: the same address works once the store is back
        context = {"subject": "缴费名单"}
        response = render(request, "registration/storage_unavailable.html", context, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _preview_or_apply(request, upload):
    today = timezone.localdate()
    if request.method == "POST":
        try:
            result = payment_import_apply(
                user=request.user,
                upload=upload,
                digest=request.POST.get("digest", ""),
                today=today,
                ip=client_ip(request),
            )
        except PlanChanged as changed:
            warning = "名单中有记录在预览后发生了变化（例如有人录入了缴费），请重新核对下面的结果后再确认。"
            return _preview(request, upload, changed.plan, warning=warning, status=409)
        except ValidationError as error:
            if error.code == "gone":
                messages.error(request, GONE_MESSAGE)
                return redirect("payment_import")
            plan = _plan(request, upload, today)
            return _preview(request, upload, plan, warning=" ".join(error.messages), status=409)
        kept_upload_discard(upload)
        counts = result.plan.counts
        messages.success(
            request,
            f"导入完成（{upload.original_name}）：新录入 {len(result.payments)} 笔缴费；"
            f"已录入而跳过 {counts[Outcome.RECORDED]} 行；有错误未导入 {counts[Outcome.ERROR]} 行。",
        )
        return redirect("payment_import")
    plan = _plan(request, upload, today)
    if plan is None:
        messages.error(request, GONE_MESSAGE)
        return redirect("payment_import")
    return _preview(request, upload, plan)


def _plan(request, upload, today) -> PaymentImportPlan | None:
    content = kept_upload_read(upload)
    if content is None:
        return None
    return payment_import_plan(user=request.user, rows=payment_rows_read(content), today=today)


def _preview(request, upload, plan, *, warning: str = "", status: int = 200):
    if plan is None:
        messages.error(request, GONE_MESSAGE)
        return redirect("payment_import")
    context = {
        "upload": upload,
        "plan": plan,
        "counts": plan.counts,
        "to_record": plan.counts[Outcome.RECORD],
        "warning": warning,
        "Outcome": Outcome,
    }
    return render(request, "registration/lifecycle/import_preview.html", context, status=status)


TEMPLATES = {
    "csv": ("text/csv; charset=utf-8", payment_template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", payment_template_xlsx),
}


@require_safe
@access.administrator_required
def payment_import_template(request, extension):
    """GET /payments/import/template.csv|.xlsx: an empty list with the expected headers."""
    if extension not in TEMPLATES:
        raise Http404("没有这种格式的模板。")
    content_type, build = TEMPLATES[extension]
    response = HttpResponse(build(), content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"payment-list-template.{extension}\"; filename*=UTF-8''"
        f"%E7%BC%B4%E8%B4%B9%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.{extension}"  # 缴费名单模板
    )
    return response
