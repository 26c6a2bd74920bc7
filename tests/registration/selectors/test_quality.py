"""The quality page's reads (registration/selectors/quality.py): the likely duplicates found, twins not,
the going-stale counts and each hospital's figures, in a fixed number of queries."""

from datetime import timedelta

from registration.selectors.quality import duplicate_pairs, likely_duplicates, quality_report
from registration.services.lifecycle import payment_record
from tests.factories import TODAY
from tests.registration.quality_seed import PERIOD, key, keys


def test_it_finds_each_seeded_pair_and_no_twin(seeded):
    pairs = duplicate_pairs(**PERIOD)

    assert keys(pairs) == {key(seeded.same_hospital), key(seeded.across_routes)}
    twins = {twin.pk for twin in seeded.twins}
    assert not any(set(pair.key) <= twins for pair in pairs)


def test_it_says_why_a_pair_is_one(seeded):
    by_key = {pair.key: pair for pair in duplicate_pairs(**PERIOD)}

    assert by_key[key(seeded.across_routes)].why == ("母亲身份证号码相同", "父亲身份证号码相同")
    assert likely_duplicates(first=seeded.twins[0], second=seeded.twins[1]) == ()
    assert likely_duplicates(first=seeded.others[0], second=seeded.others[1]) == ()  # a boy and a girl
    assert likely_duplicates(first=seeded.others[0], second=seeded.others[2]) == ()  # another day


def test_it_finds_only_babies_born_in_the_period(seeded):
    assert duplicate_pairs(date_from=TODAY - timedelta(days=3), date_to=TODAY) == []


def test_a_hospital_sees_only_the_pairs_with_a_record_of_its_own(seeded):
    foreign = seeded.foreign_clerk.operator.hospital_id

    assert keys(duplicate_pairs(**PERIOD, hospital_id=foreign)) == {key(seeded.across_routes)}


def test_the_figures_count_each_hospital(seeded):
    report = quality_report(**PERIOD, days=30, today=TODAY)
    rows = {row.hospital_id: row for row in report.hospitals}
    own, foreign = seeded.clerk.operator.hospital_id, seeded.foreign_clerk.operator.hospital_id

    assert (rows[own].registered, rows[foreign].registered) == (8, 1)
    assert (rows[own].duplicates, rows[foreign].duplicates) == (3, 1)
    # The second registration of a mother confirmed the possible duplicate (and its siblings' too).
    assert rows[own].warnings["possible_duplicate"] >= 1
    assert rows[foreign].warnings["possible_duplicate"] == 1


def test_scans_still_missing_after_n_days_are_stale(seeded):
    # Every seeded registration was saved with 材料暂缺 (the factories' default) on TODAY.
    early = quality_report(**PERIOD, days=30, today=TODAY + timedelta(days=29))
    late = quality_report(**PERIOD, days=30, today=TODAY + timedelta(days=30))

    assert early.total("missing_scans") == 0
    assert late.total("missing_scans") == 9


def test_a_paid_record_not_formalized_n_days_after_its_last_day_is_stale(seeded):
    newborn = seeded.others[0]
    payment_record(newborn=newborn, user=seeded.clerk, paid_on=TODAY, years=[TODAY.year], today=TODAY)
    newborn.refresh_from_db()
    day = newborn.last_day + timedelta(days=31)

    report = quality_report(**PERIOD, days=30, today=day)

    assert report.total("not_formalized") == 1
    assert quality_report(**PERIOD, days=30, today=day - timedelta(days=1)).total("not_formalized") == 0


def test_the_figures_sort_by_a_column(seeded):
    rows = quality_report(**PERIOD, days=30, today=TODAY, sort="registered", descending=True).hospitals

    assert [row.registered for row in rows] == [8, 1]


def test_it_reads_in_a_fixed_number_of_queries(seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        quality_report(**PERIOD, days=30, today=TODAY)


def test_a_registration_copies_its_parents_numbers_onto_its_babies(seeded):
    # The duplicates are grouped from the newborns' own indexes (registration_newborn_dup_m, _dup_f).
    for newborn in (*seeded.across_routes, *seeded.twins):
        birth = newborn.birth
        assert newborn.mother_id_number == birth.mother_id_number != ""
        assert newborn.father_id_number == birth.father_id_number != ""


def test_a_registration_keeps_the_warnings_it_was_confirmed_past(seeded):
    first, second = seeded.same_hospital

    # The first registration of the mother met no warning; the second, the possible duplicate.
    assert first.birth.confirmed_warnings == ""
    assert second.birth.confirmed_warnings == "possible_duplicate"


def test_scans_added_later_take_a_record_off_the_stale_list(seeded):
    from registration.services.birth_materials import MaterialInput, birth_material_add
    from tests.security.conftest import png_bytes

    newborn = seeded.others[2]
    assert newborn.birth.materials_pending
    later = {**PERIOD, "days": 30, "today": TODAY + timedelta(days=40)}
    before = quality_report(**later).total("missing_scans")

    for kind in ("id_card", "birth_record"):
        birth_material_add(
            user=seeded.clerk, newborn=newborn, material=MaterialInput(kind, png_bytes(), f"{kind}.png")
        )

    newborn.birth.refresh_from_db()
    assert not newborn.birth.materials_pending
    assert quality_report(**later).total("missing_scans") == before - 1


def test_each_hospital_counts_its_users_days_of_lookups_above_the_threshold(seeded, settings):
    from django.utils import timezone

    from registration.models import AuditEntry
    from registration.services.audit import audit_record

    settings.LOOKUP_ALERT_PER_DAY = 2
    for _ in range(3):  # above the threshold: one user-day
        audit_record(user=seeded.foreign_clerk, action=AuditEntry.Action.LOOKUP, detail={"kind": "check"})
    for _ in range(2):  # at it: none
        audit_record(user=seeded.clerk, action=AuditEntry.Action.LOOKUP, detail={"kind": "check"})
    today = timezone.localdate()

    everyone = quality_report(date_from=today - timedelta(days=6), date_to=today, days=30, today=today)
    own = quality_report(
        date_from=today - timedelta(days=6),
        date_to=today,
        days=30,
        today=today,
        hospital_id=seeded.clerk.operator.hospital_id,
    )

    by_hospital = {row.hospital_id: row.lookups_above for row in everyone.hospitals}
    assert by_hospital[seeded.foreign_clerk.operator.hospital_id] == 1
    assert by_hospital.get(seeded.clerk.operator.hospital_id, 0) == 0
    assert [row.lookups_above for row in own.hospitals] in ([], [0])
