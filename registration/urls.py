from django.urls import path

from registration.views import audit, divisions, home, lifecycle, newborns, payments_import, register

urlpatterns = [
    path("", home.home, name="home"),
    path("register/", register.register, name="register"),
    path("register/preview", register.register_preview, name="register_preview"),
    path("register/done/<int:pk>/", register.register_done, name="register_done"),
    path("newborns/", newborns.newborn_list, name="newborn_list"),
    path("newborns/<int:pk>/", newborns.newborn_detail, name="newborn_detail"),
    path("newborns/<int:pk>/materials/<int:material_pk>", newborns.material_view, name="newborn_material"),
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
]
