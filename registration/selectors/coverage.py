"""The settlement desk's question (issue 16): is the baby on this card covered today?

One function answers it for the API (GET /api/v1/coverage) and the page (/verify/): any designated
hospital may ask, so the answer holds nothing but the coverage and a masked name.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q

from registration.masking import mask_newborn_name
from registration.models import Newborn, Payment

# What the card's QR code and its 新生儿编码 row carry (cards/services.py: the identity number):
# a temporary ID (18 + 1 letter) or a birth certificate number (10).
CODE_LENGTHS = (10, 19)


@dataclass(frozen=True)
class Coverage:
    newborn: Newborn  # for the audit entry; never shown
    covered: bool
    state: str
    state_label: str
    valid_until: date
    benefit_start: date | None
    years_paid: list[int]
    name_masked: str


def newborn_coverage(*, code: str, birth_date: date, today: date) -> Coverage | None:
    """The coverage of the baby whose card carries `code` and who was born on `birth_date`, or None.

    Both must match: a wrong code and a wrong date both give None, so the answer tells nothing about
    which was wrong (no enumeration of codes). Covered today: paid, benefits started, the card valid
    (its last day not passed; docs/rules.md, Eligibility).
    """
    code = "".join(code.split())
    if len(code) not in CODE_LENGTHS or not code.isascii() or not code.isalnum():
        return None
    candidates = Newborn.objects.filter(
        Q(temp_id=code) | Q(birth_certificate_number=code), birth_date=birth_date
    ).prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk")))
    # Compared again in Python: the temporary ID is case-sensitive whatever the database's collation.
    newborn = next((n for n in candidates if code in (n.temp_id, n.birth_certificate_number)), None)
    if newborn is None:
        return None
    years = sorted({int(year) for payment in newborn.payments.all() for year in payment.years})
    covered = (
        newborn.state == Newborn.State.PAID
        and newborn.benefit_start is not None
        and newborn.benefit_start <= today <= newborn.last_day
    )
    return Coverage(
        newborn=newborn,
        covered=covered,
        state=newborn.state,
        state_label=newborn.get_state_display(),
        valid_until=newborn.last_day,
        benefit_start=newborn.benefit_start,
        years_paid=years,
        name_masked=mask_newborn_name(newborn.name),
    )
