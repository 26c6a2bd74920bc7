"""The rules and the writes of newborn pre-enrollment, re-exported by name (STYLE.md, services)."""

from registration.reference import Sex
from registration.services.audit import audit_record
from registration.services.divisions import DivisionImportStats, divisions_import
from registration.services.lifecycle import (
    newborn_benefit_start,
    newborn_formalize,
    newborn_special_group_set,
    newborn_void,
    newborn_void_expired,
    payment_problems,
    payment_record,
    payment_same,
)
from registration.services.newborns import (
    AgencyWarning,
    BabyInput,
    MaterialInput,
    ParentInput,
    newborn_register,
)
from registration.services.operators import operator_access_set
from registration.services.rules import (
    BenefitStart,
    Problem,
    SuffixesExhausted,
    benefit_start,
    benefit_start_rule,
    days_left,
    eligibility_problems,
    newborn_name,
    next_suffix,
    pre_enrollment_last_day,
    suffixes_for_birth,
    three_month_date,
)
from registration.services.staging import (
    StagedFile,
    staging_cleanup,
    staging_discard,
    staging_get,
    staging_read,
    staging_store,
)
from registration.validators import (
    birth_certificate_number_validate,
    parent_id_validate,
    real_id_validate,
    resident_id_validate,
    sex_from_id_number,
    temp_id_validate,
)

__all__ = [
    "AgencyWarning",
    "BabyInput",
    "BenefitStart",
    "DivisionImportStats",
    "MaterialInput",
    "ParentInput",
    "Problem",
    "Sex",
    "StagedFile",
    "SuffixesExhausted",
    "audit_record",
    "benefit_start",
    "benefit_start_rule",
    "birth_certificate_number_validate",
    "days_left",
    "divisions_import",
    "eligibility_problems",
    "newborn_benefit_start",
    "newborn_formalize",
    "newborn_name",
    "newborn_register",
    "newborn_special_group_set",
    "newborn_void",
    "newborn_void_expired",
    "next_suffix",
    "operator_access_set",
    "parent_id_validate",
    "payment_problems",
    "payment_record",
    "payment_same",
    "pre_enrollment_last_day",
    "real_id_validate",
    "resident_id_validate",
    "sex_from_id_number",
    "staging_cleanup",
    "staging_discard",
    "staging_get",
    "staging_read",
    "staging_store",
    "suffixes_for_birth",
    "temp_id_validate",
    "three_month_date",
]
