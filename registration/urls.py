from django.urls import path

from registration.views import (
    advisor,
    audit,
    divisions,
    followup,
    home,
    lifecycle,
    newborns,
    operators,
    payments_import,
    quality,
    register,
    reports,
    verify,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("register/", register.register, name="register"),
    path("register/preview", register.register_preview, name="register_preview"),
    path("register/done/<int:pk>/", register.register_done, name="register_done"),
    path("newborns/", newborns.newborn_list, name="newborn_list"),
    path("newborns/export.xlsx", newborns.newborn_export, name="newborn_export"),
    path("newborns/<int:pk>/", newborns.newborn_detail, name="newborn_detail"),
    path("newborns/<int:pk>/materials/<int:material_pk>", newborns.material_view, name="newborn_material"),
    path("newborns/<int:pk>/materials/add", newborns.newborn_material_add, name="newborn_material_add"),
    path("newborns/<int:pk>/sms/decline", newborns.newborn_sms_decline_view, name="newborn_sms_decline"),
    path("newborns/<int:pk>/payment", lifecycle.newborn_payment, name="newborn_payment"),
    path("newborns/<int:pk>/void", lifecycle.newborn_void_view, name="newborn_void"),
    path("newborns/<int:pk>/formalize", lifecycle.newborn_formalize_view, name="newborn_formalize"),
    path(
        "newborns/<int:pk>/special-group", lifecycle.newborn_special_group_view, name="newborn_special_group"
    ),
    path("payments/import/", payments_import.payment_import, name="payment_import"),
    path(
        "payments/import/template.<str:extension>",
        payments_import.payment_import_template,
        name="payment_import_template",
    ),
    path(
        "payments/import/<str:token>/", payments_import.payment_import_preview, name="payment_import_preview"
    ),
    path("divisions/search", divisions.division_search, name="division_search"),
    path("divisions/children", divisions.division_children, name="division_roots"),
    path("divisions/<int:pk>/children", divisions.division_children, name="division_children"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export.xlsx", audit.audit_export, name="audit_export"),
    path("audit/lookups/", audit.audit_lookups, name="audit_lookups"),
    path("verify/", verify.verify, name="verify"),
    # Follow-up, reports, operators (附件1) and the 出生一件事 advisor (issue 5, items 5-8)
    path("register/advice", advisor.register_advice, name="register_advice"),
    path("followup/", followup.followup, name="followup"),
    path("followup/export.xlsx", followup.followup_export, name="followup_export"),
    path("reports/", reports.reports, name="reports"),
    path("reports/export.xlsx", reports.reports_export, name="reports_export"),
    path("operators/", operators.operator_list, name="operator_list"),
    path("operators/request/", operators.operator_request, name="operator_request"),
    path("operators/<int:pk>/request", operators.operator_request_existing, name="operator_request_existing"),
    path("operators/<int:pk>/access", operators.operator_access, name="operator_access"),
    path("operators/<int:pk>/withdraw", operators.operator_withdraw, name="operator_withdraw"),
    path("operators/export.xlsx", operators.operator_export, name="operator_export"),
    # The 医保中心's data quality (docs/quality.md): administrators only, a 404 for anyone else.
    path("quality/", quality.quality, name="quality"),
    path("quality/export.xlsx", quality.quality_export, name="quality_export"),
    path("quality/duplicates/<int:first>/<int:second>/", quality.quality_pair, name="quality_pair"),
    path(
        "quality/duplicates/<int:first>/<int:second>/dismiss",
        quality.quality_pair_dismiss,
        name="quality_pair_dismiss",
    ),
    path(
        "quality/duplicates/<int:first>/<int:second>/void",
        quality.quality_pair_void,
        name="quality_pair_void",
    ),
]
