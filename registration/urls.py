from django.urls import path

from registration.views import home, register

urlpatterns = [
    path("", home.home, name="home"),
    path("register/", register.register, name="register"),
    path("register/preview", register.register_preview, name="register_preview"),
    path("register/done/<int:pk>/", register.register_done, name="register_done"),
]
