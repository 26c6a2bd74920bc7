from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from registration.models import Operator


@login_required
def home(request):
    """The landing page: who the user is and whether they may register newborns yet (附件1)."""
    try:
        operator = request.user.operator
    except Operator.DoesNotExist:  # staff and superusers need not be a hospital's operator
        operator = None
    return render(request, "registration/home.html", {"operator": operator})
