"""The app's URLs plus a view that fails with a family's numbers in hand, for the error-report tests."""

from django.urls import include, path

from tests.factories import MOTHER_ID


def boom(request):
    mother_id = MOTHER_ID  # noqa: F841  (a frame variable the report must not show in full)
    phone = "13877112345"  # noqa: F841
    raise ValueError(f"duplicate key value violates unique constraint: (temp_id)=({MOTHER_ID}X)")


urlpatterns = [path("boom/", boom), path("", include("newborn_enroll.urls"))]
