"""Deterministic demo data: agencies, two hospitals, their staff, and registrations in every state.

Everything goes through the real services, so the demo shows exactly what the rules produce. The records
are spread over the past weeks, and each event of a record (its registration, payments, formal
enrollment, void) is run at its own time on a clock the seeding sets (SeedClock): the record's stamps and
its history in the audit log then say when it happened in the demo's story, in order, never later than
the seeding, as they would for a record made on those days. The audit log is append-only: it cannot be
corrected afterwards, so its entries have to be written at those times.
"""

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image, ImageDraw
from stdnum.cn.ric import calc_check_digit

from registration.models import Birth, Division, Hospital, InsuranceAgency, Newborn, Operator
from registration.services import Sex
from registration.services.birth_materials import MaterialInput
from registration.services.lifecycle import (
    newborn_formalize,
    newborn_void,
    newborn_void_expired,
    payment_record,
)
from registration.services.newborns import RegistrationWarning, newborn_register
from registration.services.registration_check import BabyInput, ParentInput, RegistrationRequest

ADMIN_LOGIN = ("admin", "admin-demo-2026")
STAFF_PASSWORD = "demo-pass-2026"

# Nanning's agencies (city centre and the counties / county-level city), editable in the admin.
NANNING_AGENCIES = [
    (
        "450100",
        "南宁市医疗保障事业管理中心",
        ["450102", "450103", "450105", "450107", "450108", "450109", "450110"],
    ),
    ("450123", "隆安县医疗保障事业管理中心", ["450123"]),
    ("450124", "马山县医疗保障事业管理中心", ["450124"]),
    ("450125", "上林县医疗保障事业管理中心", ["450125"]),
    ("450126", "宾阳县医疗保障事业管理中心", ["450126"]),
    ("450181", "横州市医疗保障事业管理中心", ["450181"]),
]
GUILIN_AGENCY = ("450300", "桂林市医疗保障事业管理中心（演示）", ["4503"])


@dataclass(frozen=True)
class DemoHospital:
    code: str
    name: str
    chain: tuple[tuple[str, str], ...]  # (code, name) from the province down to a community
    staff: tuple[tuple[str, str, str], ...]  # (username, role, real name)


HOSPITALS = [
    DemoHospital(
        "H45010300001",
        "南宁市演示妇幼保健院",
        (("45", "广西壮族自治区"), ("4501", "南宁市"), ("450103", "青秀区"), ("450103001", "新竹街道"),
         ("450103001001", "新竹社区")),
        (("clerk_nn", Operator.Role.CLERK, "韦丽华"), ("super_nn", Operator.Role.SUPERVISOR, "覃建国")),
    ),
    DemoHospital(
        "H45030200001",
        "桂林市演示人民医院",
        (("45", "广西壮族自治区"), ("4503", "桂林市"), ("450302", "秀峰区"), ("450302001", "秀峰街道"),
         ("450302001001", "秀峰社区")),
        (("clerk_gl", Operator.Role.CLERK, "蒙秀英"), ("super_gl", Operator.Role.SUPERVISOR, "农志强")),
    ),
]  # fmt: skip

SURNAMES = "韦覃黄蒙农禤陆莫梁李张陈廖潘卢"
GIVEN_NAMES = ["丽娟", "秀兰", "海燕", "春梅", "美玲", "晓红", "桂芳", "金凤", "玉兰", "小梅"]
FATHER_NAMES = ["建华", "志强", "海军", "文斌", "永明", "国庆", "小龙", "德胜", "家乐", "俊杰"]


# When the seeded events happen on their day (Asia/Shanghai): registrations during office hours (from 9:00,
# spread by the record's index), then a payment, a void by hand and formal enrollment later in the day,
# so that two events of one record on the same day are still in order; the daily void job at 0:10, as
# docs/operations.md's cron line runs it.
REGISTERED_FROM_HOUR = 9  # up to 16:59
PAID_AT = time(17, 10)
VOIDED_AT = time(17, 30)
FORMALIZED_AT = time(17, 40)
VOID_JOB_AT = time(0, 10)


class SeedClock:
    """The seeding's clock: the moment each seeded event happened, and running the services at it.

    An event of a past day happens at its time of day; one of today, whose office hours may still be
    ahead, is moved into the part of the day gone by (its time scaled by the fraction of the day that
    has passed), which keeps the events of the day in order and none of them after `now`.
    """

    def __init__(self, now: datetime):
        self.now = now
        self.today = timezone.localdate(now)

    def moment(self, day: date, at: time) -> datetime:
        moment = timezone.make_aware(datetime.combine(day, at))
        if day == self.today:
            start = timezone.make_aware(datetime.combine(day, time.min))
            moment = start + (moment - start) * ((self.now - start) / timedelta(days=1))
        return moment

    @contextmanager
    def running_at(self, day: date, at: time) -> Iterator[datetime]:
        """Run what the block does as at that moment: the services, Django's auto_now_add fields and the
        audit log all read the time through django.utils.timezone.now."""
        moment = self.moment(day, at)
        real_now = timezone.now
        timezone.now = lambda: moment
        try:
            yield moment
        finally:
            timezone.now = real_now


