"""The writes of newborn pre-enrollment, one module each (registration.services.newborns, .lifecycle,
.payments, .api_clients, ...), imported from those modules by name; with them the registration check
(.registration_check), which the writes and the pages share.

The package itself holds no write: it re-exports the fixed interface other systems rely on (issue 13),
the pure rules of registration.rules and the Sex of registration.reference.
"""

from registration.reference import Sex
from registration.rules import (
    SuffixesExhausted,
    benefit_start,
    newborn_name,
    next_suffix,
    pre_enrollment_last_day,
)

__all__ = [
    "Sex",
    "SuffixesExhausted",
    "benefit_start",
    "newborn_name",
    "next_suffix",
    "pre_enrollment_last_day",
]
