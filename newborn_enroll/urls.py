from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "新生儿预参保登记 · 管理后台"
admin.site.site_title = "新生儿预参保登记"
admin.site.index_title = "管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cards/", include("cards.urls")),
    path("", include("registration.urls")),
]
