from django.urls import path

from registration.views import divisions, home, newborns, register

urlpatterns = [
    path("", home.home, name="home"),
    path("register/", register.register, name="register"),
    path("register/preview", register.register_preview, name="register_preview"),
    path("register/done/<int:pk>/", register.register_done, name="register_done"),
    path("newborns/", newborns.newborn_list, name="newborn_list"),
    path("newborns/<int:pk>/", newborns.newborn_detail, name="newborn_detail"),
    path("newborns/<int:pk>/materials/<int:material_pk>", newborns.material_view, name="newborn_material"),
    path("divisions/search", divisions.division_search, name="division_search"),
    path("divisions/children", divisions.division_children, name="division_roots"),
    path("divisions/<int:pk>/children", divisions.division_children, name="division_children"),
]
