"""Two hospitals' records with likely duplicates and with twins, for the quality page's tests."""

from dataclasses import dataclass
from datetime import timedelta

from registration.models import Newborn, Sex
from registration.services.registration_check import BabyInput, ParentInput
from tests import factories
from tests.factories import TODAY

# The period the seeded babies are born in (all TODAY), as duplicate_pairs and quality_report take it.
PERIOD = {"date_from": TODAY - timedelta(days=60), "date_to": TODAY}


def keys(pairs) -> set[tuple[int, int]]:
    """The pairs' keys (first pk, second pk), as DuplicatePair.key gives them."""
    return {pair.key for pair in pairs}


def key(pair) -> tuple[int, int]:
    """A seeded pair's key, in DuplicatePair.key's order."""
    first, second = pair
    return (min(first.pk, second.pk), max(first.pk, second.pk))


@dataclass
class Seeded:
    clerk: object  # 南宁市第一人民医院's clerk
    foreign_clerk: object  # 桂林市人民医院's clerk
    same_hospital: tuple[Newborn, Newborn]  # one mother's ID twice at one hospital
    across_routes: tuple[Newborn, Newborn]  # mother's ID at one hospital, father's + certificate at another
    twins: tuple[Newborn, Newborn]  # one birth of two girls: never a pair
    others: list[Newborn]  # a sibling born another day, a brother born the same day: no pair


def _person(prefix: str, born: str, order: str) -> ParentInput:
    return ParentInput(prefix, factories.id_number(born=born, order=order), "13877112345")


def quality_seed(clerk) -> Seeded:
    """The clerk fixture's hospital and a second one, each seeded pair and twins registered TODAY."""
    hospital = factories.hospital_make(code="H45030200001", name="桂林市人民医院")
    foreign_clerk = factories.operator_make(
        username="clerk_gl", hospital=hospital, id_number=factories.id_number(born="19860101", order="046")
    ).user
    born = TODAY - timedelta(days=4)

    def one(user, mother, father, sex, day=born, **overrides) -> Newborn:
        overrides.setdefault("babies", [BabyInput(sex, day)])
        birth = factories.register(user, mother=mother, father=father, **overrides)
        return birth.newborns.get()

    mother1, father1 = _person("王一", "19900101", "002"), _person("韦一", "19880101", "013")
    same_hospital = (one(clerk, mother1, father1, Sex.FEMALE), one(clerk, mother1, father1, Sex.FEMALE))
    mother2, father2 = _person("王二", "19910202", "002"), _person("韦二", "19890202", "013")
    twins_birth = factories.register(
        clerk,
        mother=mother2,
        father=father2,
        babies=[BabyInput(Sex.FEMALE, born), BabyInput(Sex.FEMALE, born)],
    )
    twins = tuple(twins_birth.newborns.order_by("birth_order"))
    mother3, father3 = _person("王三", "19920303", "002"), _person("韦三", "19870303", "013")
    across_routes = (
        one(clerk, mother3, father3, Sex.MALE),
        one(
            foreign_clerk,
            mother3,
            father3,
            Sex.MALE,
            parent_role="father",
            route="birth_certificate",
            babies=[BabyInput(Sex.MALE, born, "Q450300001")],
        ),
    )
    mother4, father4 = _person("王四", "19930404", "002"), _person("韦四", "19860404", "013")
    others = [
        one(clerk, mother4, father4, Sex.FEMALE),
        one(clerk, mother4, father4, Sex.MALE),  # the same day, a boy: not the same baby
        one(clerk, mother4, father4, Sex.FEMALE, day=born - timedelta(days=20)),  # another day
    ]
    return Seeded(
        clerk=clerk,
        foreign_clerk=foreign_clerk,
        same_hospital=same_hospital,
        across_routes=across_routes,
        twins=twins,
        others=others,
    )
