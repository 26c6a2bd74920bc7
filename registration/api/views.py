"""The API's endpoints: read the request, call a selector or a service, answer in JSON; each call audited."""

import re

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from registration import selectors, throttles
from registration.http import client_ip
from registration.models import AuditEntry, Newborn
from registration.selectors.coverage import newborn_coverage
from registration.services.audit import audit_record
from registration.services.birth_materials import MaterialInput, birth_material_add
from registration.services.kept_uploads import display_name
from registration.services.newborns import RegistrationWarning
from registration.services.payment_items import PaymentsRefused, payment_items_record
from registration.services.storage import RETRY_AFTER_SECONDS, StorageUnavailable

from . import serializers
from .auth import request_client
from .births import birth_errors, birth_register_from_api, errors_by_path, same_request
from .parsers import MultiPartParser
from .throttles import ClientRateThrottle, CoverageRateThrottle, LookupRateThrottle

IDEMPOTENCY_KEY_MAX_LENGTH = 200
IDEMPOTENCY_KEY_REUSED = (
    "该 Idempotency-Key 已用于另一次请求（请求内容不同），未登记。重试须发送与首次完全相同的内容；"
    "新的登记请使用新的标识。"
)
NOT_FOUND = "没有找到该登记记录。"
COVERAGE_NOT_FOUND = "没有找到与该编码和出生日期相符的登记记录，请核对登记卡上的新生儿编码和出生日期。"
STORAGE_UNAVAILABLE = "文件存储服务暂时不可用，材料未保存，请稍后重试（见 Retry-After）。"
UNKNOWN_ENDPOINT = "没有该接口，请核对请求的地址（接口文档见 /api/v1/docs）。"
TOO_MANY_FIELDS = "请求体中的表单字段或文件过多。"
INVALID_CURSOR = "无效的分页游标：请使用上一页响应中 next 或 previous 给出的地址。"


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} 字节"
    return f"请求体过大：最大 {size}。"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self):
        super().__init__(too_large_message())


