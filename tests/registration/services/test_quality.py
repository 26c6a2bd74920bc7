"""The decisions on a likely duplicate (registration/services/quality.py): a pair judged two babies leaves
the list, a record voided as the other's duplicate keeps its code."""

from registration.models import DuplicateDismissal, IssuedTemporaryId, Newborn
from registration.selectors.quality import duplicate_pairs
from registration.services.quality import duplicate_dismiss, duplicate_void
from tests.registration.quality_seed import PERIOD, key, keys


def test_a_pair_judged_two_babies_leaves_the_list(seeded, administrator):
    first, second = seeded.same_hospital

    duplicate_dismiss(first=second, second=first, user=administrator, reason="双胞胎分两次登记")

    assert keys(duplicate_pairs(**PERIOD)) == {key(seeded.across_routes)}
    dismissal = DuplicateDismissal.objects.get()
    assert (dismissal.first, dismissal.second, dismissal.decided_by) == (first, second, administrator)


def test_a_record_voided_as_a_duplicate_leaves_the_list_and_keeps_its_code(seeded, administrator):
    kept, voided = seeded.same_hospital

    duplicate_void(voided=voided, kept=kept, user=administrator)

    voided.refresh_from_db()
    assert voided.state == Newborn.State.VOID
    assert voided.duplicate_of == kept
    assert voided.void_reason.startswith("重复登记")
    assert IssuedTemporaryId.objects.filter(number=voided.temp_id, newborn=voided).exists()
    assert keys(duplicate_pairs(**PERIOD)) == {key(seeded.across_routes)}
