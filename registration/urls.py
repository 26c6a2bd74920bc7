from django.urls import path

from registration.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
