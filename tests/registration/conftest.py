"""Fixtures shared by the registration app's tests, the services', the selectors' and the views' alike: the
reports' cohort (reports_cohort.py beside this file) and the users it needs, the quality page's likely
duplicates (quality_seed.py), and the records a payment
list names (services/conftest.py writes the lists)."""

from datetime import date, timedelta

import pytest

from registration import sms
from registration.models import Birth, Sex
from registration.services.lifecycle import newborn_formalize, newborn_void
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.registration.quality_seed import quality_seed
from tests.registration.reports_cohort import MONDAY, paid, registered
from tests.registration.services.conftest import BORN, CERTIFICATE


@pytest.fixture
def foreign_clerk(clerk):
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    return factories.operator_make(username="clerk_gl", hospital=hospital).user


@pytest.fixture
def other_clerk(clerk):
    """A clerk of a second hospital (same city, same agency)."""
    hospital = factories.hospital_make(code="H45010300002", name="南宁市第二人民医院")
    return factories.operator_make(username="other", hospital=hospital).user


@pytest.fixture
def sms_locmem(settings):
    """Text messages into the locmem outbox (registration.sms.outbox), emptied before and after, with no
    quiet night unless a test sets one (docs/sms.md)."""
    settings.SMS_BACKEND = "locmem"
    settings.SMS_QUIET_START = settings.SMS_QUIET_END = 0
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def administrator(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def seeded(clerk):
    """Two hospitals' likely duplicates and twins (quality_seed.py beside this file)."""
    return quality_seed(clerk)


@pytest.fixture
def cohort(clerk):
    """Five babies registered 2-11 March 2026 (twins on the 2nd), one outside the range, in every state."""
    twins = registered(clerk, 1, MONDAY, babies=2)
    third = registered(clerk, 2, MONDAY + timedelta(days=2))[0]
    fourth = registered(clerk, 3, MONDAY + timedelta(days=9))[0]
    outside = registered(clerk, 4, MONDAY - timedelta(days=1))[0]
    paid(twins[0], clerk, 0)
    paid(twins[1], clerk, 2)
    paid(third, clerk, 5)
    paid(outside, clerk, 30)
    real_id = factories.id_number(born=twins[0].birth_date.strftime("%Y%m%d"), order="042")
    newborn_formalize(
        newborn=twins[0],
        user=clerk,
        real_name="张小花",
        real_id_number=real_id,
        today=MONDAY + timedelta(days=20),
    )
    newborn_void(newborn=fourth, user=clerk, reason="家长放弃预参保")
    return {"twins": twins, "third": third, "fourth": fourth, "outside": outside}


@pytest.fixture
def guilin(foreign_clerk):
    """Two newborns of the Guilin hospital whose 参保社区 is in 桂林市, under its agency."""
    community = factories.division_chain(
        "450302001001", ("广西壮族自治区", "桂林市", "秀峰区", "秀峰街道", "秀峰社区")
    )
    agency = factories.agency_make(code="450300", name="桂林市医疗保障事业管理中心", covers=("4503",))
    newborns = registered(foreign_clerk, 6, MONDAY + timedelta(days=1), babies=2)
    # Registered in 南宁's community (the factories'), then moved to 桂林's with its agency.
    Birth.objects.filter(pk=newborns[0].birth_id).update(community=community, agency=agency)
    paid(newborns[0], foreign_clerk, 3)
    return newborns


# --- the records a payment list names -------------------------------------------------------------


@pytest.fixture
def admin(db):
    return factories.user_make("admin", is_staff=True)


@pytest.fixture
def twins(clerk):
    """Twin girls under their mother's ID: …X and …x, two babies."""
    birth = factories.register(
        clerk, babies=[BabyInput(Sex.FEMALE, BORN), BabyInput(Sex.FEMALE, BORN)], today=date(2026, 1, 12)
    )
    return list(birth.newborns.order_by("birth_order"))


@pytest.fixture
def certified(clerk):
    """A boy registered by his birth medical certificate number."""
    birth = factories.register(
        clerk,
        route="birth_certificate",
        mother=ParentInput("韦丽", factories.id_number(order="112"), "13877112345"),
        babies=[BabyInput(Sex.MALE, BORN, birth_certificate_number=CERTIFICATE)],
        today=date(2026, 1, 12),
    )
    return birth.newborns.get()
