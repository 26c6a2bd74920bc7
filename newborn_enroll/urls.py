from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from registration.views import accounts

admin.site.site_header = "新生儿预参保登记 · 管理后台"
admin.site.site_title = "新生儿预参保登记"
admin.site.index_title = "管理"

urlpatterns = [
    # The admin's own password change would bypass the audit entry: administrators use the site's page.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change", permanent=False)),
    path("admin/", admin.site.urls),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("cards/", include("cards.urls")),
    path("api/v1/", include("registration.api.urls")),
    path("", include("registration.urls")),
]