def exception_handler(exc, context):
    """A refused body is a 422 listing every error by field path; the rest as DRF answers them.

    Django's own refusals of a body (too large, too many fields) would leave the API as its HTML 400 page:
    they are answered in the API's shape, a too large body as a 413.
    """
    if isinstance(exc, exceptions.ValidationError):
        return Response({"errors": serializers.errors_flatten(exc.detail)}, status=422)
    if isinstance(exc, StorageUnavailable):  # nothing was stored; the same request may be sent again
        return Response(
            {"detail": STORAGE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(TOO_MANY_FIELDS)
    return drf_exception_handler(exc, context)


def _unprocessable(errors: dict) -> Response:
    return Response({"errors": errors}, status=422)


_ERRORS = OpenApiResponse(serializers.ErrorsSerializer, description="请求内容有误：按字段路径列出每一处错误")
_DETAIL = OpenApiResponse(serializers.DetailSerializer)
# A body the parser cannot read (registration.api.parsers), before any field is looked at.
_UNREADABLE = OpenApiResponse(
    serializers.DetailSerializer, description="请求体不是有效的 JSON（如括号、引号不全，或不是 UTF-8 编码）"
)
_TOO_LARGE = OpenApiResponse(
    serializers.DetailSerializer, description="请求体过大（超过 DATA_UPLOAD_MAX_MEMORY_SIZE，默认 30 MB）"
)
_COMMON = {
    401: OpenApiResponse(serializers.DetailSerializer, description="缺少或无效的 API 密钥"),
    403: OpenApiResponse(serializers.DetailSerializer, description="客户端没有该接口所需的权限范围"),
    429: OpenApiResponse(
        serializers.DetailSerializer,
        description="超过该客户端、本院或本机地址的调用或查询限额（Retry-After 给出等待秒数）",
    ),
}


class ApiView(APIView):
    """Bearer key, scope, per-client rate; after the call, one audit entry unless a service wrote it.

    The entry's action is API (a refused call) unless the view says what it did (request.audit_action).

    Calls refused before a client is known (401) or for the rate (429) are not logged: either would let
    anyone on the network fill the audit log.
    """

    required_scope = ""
    client_kind = "any"  # "hospital": a hospital's client only; "centre": the 医保中心's only

    def initial(self, request, *args, **kwargs):
        request.audit_done = False
        request.audit_object = None
        request.audit_detail = {}
        request.audit_action = AuditEntry.Action.API  # until the view reaches what it does
        super().initial(request, *args, **kwargs)
        # After the key, the scope and the rate, before a byte of the body is read: a body larger than the
        # site takes (DATA_UPLOAD_MAX_MEMORY_SIZE, a JSON body or a multipart upload alike) is a 413.
        if _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        client = getattr(request, "_auth", None)
        if (
            client is not None
            and response.status_code not in (401, 429)
            and not getattr(request, "audit_done", True)
        ):
            obj = request.audit_object
            audit_record(
                user=client.user,
                action=request.audit_action,
                obj=obj,
                hospital=client.hospital,
                ip=client_ip(request),
                detail={
                    "api_client": client.pk,
                    "method": request.method,
                    "endpoint": self.endpoint_name(),
                    "status": response.status_code,
                    **request.audit_detail,
                },
            )
        return response

    def throttled(self, request, wait):
        """429 in Chinese, with Retry-After (DRF's handler sets it from the exception's `wait`)."""
        refusal = exceptions.Throttled(detail=throttles.refused_message(wait))
        refusal.wait = int(throttles.retry_after(wait))
        raise refusal

    def endpoint_name(self) -> str:
        match = getattr(self.request, "resolver_match", None)
        return match.url_name if match is not None else type(self).__name__


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _newborn_for_identity(client, identity: str) -> Newborn:
    """One of the client's records by temporary ID (case-sensitive), certificate or personal number."""
    identity = identity.strip()
    if not (identity.isascii() and identity.isalnum() and len(identity) in (10, 19)):
        raise Http404(NOT_FOUND)  # no such number can exist: no query
    newborns = selectors.newborn_list_for_client(client=client, with_payments=True)
    matches = newborns.filter(
        Q(temp_id=identity) | Q(birth_certificate_number=identity) | Q(personal_number=identity)
    )
    for newborn in matches:
        if identity in (newborn.temp_id, newborn.birth_certificate_number, newborn.personal_number):
            return newborn
    raise Http404(NOT_FOUND)


class BirthsView(ApiView):
    required_scope = "births:write"
    client_kind = "hospital"
    throttle_classes = [ClientRateThrottle, LookupRateThrottle]

    @extend_schema(
        operation_id="births_create",
        summary="登记一次分娩的新生儿（1至8名）",
        description=(
            "与登记页面相同的字段、规则和中文提示（同一个登记检查）。有需要确认的提示时返回 409，"
            "确认后把提示的 code 放入 confirm 重新提交。"
            "带 Idempotency-Key 请求头时，以相同内容重试返回同一次登记的结果，不会重复登记；"
            "同一标识配以不同的请求内容返回 422。"
        ),
        request=serializers.BirthSerializer,
        examples=[
            OpenApiExample(
                "双胞胎女孩（母亲身份证号+字母）",
                request_only=True,
                value={
                    "community": "450103001001",
                    "route": "parent_id",
                    "parent_role": "mother",
                    "mother": {"name": "覃小梅", "id_number": "450103199003070020", "phone": "13877112345"},
                    "father": {"name": "韦大海", "id_number": "", "phone": ""},
                    "babies": [
                        {"sex": "female", "birth_date": "2026-02-26"},
                        {"sex": "female", "birth_date": "2026-02-26"},
                    ],
                    "ethnicity": "08",
                    "nationality": "CHN",
                    "household_type": "30",
                    "household_address": "广西南宁市青秀区新竹路1号",
                    "phone": "13877112345",
                    "birth_hospital_name": "南宁市第一人民医院",
                    "no_household_registration": True,
                    "parent_has_guangxi_household": True,
                    "materials_deferred": True,
                    "confirm": [],
                },
            )
        ],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "客户端自定的请求标识（最长200个字符）：同一标识、相同内容的重试只登记一次；"
                    "同一标识、不同内容返回 422"
                ),
            )
        ],
        responses={
            201: serializers.BirthCreatedSerializer,
            400: _UNREADABLE,
            413: _TOO_LARGE,
            409: OpenApiResponse(serializers.WarningsSerializer, description="需要确认的提示"),
            422: _ERRORS,
            **_COMMON,
        },
    )
    def post(self, request):
        client = request_client(request)
        idempotency_key = request.headers.get("Idempotency-Key")
        key_errors = {}
        if idempotency_key is not None and not (
            0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX_LENGTH
            and idempotency_key.isascii()
            and idempotency_key.isprintable()
        ):
            key_errors = {"Idempotency-Key": ["Idempotency-Key 须为1至200个可见的ASCII字符。"]}
        body = serializers.BirthSerializer(data=request.data)
        started = timezone.now()
        try:
            if not body.is_valid() or key_errors:
                # Every error at once, as the registration page: the body's format and every rule of
                # what did parse (birth_errors).
                return _unprocessable({**key_errors, **birth_errors(client=client, body=body)})
            birth = birth_register_from_api(
                client=client, body=body, idempotency_key=idempotency_key, ip=client_ip(request)
            )
        except RegistrationWarning as exc:
            request.audit_detail = {"warnings": exc.codes}
            return Response({"warnings": exc.warnings}, status=status.HTTP_409_CONFLICT)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or "该客户端不能办理新生儿预参保登记。") from None
        except ValidationError as exc:
            return _unprocessable(errors_by_path(exc))
        # newborn_register audited a new registration; a retry answered from the first one is logged here.
        request.audit_done = birth.registered_at >= started
        if not request.audit_done and not same_request(birth, body):
            # The key was used for another request: a client's bug, never answered with that registration.
            request.audit_detail = {"idempotency_key_reused": True}
            return _unprocessable({"Idempotency-Key": [IDEMPOTENCY_KEY_REUSED]})
        request.audit_detail = {"birth": birth.pk, "idempotent_replay": True}
        birth.newborns_ordered = list(
            birth.newborns.order_by("birth_order")
            .select_related("birth__hospital")
            .prefetch_related("payments")
        )
        return Response(serializers.BirthCreatedSerializer(birth).data, status=status.HTTP_201_CREATED)


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = INVALID_CURSOR
    default_code = "invalid_cursor"


