"""/api/v1/: the endpoints (a fixed interface, issue 16), the OpenAPI document and its docs."""

from csp.decorators import csp_replace
from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

# The document and the docs are public: they hold no data, and an integrator reads them before having a key.
_PUBLIC = {"authentication_classes": [], "permission_classes": [], "throttle_classes": []}
# Swagger UI and ReDoc write their styles into the page as they draw it, which no nonce can cover, and ReDoc
# searches in a worker made from a blob: so their pages alone allow inline styles and that worker; their
# scripts stay the app's files and the page's nonce (the Swagger page's own script is a file: the split view).
_DOCS_CSP = csp_replace({"style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("births", views.BirthsView.as_view(), name="api_births"),
    path("newborns", views.NewbornListView.as_view(), name="api_newborns"),
    path("newborns/<str:identity>", views.NewbornDetailView.as_view(), name="api_newborn"),
    path(
        "newborns/<str:identity>/materials",
        views.NewbornMaterialsView.as_view(),
        name="api_newborn_materials",
    ),
    path("coverage", views.CoverageView.as_view(), name="api_coverage"),
    path("payments", views.PaymentsView.as_view(), name="api_payments"),
    path("openapi.json", SpectacularJSONAPIView.as_view(**_PUBLIC), name="api_schema"),
    path(
        "docs",
        _DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api_schema", **_PUBLIC)),
        name="api_docs",
    ),
    path(
        "redoc",
        # Our template: the package's links Google Fonts, which an intranet cannot (and should not) reach.
        _DOCS_CSP(
            SpectacularRedocView.as_view(
                url_name="api_schema", template_name="registration/api_redoc.html", **_PUBLIC
            )
        ),
        name="api_redoc",
    ),
    # Last: any other address under /api/v1/ is the API's JSON 404, not the site's HTML page.
    re_path(r"^.*$", views.UnknownEndpointView.as_view(), name="api_not_found"),
]
