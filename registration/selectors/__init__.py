"""Reads, in rooms by what they read: records, divisions (the community search), people, audit.

Every non-trivial read goes through a selector; the functions named `*_for_user` decide, with
registration.access, what a user may see. The names are re-exported here so that callers say
`selectors.newborn_get_for_user(...)`.
"""

from registration.selectors.audit import audit_entries_for_user
from registration.selectors.coverage import Coverage, newborn_cover_note, newborn_coverage
from registration.selectors.divisions import (
    DIVISION_CODE_LENGTHS,
    DIVISION_QUERY_MAX_LENGTH,
    DIVISION_SEARCH_MAX_LIMIT,
    DivisionQueryError,
    agencies_for_codes,
    agency_for_division_code,
    community_name_ambiguous,
    community_resolve,
    division_agencies,
    division_children,
    division_query_terms,
    division_rows,
    division_search,
    division_search_near,
)
from registration.selectors.people import (
    hospital_by_name,
    hospital_get_for_user,
    hospitals_for_user,
    operator_get_for_user,
    operators_for_user,
    operators_requested_count,
)
from registration.selectors.records import (
    birth_get_for_user,
    births_of_parents,
    followup_export_records,
    issued_suffixes_for,
    material_get_for_user,
    materials_incomplete_mark,
    newborn_detail_get_for_user,
    newborn_get_for_user,
    newborn_history,
    newborn_list_for_client,
    newborn_list_for_user,
    newborn_search_for_user,
    newborns_followup_for_user,
    newborns_next_year_unpaid_for_user,
    newborns_of_births_born_on,
    newborns_registered_on,
    newborns_unpaid,
)
from registration.selectors.suggestions import birth_hospital_names, communities_recent_for_user

__all__ = [
    "Coverage",
    "DIVISION_CODE_LENGTHS",
    "DIVISION_QUERY_MAX_LENGTH",
    "DIVISION_SEARCH_MAX_LIMIT",
    "DivisionQueryError",
    "agencies_for_codes",
    "agency_for_division_code",
    "audit_entries_for_user",
    "birth_get_for_user",
    "birth_hospital_names",
    "births_of_parents",
    "communities_recent_for_user",
    "community_name_ambiguous",
    "community_resolve",
    "division_agencies",
    "division_children",
    "division_query_terms",
    "division_rows",
    "division_search",
    "division_search_near",
    "followup_export_records",
    "hospital_by_name",
    "hospital_get_for_user",
    "hospitals_for_user",
    "issued_suffixes_for",
    "material_get_for_user",
    "materials_incomplete_mark",
    "newborn_cover_note",
    "newborn_coverage",
    "newborn_detail_get_for_user",
    "newborn_get_for_user",
    "newborn_history",
    "newborn_list_for_client",
    "newborn_list_for_user",
    "newborn_search_for_user",
    "newborns_followup_for_user",
    "newborns_next_year_unpaid_for_user",
    "newborns_of_births_born_on",
    "newborns_registered_on",
    "newborns_unpaid",
    "operator_get_for_user",
    "operators_for_user",
    "operators_requested_count",
]
