"""URLconf for bench/registration.py only: the product's URLs plus /bench/ping, a minimal logged-in view.

The ping is the yardstick of the registration POST: the same middleware (session, CSRF, auth, axes) and
login check, and nothing else. It is never part of the product (newborn_enroll.urls).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def ping(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/ping", ping),
    path("", include("newborn_enroll.urls")),
]
