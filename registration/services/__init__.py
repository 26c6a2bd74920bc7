"""The writes of newborn pre-enrollment live in this package's modules, imported from them by name
(registration.services.newborns, .lifecycle, .payments, ...). The package itself re-exports only the fixed
interface: the rules other systems rely on (issue 13)."""

from registration.reference import Sex
from registration.services.rules import (
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