class NewbornCursorPagination(CursorPagination):
    """Pages ordered by id, newest first; a cursor is DRF's (base64 of o=, r=, p=), its position an id.

    A cursor this API did not give out is a 400 in Chinese: DRF's own answer is an English 404 for a cursor
    it cannot decode, and a position that is no id would reach the query (a ValueError, a 500).
    """

    page_size = 50
    ordering = "-pk"
    invalid_cursor_message = INVALID_CURSOR

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise InvalidCursor() from None
        position = cursor.position if cursor is not None else None
        if position is not None and not (re.fullmatch(r"[0-9]{1,19}", position) and int(position) < 2**63):
            raise InvalidCursor()
        return cursor


class NewbornListView(ApiView):
    required_scope = "records:read"

    @extend_schema(
        operation_id="newborns_list",
        summary="本院的登记记录（游标分页）",
        parameters=[serializers.NewbornListQuerySerializer],
        responses={
            200: serializers.NewbornPageSerializer,
            400: OpenApiResponse(serializers.DetailSerializer, description="无效的分页游标"),
            422: _ERRORS,
            **_COMMON,
        },
    )
    def get(self, request):
        query = serializers.NewbornListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        newborns = selectors.newborn_list_for_client(client=request_client(request), with_payments=True)
        if "registered_from" in filters:
            newborns = newborns.filter(birth__registered_on__gte=filters["registered_from"])
        if "registered_to" in filters:
            newborns = newborns.filter(birth__registered_on__lte=filters["registered_to"])
        if "state" in filters:
            newborns = newborns.filter(state=filters["state"])
        paginator = NewbornCursorPagination()
        page = paginator.paginate_queryset(newborns, request, view=self)
        request.audit_action = AuditEntry.Action.VIEW_ID
        request.audit_detail = {
            "newborns": [newborn.pk for newborn in page],
            **{name: str(value) for name, value in filters.items() if name != "cursor"},
        }
        return paginator.get_paginated_response(serializers.NewbornSerializer(page, many=True).data)


class NewbornDetailView(ApiView):
    required_scope = "records:read"

    @extend_schema(
        operation_id="newborns_retrieve",
        summary="一条本院的登记记录：按新生儿编码（区分大小写）、出生医学证明编号或个人编号",
        responses={200: serializers.NewbornSerializer, 404: _DETAIL, **_COMMON},
    )
    def get(self, request, identity: str):
        newborn = _newborn_for_identity(request_client(request), identity)
        request.audit_object, request.audit_action = newborn, AuditEntry.Action.VIEW_ID
        return Response(serializers.NewbornSerializer(newborn).data)


class NewbornMaterialsView(ApiView):
    required_scope = "births:write"
    client_kind = "hospital"
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="newborns_materials_create",
        summary="补传一份登记材料（扫描件或照片，multipart）",
        description="与记录页面相同的内容检查：只接受 JPEG、PNG 或 PDF，图片去除元数据，PDF 须完整、未加密。",
        request={"multipart/form-data": serializers.MaterialUploadSerializer},
        responses={
            201: serializers.MaterialSerializer,
            400: OpenApiResponse(
                serializers.DetailSerializer, description="请求体不是有效的 multipart/form-data 表单"
            ),
            413: _TOO_LARGE,
            404: _DETAIL,
            422: _ERRORS,
            **_COMMON,
            503: OpenApiResponse(
                serializers.DetailSerializer,
                description="文件存储服务暂时不可用：材料未保存，按 Retry-After 稍后重试",
            ),
        },
    )
    def post(self, request, identity: str):
        newborn = _newborn_for_identity(request_client(request), identity)
        request.audit_object = newborn
        upload = serializers.MaterialUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            material = birth_material_add(
                user=request.user,
                newborn=newborn,
                material=MaterialInput(
                    upload.validated_data["kind"], file.read(), display_name(file.name, "文件")
                ),
                ip=client_ip(request),
            )
        except ValidationError as exc:
            return _unprocessable({"file": exc.messages})
        except OSError:
            return _unprocessable({"file": ["文件读取失败，请重新上传。"]})
        request.audit_done = True  # birth_material_add logged it
        return Response(serializers.MaterialSerializer(material).data, status=status.HTTP_201_CREATED)


