# ruff: noqa: E501  (the SQL below reads better on long lines than wrapped mid-expression)
"""The province of bench/province.py, built in PostgreSQL with set-based SQL (issue 15, item 1).

Not a bench script of its own (bench/run.py skips it): bench/province.py imports it.

About 250 hospitals across Guangxi's counties, one big hospital (青秀区, about 2 % of the births: 40,000
records at the default size), births of one baby, about 2 % twins and 0.05 % triplets, five years of
registrations ending now, their states as the rules leave them (paid, formalized, voided by staff or by the
daily job; the last 90 days still open), payments for about 70 %, the scans' rows, about ten audit entries per
newborn, and the registered records whose last day was yesterday, which the void job has still to void.

Every row is valid under the schema's constraints: the secondary indexes and constraints of the big tables
are dropped while the rows go in and then created again, which checks every row (a check or unique
constraint, a foreign key) as any insert would. A newborn's hospital (Newborn.hospital, denormalized) is
its birth's, taken in the same INSERT; the composite foreign key (birth, hospital) checks it. The audit
log's triggers refuse UPDATE and DELETE only; the builder only inserts. Sequences (ids, personal numbers)
are moved past the rows, so the app goes on issuing new numbers as it would.
"""

import time
from datetime import timedelta

BIG_TABLES = [
    "registration_parent",
    "registration_birth",
    "registration_newborn",
    "registration_issuedtemporaryid",
    "registration_payment",
    "registration_material",
    "registration_auditentry",
]
HOSPITALS = 250
BIG_HOSPITAL_CODE = "H45010300001"
BIG_HOSPITAL_COUNTY = "450103"
PASSWORD = "bench-pass-2026!"
YEARS = 5

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱覃农莫蒙"
)
GIVEN = (
    "子涵梓轩浩宇欣怡一诺雨桐思远佳琪俊杰晨曦嘉懿锦程沐阳若汐语嫣天佑文博明哲安然书瑶星辰紫萱宏伟志强秀英丽娟"
)


RIC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def ric(body: str) -> str:
    """SQL: a 17-digit body (a column) with GB 11643's check character, inline (a function call per row
    with a subquery cost ten times more)."""
    terms = " + ".join(f"substr({body}, {i}, 1)::int * {w}" for i, w in enumerate(RIC_WEIGHTS, start=1))
    return f"({body} || substr('10X98765432', ({terms}) % 11 + 1, 1))"


def personal_number(nid: str) -> str:
    """SQL: registration.validators.personal_number_format of an integer column: 45, 7 digits, Luhn's digit."""
    digit = [f"(({nid} / {10**j}) % 10)" for j in range(7)]
    doubled = [f"((2 * {d}) % 10 + (2 * {d}) / 10)" for d in digit]
    total = " + ".join([doubled[0], digit[1], doubled[2], digit[3], doubled[4], digit[5], doubled[6], "13"])
    return f"('45' || lpad({nid}::text, 7, '0') || ((10 - ({total}) % 10) % 10)::text)"


def _sql_functions() -> list[str]:
    return [
        # A pseudo-random number in [0, 1) from a key and a salt: the same row gets the same value in every
        # table that derives from it (a newborn's state and its payment's day).
        """CREATE OR REPLACE FUNCTION pg_temp.bench_u(x bigint, salt int) RETURNS double precision
        LANGUAGE sql IMMUTABLE AS $$
            SELECT (((x * 2654435761 + salt * 97531) # (salt * 40503)) % 4294967296) / 4294967296.0
        $$""",
        f"""CREATE OR REPLACE FUNCTION pg_temp.bench_given(x bigint, salt int) RETURNS text
        LANGUAGE sql IMMUTABLE AS $$
            SELECT substr('{GIVEN}', 1 + floor(pg_temp.bench_u(x, salt + 1) * {len(GIVEN)})::int, 1)
                || CASE WHEN pg_temp.bench_u(x, salt + 2) < 0.8
                   THEN substr('{GIVEN}', 1 + floor(pg_temp.bench_u(x, salt + 3) * {len(GIVEN)})::int, 1)
                   ELSE '' END
        $$""",
        f"""CREATE OR REPLACE FUNCTION pg_temp.bench_name(x bigint, salt int) RETURNS text
        LANGUAGE sql IMMUTABLE AS $$
            SELECT substr('{SURNAMES}', 1 + floor(pg_temp.bench_u(x, salt) * {len(SURNAMES)})::int, 1)
                || pg_temp.bench_given(x, salt)
        $$""",
        # Birth i belongs to the big hospital (index 0) when i % 49 == 3 (about 2 %), else to one of the others.
        f"""CREATE OR REPLACE FUNCTION pg_temp.bench_h(i bigint) RETURNS int
        LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN i % 49 = 3 THEN 0 ELSE 1 + floor(pg_temp.bench_u(i, 7) * {HOSPITALS - 1})::int END
        $$""",
    ]


