"""The landing page: who the user is, whether they may work yet (附件1), today's registrations and the
unpaid ones with the days they have left (issue 3, item 1)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cards.services import card_state_refusal
from registration import access, selectors
from registration.masking import mask_id_number
from registration.models import Newborn
from registration.selectors.reports import home_counts

TODAY_LIMIT = 50  # a busy ward registers a few dozen a day; the full list is one click away
UNPAID_LIMIT = 10
URGENT_DAYS = 7  # the follow-up list highlights records from seven days left (issue 5)


@dataclass(frozen=True)
class HomeRow:
    newborn: Newborn
    identity: str  # masked: the home page is a list
    days_left: int | None
    card_printable: bool  # 已登记 or 已缴费 and still valid (cards.services.card_state_refusal)


@never_cache
@require_safe
@login_required
def home(request):
    operator = access.user_operator(request.user)
    denied_reason = access.module_denied_reason(request.user)
    context = {"operator": operator, "denied_reason": denied_reason}
    if denied_reason is None:
        today = timezone.localdate()
        registered_today = selectors.newborns_registered_on(user=request.user, day=today)
        unpaid = selectors.newborns_unpaid(user=request.user)
        counts = home_counts(user=request.user, today=today, urgent_days=URGENT_DAYS)
        context.update(
            today=today,
            today_rows=[_row(newborn, today) for newborn in registered_today[:TODAY_LIMIT]],
            today_count=counts.registered_today,
            unpaid_rows=[_row(newborn, today) for newborn in unpaid[:UNPAID_LIMIT]],
            unpaid_count=counts.unpaid,
            urgent_count=counts.urgent,
            urgent_days=URGENT_DAYS,
            today_limit=TODAY_LIMIT,
            is_administrator=access.user_is_administrator(request.user),
        )
    return render(request, "registration/home.html", context)


def _row(newborn: Newborn, today) -> HomeRow:
    pending = newborn.state == Newborn.State.REGISTERED
    return HomeRow(
        newborn=newborn,
        identity=mask_id_number(newborn.identity_number),
        days_left=(newborn.last_day - today).days if pending else None,
        card_printable=card_state_refusal(newborn, today=today) is None,
    )