class CoverageView(ApiView):
    required_scope = "coverage:read"
    throttle_classes = [ClientRateThrottle, CoverageRateThrottle]

    @extend_schema(
        operation_id="coverage_retrieve",
        summary="核验登记卡：今天是否享受医保待遇（任一定点医疗机构）",
        parameters=[serializers.CoverageQuerySerializer],
        responses={200: serializers.CoverageSerializer, 404: _DETAIL, 422: _ERRORS, **_COMMON},
        description=(
            "编码与出生日期须同时相符；任一不符都返回同样的 404。只返回参保状态和脱敏姓名，不返回家庭信息。"
            "编码在网址中会进入浏览器历史和访问日志：新的调用方请用 POST /api/v1/coverage。"
        ),
    )
    def get(self, request):
        return self._answer(request, request.query_params)

    @extend_schema(
        operation_id="coverage_check",
        summary="核验登记卡（POST：编码不进入网址和访问日志，推荐使用）",
        description=(
            "与 GET /api/v1/coverage 相同的核验和回答；编码和出生日期放在 JSON 请求体中，"
            "不会出现在网址、浏览器历史或服务器的访问日志里。"
        ),
        request=serializers.CoverageQuerySerializer,
        responses={
            200: serializers.CoverageSerializer,
            400: _UNREADABLE,
            413: _TOO_LARGE,
            404: _DETAIL,
            422: _ERRORS,
            **_COMMON,
        },
    )
    def post(self, request):
        return self._answer(request, request.data)

    def _answer(self, request, data):
        query = serializers.CoverageQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        coverage = newborn_coverage(
            code=query.validated_data["code"],
            birth_date=query.validated_data["birth_date"],
            today=timezone.localdate(),
        )
        # A code that matched nothing is a check too: the log shows who tried which codes.
        # A miss consulted every hospital's records: a lookup (docs/privacy.md, Lookups on record).
        request.audit_action = AuditEntry.Action.VERIFY
        request.audit_detail = {"found": coverage is not None, "lookup": coverage is None}
        if coverage is None:
            raise Http404(COVERAGE_NOT_FOUND)
        request.audit_object = coverage.newborn
        request.audit_detail["covered"] = coverage.covered
        client = request_client(request)
        request.audit_detail["lookup"] = client.hospital_id is None or (
            coverage.newborn.hospital_id != client.hospital_id
        )
        return Response(serializers.CoverageSerializer(coverage).data)


class PaymentsView(ApiView):
    required_scope = "payments:write"
    client_kind = "centre"

    @extend_schema(
        operation_id="payments_create",
        summary="录入缴费（医保中心）：与缴费名单导入相同的规则",
        description=(
            "按新生儿编码、出生医学证明编号或个人编号匹配；按缴费凭证号幂等："
            "已录入的缴费返回 already_recorded。"
            "任一笔有错误时全部不录入（422，按 payments.N 列出）。"
        ),
        request=serializers.PaymentsInSerializer,
        responses={
            200: OpenApiResponse(serializers.PaymentsResultSerializer, description="全部已录入过"),
            201: serializers.PaymentsResultSerializer,
            400: _UNREADABLE,
            413: _TOO_LARGE,
            422: _ERRORS,
            **_COMMON,
        },
    )
    def post(self, request):
        body = serializers.PaymentsInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            results = payment_items_record(
                user=request.user, items=body.validated_data["payments"], ip=client_ip(request)
            )
        except PaymentsRefused as exc:
            return _unprocessable(exc.errors)
        request.audit_action = AuditEntry.Action.IMPORT
        request.audit_detail = {
            "kind": "payments_api",
            "recorded": sum(1 for result in results if result["outcome"] == "recorded"),
            "already_recorded": sum(1 for result in results if result["outcome"] == "already_recorded"),
        }
        created = any(result["outcome"] == "recorded" for result in results)
        return Response(
            serializers.PaymentsResultSerializer({"payments": results}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(exclude=True)
class UnknownEndpointView(APIView):
    """Any other address under /api/v1/, for any method: the API's 404 (JSON, in Chinese), not the site's
    HTML page. No key is asked for: the answer holds nothing."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound(UNKNOWN_ENDPOINT)

    options = http_method_not_allowed  # APIView's own would answer 200 with metadata