def demo_seed(*, registrations: int = 40, today: date | None = None, stdout=None) -> dict:
    """Create the demo data once; a second run adds nothing where demo registrations already exist.

    The records are as of `today` (default: the local date), their events no later than now (the end of
    `today` when it is another day).
    """
    now = timezone.now()
    today = today or timezone.localdate(now)
    if today != timezone.localdate(now):
        now = timezone.make_aware(datetime.combine(today, time.max))
    clock = SeedClock(now)
    _agencies_seed()
    hospitals = [_hospital_seed(spec) for spec in HOSPITALS]
    admin = _admin_seed()
    created = 0
    if not Birth.objects.filter(hospital__in=hospitals).exists():
        created = _registrations_seed(hospitals, registrations, clock)
        _void_job_nights(clock)
    counts = dict.fromkeys(Newborn.State.values, 0)
    for state in Newborn.objects.filter(birth__hospital__in=hospitals).values_list("state", flat=True):
        counts[state] += 1
    return {"admin": admin.username, "births_created": created, "newborns_by_state": counts}


def _division_chain(chain) -> Division:
    parent = None
    for level, (code, name) in enumerate(chain, start=1):
        full_name = " ".join(n for _, n in chain[1:level]) or name
        parent, _ = Division.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent, "full_name": full_name}
        )
    return parent


def _agencies_seed() -> None:
    for code, name, division_codes in [*NANNING_AGENCIES, GUILIN_AGENCY]:
        agency, _ = InsuranceAgency.objects.get_or_create(code=code, defaults={"name": name})
        agency.divisions.add(*Division.objects.filter(code__in=division_codes))


def _hospital_seed(spec: DemoHospital) -> Hospital:
    community = _division_chain(spec.chain)
    district = community.parent.parent
    _agencies_seed()  # a freshly created district joins its agency
    hospital, _ = Hospital.objects.get_or_create(
        code=spec.code, defaults={"name": spec.name, "division": district, "has_maternity_ward": True}
    )
    for index, (username, role, real_name) in enumerate(spec.staff):
        user = _user_seed(username, STAFF_PASSWORD, first_name=real_name)
        body = f"{district.code}19850{index + 1}01{index + 2:02d}4"
        Operator.objects.get_or_create(
            user=user,
            defaults={
                "hospital": hospital,
                "role": role,
                "real_name": real_name,
                "id_number": body + calc_check_digit(body + "0"),
                "phone": f"1397710{index:04d}",
                "access": Operator.Access.GRANTED,
                "access_changed_at": timezone.now(),
            },
        )
    return hospital


def _user_seed(username: str, password: str, **fields):
    user, created = get_user_model().objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _admin_seed():
    username, password = ADMIN_LOGIN
    return _user_seed(
        username,
        password,
        is_staff=True,
        is_superuser=True,
        first_name="医保中心管理员",
        email="admin@example.org",
    )