def _secondary_save_and_drop(cursor) -> tuple[list, list, list]:
    """Drop the big tables' constraints (but their primary keys) and indexes; return what to re-create."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u', 'c')",
        [BIG_TABLES],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))",
        [BIG_TABLES],
    )
    indexes = cursor.fetchall()
    foreign = [row for row in constraints if row[2] == "f"]
    others = [row for row in constraints if row[2] != "f"]
    for table, name, _, _ in foreign + others:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return foreign, others, indexes


def _secondary_restore(cursor, foreign, others, indexes, say) -> None:
    """Indexes first, the audit log's on this connection beside the other tables' on a second (each build
    sorts on one core, but for the audit log's, which PostgreSQL's parallel workers help); then the
    constraints, which check every row."""
    audit = [definition for _, definition in indexes if " ON public.registration_auditentry " in definition]
    rest = [definition for _, definition in indexes if definition not in audit]
    _side_by_side(
        cursor,
        [("", definition) for definition in audit],
        [("", definition) for definition in rest],
        params={},
        say=lambda line, started: say(f"    {line[:90]}… {time.monotonic() - started:.1f} s"),
    )
    for table, name, _, definition in others + foreign:
        started = time.monotonic()
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        say(f"    {table} {name} {time.monotonic() - started:.1f} s")


def _session_set(cursor) -> None:
    cursor.execute("SET synchronous_commit = off")
    # The expressions are long: compiling them (JIT) took 35 s of a 36 s insert of 20,000 newborns.
    cursor.execute("SET jit = off")
    cursor.execute("SET maintenance_work_mem = '1GB'")
    cursor.execute("SET work_mem = '256MB'")
    for statement in _sql_functions():
        cursor.execute(statement)


def _execute(cursor, sql: str, params: dict) -> None:
    # "%" is SQL's modulo here: doubled, but for the named parameters.
    cursor.execute(sql.replace("%", "%%").replace("%%(", "%(") if params else sql, params or None)


def _side_by_side(cursor, here: list, beside: list, *, params: dict, say) -> None:
    """Run the statements of `here` on this connection while those of `beside` run, in order, on a second
    one (a thread's own Django connection, set up as this one): the machine's two cores both work.
    `say(line, started)` reports each statement; the first error of either side is raised."""
    import threading

    from django.db import connection

    errors = []

    def run(statements, cursor):
        for label, sql in statements:
            started = time.monotonic()
            _execute(cursor, sql, params)
            say(f"{label}: {cursor.rowcount:,} rows" if label else sql, started)

    def second():
        try:
            with connection.cursor() as other:
                _session_set(other)
                run(beside, other)
        except Exception as error:  # noqa: BLE001 - raised again in the calling thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        run(here, cursor)
    finally:
        thread.join()
    if errors:
        raise errors[0]


# One birth in DUPLICATE_EVERY is registered a second time (the same baby, another code): every 1,000th
# birth's baby, which is about the share a registration office finds on its audits. Two kinds, by the
# birth's id: DUPLICATE_BY_FATHER, a parent-ID registration registered again at the next birth's hospital
# under the father's number by the birth certificate route; DUPLICATE_BY_MOTHER, a birth-certificate
# registration registered again at its own hospital under the mother's number (letter B). Twins and
# triplets (every 50th and 2,000th birth) are never seeds. The seeded pairs are kept in bench_seeded_pair
# (original newborn, duplicate newborn) for bench/province.py's check. The second registrations were saved
# with 材料暂缺 (no scan), and every other one confirmed the possible duplicate.
DUPLICATE_EVERY = 1000
DUPLICATE_BY_FATHER = 3
DUPLICATE_BY_MOTHER = 257


def duplicates_seed(cursor, *, today) -> int:
    """Register a few babies twice, as a clerk who did not find the first registration would; returns how
    many pairs. Run on the built province, its constraints and indexes in place (each row checked)."""
    params = {
        "every": DUPLICATE_EVERY,
        "by_father": DUPLICATE_BY_FATHER,
        "by_mother": DUPLICATE_BY_MOTHER,
        "today": today,
    }
    statements = [
        "DROP TABLE IF EXISTS bench_seeded_pair",
        """CREATE TEMP TABLE bench_dup AS
        SELECT row_number() OVER (ORDER BY b.id) AS r, b.id AS birth_id, n.id AS newborn_id,
            b.id % %(every)s = %(by_father)s AS by_father, b2.hospital_id AS other_hospital_id,
            b2.clerk_id AS other_clerk_id
        FROM registration_birth b
        JOIN registration_newborn n ON n.birth_id = b.id
        JOIN registration_birth b2 ON b2.id = b.id + 1
        WHERE n.state <> 'void' AND (
            b.id % %(every)s = %(by_father)s AND b.route = 'parent_id' AND b.father_id_number <> ''
            OR b.id % %(every)s = %(by_mother)s AND b.route = 'birth_certificate')""",
        """CREATE TEMP TABLE bench_dup_base AS SELECT
            (SELECT max(id) FROM registration_parent) AS parent_id,
            (SELECT max(id) FROM registration_birth) AS birth_id,
            (SELECT max(id) FROM registration_newborn) AS newborn_id""",
        """INSERT INTO registration_parent (id, id_number, name, phone, created_at)
        SELECT base.parent_id + d.r, b.father_id_number, b.father_name, b.father_phone, b.registered_at
        FROM bench_dup d JOIN registration_birth b ON b.id = d.birth_id CROSS JOIN bench_dup_base base
        WHERE d.by_father""",
        """INSERT INTO registration_birth (id, hospital_id, clerk_id, registered_at, registered_on, route,
            parent_id, parent_role, mother_name, mother_id_number, mother_phone, father_name, father_id_number,
            father_phone, community_id, agency_id, parent_agency_id, agency_warning_confirmed,
            birth_hospital_id, birth_hospital_name, request_fingerprint, confirmed_warnings, materials_pending)
        SELECT base.birth_id + d.r,
            CASE WHEN d.by_father THEN d.other_hospital_id ELSE b.hospital_id END,
            CASE WHEN d.by_father THEN d.other_clerk_id ELSE b.clerk_id END,
            b.registered_at + interval '1 hour', b.registered_on,
            CASE WHEN d.by_father THEN 'birth_certificate' ELSE 'parent_id' END,
            CASE WHEN d.by_father THEN base.parent_id + d.r ELSE b.parent_id END,
            CASE WHEN d.by_father THEN 'father' ELSE 'mother' END,
            b.mother_name, b.mother_id_number, b.mother_phone, b.father_name, b.father_id_number,
            b.father_phone, b.community_id, b.agency_id, b.parent_agency_id, false, b.birth_hospital_id,
            b.birth_hospital_name, '', CASE WHEN d.r % 2 = 0 THEN 'possible_duplicate' ELSE '' END,
            true
        FROM bench_dup d JOIN registration_birth b ON b.id = d.birth_id CROSS JOIN bench_dup_base base""",
        f"""INSERT INTO registration_newborn (id, birth_id, hospital_id, birth_order, name, sex, birth_date,
            temp_id, birth_certificate_number, personal_number, ethnicity, nationality, household_address,
            household_type, phone, last_day, state, state_changed_at, benefit_start, benefit_rule, voided_at,
            void_reason, voided_automatically, formalized_at, real_name, real_id_number, special_group,
            created_at, registered_on, first_paid_on, mother_id_number, father_id_number)
        SELECT base.newborn_id + d.r, nb.id, nb.hospital_id, 1, n.name, n.sex, n.birth_date,
            CASE WHEN d.by_father THEN NULL ELSE nb.mother_id_number || 'B' END,
            CASE WHEN d.by_father THEN 'D' || lpad((base.newborn_id + d.r)::text, 9, '0') END,
            {personal_number("(base.newborn_id + d.r)")}, n.ethnicity, n.nationality, n.household_address,
            n.household_type, n.phone, n.last_day,
            CASE WHEN n.last_day >= %(today)s::date THEN 'registered' ELSE 'paid' END, nb.registered_at,
            CASE WHEN n.last_day >= %(today)s::date THEN NULL ELSE n.birth_date END,
            CASE WHEN n.last_day >= %(today)s::date THEN '' ELSE '出生后3个月内参保缴费，自出生之日起享受待遇' END,
            NULL, '', false, NULL, '', NULL, '', nb.registered_at, nb.registered_on,
            CASE WHEN n.last_day >= %(today)s::date THEN NULL ELSE LEAST(nb.registered_on + 3, n.last_day) END,
            nb.mother_id_number, nb.father_id_number
        FROM bench_dup d CROSS JOIN bench_dup_base base
        JOIN registration_newborn n ON n.id = d.newborn_id
        JOIN registration_birth nb ON nb.id = base.birth_id + d.r""",
        """INSERT INTO registration_issuedtemporaryid (number, parent_id, suffix, newborn_id, issued_at, note)
        SELECT n.temp_id, b.parent_id, 'B', n.id, b.registered_at, ''
        FROM bench_dup d CROSS JOIN bench_dup_base base
        JOIN registration_newborn n ON n.id = base.newborn_id + d.r JOIN registration_birth b ON b.id = n.birth_id
        WHERE NOT d.by_father""",
        # The second registration paid as the first was: its payment's row, as every paid record has.
        """INSERT INTO registration_payment (newborn_id, paid_on, years, receipt_number, amount, source,
            recorded_by_id, recorded_at)
        SELECT n.id, n.first_paid_on, jsonb_build_array(extract(year FROM n.first_paid_on)::int),
            'R3' || lpad(n.id::text, 9, '0'), 400.00, 'import', b.clerk_id, n.first_paid_on + interval '10 hours'
        FROM bench_dup d CROSS JOIN bench_dup_base base
        JOIN registration_newborn n ON n.id = base.newborn_id + d.r JOIN registration_birth b ON b.id = n.birth_id
        WHERE n.state = 'paid'""",
        """CREATE TABLE bench_seeded_pair AS
        SELECT d.newborn_id AS original, base.newborn_id + d.r AS duplicate, n.birth_date
        FROM bench_dup d CROSS JOIN bench_dup_base base JOIN registration_newborn n ON n.id = d.newborn_id""",
        "DROP TABLE bench_dup",
        "DROP TABLE bench_dup_base",
    ]
    for statement in statements:
        _execute(cursor, statement, params)
    cursor.execute("SELECT count(*) FROM bench_seeded_pair")
    return cursor.fetchone()[0]


def province_build(*, newborns: int, say=print) -> dict:
    """Build the province in the current (empty, migrated, divisions loaded) database; return its facts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from registration.models import Division, Hospital, InsuranceAgency, Operator

    started = time.monotonic()
    births = round(newborns / (1 + 1 / 50 + 1 / 2000))
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    start = now - timedelta(days=round(365.25 * YEARS))
    password = make_password(PASSWORD)
    User = get_user_model()

    counties = list(
        Division.objects.filter(level=Division.Level.COUNTY)
        .order_by("code")
        .values_list("id", "code", "name")
    )
    big_county = next(county for county in counties if county[1] == BIG_HOSPITAL_COUNTY)
    counties = [big_county] + [county for county in counties if county is not big_county]
    cities = {d.code: d for d in Division.objects.filter(level=Division.Level.CITY)}
    with transaction.atomic():
        agencies = {}
        for code, city in sorted(cities.items()):
            agency = InsuranceAgency.objects.create(code=code + "00", name=f"{city.name}医疗保障事业管理中心")
            agency.divisions.add(city)
            agencies[code] = agency
        hospitals = []
        for index in range(HOSPITALS):
            county_id, county_code, county_name = counties[index % len(counties)]
            code = BIG_HOSPITAL_CODE if index == 0 else f"H{county_code}{index:05d}"
            name = (
                "南宁市第一人民医院" if index == 0 else f"{county_name}第{index // len(counties) + 1}人民医院"
            )
            hospitals.append(Hospital(code=code, name=name, division_id=county_id))
        Hospital.objects.bulk_create(hospitals)
        users = User.objects.bulk_create(
            [User(username=f"clerk{index:03d}", password=password) for index in range(HOSPITALS)]
            + [User(username="supervisor000", password=password)]
            + [User(username="admin", password=password, is_staff=True, is_superuser=True)]
        )
        operators = [
            Operator(
                user=user,
                hospital=hospitals[index] if index < HOSPITALS else hospitals[0],
                role=Operator.Role.CLERK if index < HOSPITALS else Operator.Role.SUPERVISOR,
                real_name="李经办" if index < HOSPITALS else "黄主管",
                id_number="450103198501010241",
                phone="13877112345",
                access=Operator.Access.GRANTED,
            )
            for index, user in enumerate(users[: HOSPITALS + 1])
        ]
        Operator.objects.bulk_create(operators)

    cursor = connection.cursor()
    _session_set(cursor)
    # The hospitals with what each birth takes from its hospital: clerk, county, communities, agency.
    cursor.execute(
        "CREATE TEMP TABLE bench_hospital (idx int PRIMARY KEY, hospital_id int, name text, clerk_id int, "
        "username text, county text, villages int[], agency_id int)"
    )
    villages: dict[str, list[int]] = {}
    for pk, code in Division.objects.filter(level=Division.Level.VILLAGE).values_list("id", "code"):
        villages.setdefault(code[:6], []).append(pk)
    for index, hospital in enumerate(hospitals):
        county = counties[index % len(counties)][1]
        cursor.execute(
            "INSERT INTO bench_hospital VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                index,
                hospital.pk,
                hospital.name,
                users[index].pk,
                users[index].username,
                county,
                villages.get(county) or [v for vs in villages.values() for v in vs][:50],
                agencies[county[:4]].pk,
            ],
        )
    say(
        f"  reference rows: {len(hospitals)} hospitals, {len(agencies)} agencies ({time.monotonic() - started:.0f} s)"
    )

    foreign, others, indexes = _secondary_save_and_drop(cursor)
    params = {"births": births, "start": start, "span": (now - start).total_seconds(), "today": today}
    steps = [
        (
            "parents",
            f"""INSERT INTO registration_parent (id, id_number, name, phone, created_at)
            SELECT i, {ric("body")}, pg_temp.bench_name(i, 10), '138' || lpad((i % 100000000)::text, 8, '0'),
                %(start)s::timestamptz + (i - 1) * (%(span)s / %(births)s) * interval '1 second'
            FROM (SELECT i, h.county || to_char(DATE '1980-01-01' + (i % 7000)::int, 'YYYYMMDD')
                    || lpad((((i / 7000) % 500) * 2)::text, 3, '0') AS body
                FROM generate_series(1, %(births)s) i JOIN bench_hospital h ON h.idx = pg_temp.bench_h(i)) x""",
        ),
        (
            "births",
            f"""INSERT INTO registration_birth (id, hospital_id, clerk_id, registered_at, registered_on,
                route, parent_id, parent_role, mother_name, mother_id_number, mother_phone, father_name,
                father_id_number, father_phone, community_id, agency_id, parent_agency_id,
                agency_warning_confirmed, birth_hospital_id, birth_hospital_name, request_fingerprint)
            SELECT p.id, h.hospital_id, h.clerk_id, p.created_at, (p.created_at AT TIME ZONE 'Asia/Shanghai')::date,
                CASE WHEN p.id % 10 < 7 THEN 'parent_id' ELSE 'birth_certificate' END, p.id, 'mother',
                p.name, p.id_number, p.phone,
                CASE WHEN p.id % 5 = 0 THEN '' ELSE pg_temp.bench_name(p.id, 20) END,
                CASE WHEN p.id % 5 = 0 THEN '' ELSE {ric("f.body")} END,
                CASE WHEN p.id % 5 = 0 THEN '' ELSE '139' || lpad((p.id % 100000000)::text, 8, '0') END,
                h.villages[1 + (p.id % array_length(h.villages, 1))], h.agency_id, h.agency_id, false,
                h.hospital_id, h.name, ''
            FROM registration_parent p JOIN bench_hospital h ON h.idx = pg_temp.bench_h(p.id)
            CROSS JOIN LATERAL (SELECT h.county || to_char(DATE '1978-01-01' + (p.id % 7000)::int, 'YYYYMMDD')
                || lpad((((p.id / 7000) % 500) * 2 + 1)::text, 3, '0') AS body) f""",
        ),
        (
            "newborns",
            f"""INSERT INTO registration_newborn (id, birth_id, hospital_id, birth_order, name, sex, birth_date, temp_id,
                birth_certificate_number, personal_number, ethnicity, nationality, household_address,
                household_type, phone, last_day, state, state_changed_at, benefit_start, benefit_rule,
                voided_at, void_reason, voided_automatically, formalized_at, real_name, real_id_number,
                special_group, created_at, registered_on, first_paid_on, mother_id_number, father_id_number)
            SELECT nid, birth_id, hospital_id, k, name, sex, birth_date,
                CASE WHEN route = 'parent_id' THEN mother_id_number || chr(64 + k) END,
                CASE WHEN route = 'birth_certificate' THEN 'Q' || lpad(nid::text, 9, '0') END,
                {personal_number("nid")}, '01', 'CHN', '广西壮族自治区某某路' || (nid % 200) || '号',
                CASE WHEN nid % 3 = 0 THEN '20' ELSE '10' END, mother_phone, last_day, state,
                CASE state WHEN 'registered' THEN registered_at WHEN 'void' THEN voided_at
                    WHEN 'formalized' THEN formalized_at ELSE paid_on + interval '10 hours' END,
                CASE WHEN state IN ('paid', 'formalized') THEN birth_date END,
                CASE WHEN state IN ('paid', 'formalized') THEN '出生后3个月内参保缴费，自出生之日起享受待遇' ELSE '' END,
                CASE WHEN state = 'void' THEN voided_at END,
                CASE WHEN state <> 'void' THEN '' WHEN auto THEN '超过缴费截止日未缴费，系统自动作废'
                    ELSE '信息登记有误，重新登记' END,
                state = 'void' AND auto, CASE WHEN state = 'formalized' THEN formalized_at END,
                CASE WHEN state = 'formalized' THEN name ELSE '' END,
                CASE WHEN state = 'formalized' THEN {ric("real_body")} END,
                '', registered_at, registered_on, CASE WHEN state IN ('paid', 'formalized') THEN paid_on END,
                mother_id_number, father_id_number
            FROM (
                SELECT s.*, CASE
                        WHEN is_open AND u < 0.45 THEN 'registered' WHEN is_open AND u < 0.95 THEN 'paid'
                        WHEN is_open THEN 'void' WHEN u < 0.45 THEN 'formalized' WHEN u < 0.70 THEN 'paid'
                        ELSE 'void' END AS state,
                    NOT is_open AND u >= 0.70 AND u < 0.95 AS auto,
                    CASE WHEN NOT is_open AND u >= 0.70 AND u < 0.95
                        THEN ((last_day + 1) + time '01:00') AT TIME ZONE 'Asia/Shanghai'
                        ELSE registered_at + interval '1 minute' END AS voided_at,
                    (LEAST(paid_on + 30, %(today)s::date - 1) + time '15:00') AT TIME ZONE 'Asia/Shanghai'
                        AS formalized_at
                FROM (
                    SELECT r.*, r.registered_on + floor(pg_temp.bench_u(nid, 2)
                            * (LEAST(last_day, %(today)s::date) - r.registered_on + 1))::int AS paid_on,
                        last_day >= %(today)s::date - 1 AS is_open, pg_temp.bench_u(nid, 1) AS u
                    FROM (
                        SELECT b.id - 1 + (b.id - 1) / 50 + (b.id - 1) / 2000 + k AS nid, b.id AS birth_id,
                            b.hospital_id, k,
                            b.route, b.mother_id_number, b.father_id_number, b.mother_phone, b.registered_at,
                            b.registered_on,
                            substr(b.mother_name, 1, 1) || pg_temp.bench_given(b.id * 3 + k, 30) AS name,
                            1 + ((b.id + k) % 2) AS sex, q.birth_date,
                            (q.birth_date + interval '3 months')::date - 1 AS last_day,
                            '45' || lpad((b.id % 10000)::text, 4, '0') || to_char(q.birth_date, 'YYYYMMDD')
                                || lpad(((b.id / 10000) * 4 + k)::text, 3, '0') AS real_body
                        FROM registration_birth b
                        CROSS JOIN LATERAL generate_series(1, 1 + (b.id % 50 = 0)::int + (b.id % 2000 = 0)::int) k
                        CROSS JOIN LATERAL (SELECT b.registered_on - (b.id % 21)::int AS birth_date) q
                    ) r
                ) s
            ) t""",
        ),
        (
            "issued temporary ids",
            """INSERT INTO registration_issuedtemporaryid (number, parent_id, suffix, newborn_id, issued_at, note)
            SELECT n.temp_id, b.parent_id, right(n.temp_id, 1), n.id, b.registered_at, ''
            FROM registration_newborn n JOIN registration_birth b ON b.id = n.birth_id
            WHERE n.temp_id IS NOT NULL""",
        ),
        (
            "payments",
            """INSERT INTO registration_payment (newborn_id, paid_on, years, receipt_number, amount, source,
                recorded_by_id, recorded_at)
            SELECT n.id, p.paid_on, jsonb_build_array(extract(year FROM p.paid_on)::int),
                CASE WHEN n.id % 4 = 0 THEN '' ELSE 'R' || p.n || lpad(n.id::text, 9, '0') END,
                400.00, CASE WHEN n.id % 3 = 0 THEN 'manual' ELSE 'import' END, b.clerk_id,
                p.paid_on + interval '10 hours'
            FROM registration_newborn n JOIN registration_birth b ON b.id = n.birth_id
            CROSS JOIN LATERAL (
                SELECT 1 AS n, (n.state_changed_at AT TIME ZONE 'Asia/Shanghai')::date AS paid_on
                WHERE n.state = 'paid'
                UNION ALL
                SELECT 1, b.registered_on + floor(pg_temp.bench_u(n.id, 2)
                    * (n.last_day - b.registered_on + 1))::int
                WHERE n.state = 'formalized'
                UNION ALL
                SELECT 2, n.last_day + 300 WHERE n.state = 'formalized' AND n.id % 10 = 0
                    AND n.last_day + 300 < %(today)s::date
            ) p
            ORDER BY n.id, p.n""",
        ),
        (
            "materials",
            """INSERT INTO registration_material (birth_id, kind, file, content_type, size, sha256,
                original_name, uploaded_by_id, uploaded_at)
            SELECT b.id, kind, 'materials/' || to_char(b.registered_on, 'YYYY/MM') || '/b' || b.id || '-' || kind || '.jpg',
                'image/jpeg', 180000 + (b.id % 90000), lpad(to_hex(b.id * 8 + k), 64, '0'), 'scan.jpg',
                b.clerk_id, b.registered_at
            FROM registration_birth b
            CROSS JOIN LATERAL unnest(CASE WHEN b.route = 'parent_id'
                THEN ARRAY['household_head', 'household_parent', 'id_card']
                ELSE ARRAY['birth_certificate', 'household_head', 'birth_record'] END)
                WITH ORDINALITY AS m(kind, k)""",
        ),
        (
            "audit entries",
            """INSERT INTO registration_auditentry (at, user_id, username, hospital_id, ip, action,
                object_type, object_id, object_repr, newborn_id, reason, detail)
            SELECT CASE WHEN a.k = 7 AND n.state IN ('paid', 'formalized', 'void') THEN n.state_changed_at
                    ELSE b.registered_at + (a.k - 1) * interval '3 minutes' END,
                b.clerk_id, h.username, b.hospital_id, ('10.45.1.' || (b.hospital_id % 250))::inet,
                CASE a.k WHEN 7 THEN CASE n.state WHEN 'registered' THEN 'view_id' WHEN 'void' THEN 'void'
                    WHEN 'formalized' THEN 'formalize' ELSE 'payment' END ELSE a.action END,
                CASE WHEN a.k IN (1, 10) THEN '' ELSE 'registration.newborn' END,
                CASE WHEN a.k IN (1, 10) THEN '' ELSE n.id::text END,
                CASE WHEN a.k IN (1, 10) THEN '' ELSE n.name || ' 4501**********' || right(coalesce(n.temp_id,
                    n.birth_certificate_number), 4) END,
                CASE WHEN a.k IN (1, 10) THEN NULL ELSE n.id END, '', '{}'::jsonb
            FROM registration_newborn n JOIN registration_birth b ON b.id = n.birth_id
            JOIN bench_hospital h ON h.hospital_id = b.hospital_id
            CROSS JOIN (VALUES (1, 'login'), (2, 'register'), (3, 'print'), (4, 'view_id'), (5, 'view_material'),
                (6, 'view_id'), (7, ''), (8, 'update'), (9, 'view_id'), (10, 'logout')) a(k, action)""",
        ),
    ]

    def step_say(line, step_started):
        say(f"  {line} ({time.monotonic() - step_started:.0f} s)")

    # Parents, births and newborns in turn (each needs the one before); then the audit log (which reads
    # the session's bench_hospital) here, beside the tables that hang off the newborns on a second
    # connection.
    serial = [step for step in steps if step[0] in ("parents", "births", "newborns")]
    audit = [step for step in steps if step[0] == "audit entries"]
    rest = [step for step in steps if step not in serial and step not in audit]
    try:
        for label, sql in serial:
            step_started = time.monotonic()
            _execute(cursor, sql, params)
            step_say(f"{label}: {cursor.rowcount:,} rows", step_started)
        _side_by_side(cursor, audit, rest, params=params, say=step_say)
    except BaseException:
        # A failed step must not leave the schema without its constraints and indexes (the next
        # registration's INSERT … ON CONFLICT needs the parents' unique ID number): put them back over
        # the rows loaded so far, then let the step's error speak.
        try:
            _secondary_restore(cursor, foreign, others, indexes, lambda line: None)
        except Exception as restore_error:
            say(f"  could not restore the indexes and constraints: {restore_error}")
        raise
    say("  indexes and constraints again:")
    _secondary_restore(cursor, foreign, others, indexes, say)
    step_started = time.monotonic()
    seeded = duplicates_seed(cursor, today=today)
    say(f"  likely duplicates seeded: {seeded:,} ({time.monotonic() - step_started:.0f} s)")
    for table in BIG_TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    cursor.execute(
        "SELECT setval('registration_personal_number_seq', (SELECT max(id) FROM registration_newborn))"
    )
    step_started = time.monotonic()
    cursor.execute("VACUUM (ANALYZE)")
    say(f"  vacuum analyze ({time.monotonic() - step_started:.0f} s)")
    cursor.execute("SELECT count(*) FROM registration_newborn")
    total = cursor.fetchone()[0]
    seconds = time.monotonic() - started
    say(f"  built {total:,} newborns in {seconds:.0f} s")
    return {"newborns": total, "seconds": seconds}