def _scan_png(label: str) -> bytes:
    image = Image.new("RGB", (320, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 310, 190), outline="black", width=3)
    draw.text((24, 90), label, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _demo_materials(index: int) -> list[MaterialInput]:
    return [
        MaterialInput(kind, _scan_png(f"{label} #{index + 1}"), f"{name}.png")
        for kind, label, name in (
            ("household_head", "household register, head page", "户主页"),
            ("household_parent", "household register, parent page", "本人页"),
            ("birth_record", "birth record", "出生记录"),
        )
    ]


def _registrations_seed(hospitals: list[Hospital], count: int, clock: SeedClock) -> int:
    today = clock.today
    rng = random.Random(2026)  # the same demo on every machine
    clerks = [Operator.objects.get(hospital=h, role=Operator.Role.CLERK).user for h in hospitals]
    communities = {
        h.pk: Division.objects.filter(code__startswith=h.division.code, level=5).order_by("code")[0]
        for h in hospitals
    }
    span = 112  # sixteen weeks: the oldest records are past their window and get voided
    for index in range(count):
        hospital, clerk = hospitals[index % 2], clerks[index % 2]
        # Spread over the span, the last two (one per hospital) today: the home page shows them.
        registered_on = today - timedelta(days=(span - 1) * max(count - 2 - index, 0) // max(count - 2, 1))
        born = registered_on - timedelta(days=rng.randint(0, 6))
        babies = [BabyInput(Sex(rng.choice([1, 2])), born)]
        if index % 9 == 4:
            babies.append(BabyInput(Sex(rng.choice([1, 2])), born))  # twins
        community = communities[hospital.pk]
        with clock.running_at(registered_on, time(REGISTERED_FROM_HOUR + index % 8, 7 * index % 60)):
            birth = _register_one(rng, index, hospital, clerk, community, babies, registered_on)
        _advance(rng, index, birth, clerk, registered_on, clock)
    return count


def _void_job_nights(clock: SeedClock) -> None:
    """The daily void job, as it ran on each night after a seeded record's last day, shortly after 0:00."""
    unpaid = Newborn.objects.filter(state=Newborn.State.REGISTERED, last_day__lt=clock.today)
    for last_day in sorted(set(unpaid.values_list("last_day", flat=True))):
        night = last_day + timedelta(days=1)
        with clock.running_at(night, VOID_JOB_AT):
            newborn_void_expired(today=night)


def _parent_id(rng, hospital, from_year: int, *, even: bool) -> str:
    born = date(rng.randint(from_year, from_year + 10), rng.randint(1, 12), rng.randint(1, 28))
    order = rng.randint(50, 499) * 2 + (0 if even else 1)
    body = f"{hospital.division.code}{born:%Y%m%d}{order:03d}"
    return body + calc_check_digit(body + "0")


def _register_one(rng, index, hospital, clerk, community, babies, registered_on) -> Birth:
    mother = ParentInput(
        rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        _parent_id(rng, hospital, 1988, even=True),
        f"138{index:08d}",
    )
    father = ParentInput(
        SURNAMES[index % len(SURNAMES)] + rng.choice(FATHER_NAMES),
        _parent_id(rng, hospital, 1985, even=False),
        f"139{index:08d}",
    )
    registration = RegistrationRequest(
        route=Birth.Route.PARENT_ID,
        parent_role=Birth.ParentRole.FATHER if index % 4 == 3 else Birth.ParentRole.MOTHER,
        mother=mother,
        father=father,
        babies=tuple(babies),
        community=community,
        household_address=f"{community.full_name or community.name}{index + 1}号",
        household_type=rng.choice(["10", "20", "30"]),
        phone=mother.phone,
        ethnicity=rng.choice(["01", "08", "08", "13", "12"]),
        has_household_registration=False,
        parent_has_guangxi_household=True,
        birth_hospital=hospital,
        # Every tenth registration was saved while the scanner was down: its record shows 材料不全.
        materials=() if index % 10 == 7 else tuple(_demo_materials(index)),
        materials_deferred=index % 10 == 7,
    )
    try:
        return newborn_register(clerk=clerk, registration=registration, today=registered_on)
    except RegistrationWarning as warning:  # the clerk checked and confirmed
        confirmed = replace(registration, confirmed_warnings=frozenset(warning.codes))
        return newborn_register(clerk=clerk, registration=confirmed, today=registered_on)


def _advance(rng, index, birth, clerk, registered_on, clock: SeedClock) -> None:
    """Move some records on through the lifecycle, each event on its own day: paid within three weeks,
    formally enrolled some weeks after the payment, voided by hand a few days after registration."""
    step, today = index % 6, clock.today
    for newborn in birth.newborns.all():
        if step in (2, 3, 4):
            paid_on = min(today, registered_on + timedelta(days=rng.randint(1, 20)))
            with clock.running_at(paid_on, PAID_AT):
                payment_record(
                    newborn=newborn, user=clerk, paid_on=paid_on, years={paid_on.year}, today=paid_on,
                    receipt_number=f"DEMO{index:04d}{newborn.birth_order}",
                )  # fmt: skip
        if step == 4:
            # The order digits make each real ID unique; their last digit is the baby's sex (odd male).
            order = (index % 45) * 20 + newborn.birth_order * 2 + (1 if newborn.sex == Sex.MALE else 0)
            body = f"{birth.hospital.division.code}{newborn.birth_date:%Y%m%d}{order:03d}"
            formalized_on = min(today, paid_on + timedelta(days=10 + index % 30))
            with clock.running_at(formalized_on, FORMALIZED_AT):
                newborn_formalize(
                    newborn=newborn,
                    user=clerk,
                    real_name=birth.parent_name[0] + rng.choice(["小雨", "子涵", "一诺", "浩然"]),
                    real_id_number=body + calc_check_digit(body + "0"),
                    today=formalized_on,
                )
        if step == 5 and index % 12 == 5:
            with clock.running_at(min(today, registered_on + timedelta(days=1 + index % 9)), VOIDED_AT):
                newborn_void(newborn=newborn, user=clerk, reason="家属要求作废：改用出生医学证明编号登记")
