"""Two hospitals with everything a URL can point at: the scope, audit and garbage tests share them."""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PIL import Image

from registration.models import Birth, Hospital, Material, Newborn, Operator, Payment, Sex
from registration.services.birth_materials import MaterialInput
from registration.services.lifecycle import payment_record
from registration.services.newborns import BabyInput, ParentInput
from tests import factories
from tests.factories import TODAY


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Side:
    """One hospital's staff and records."""

    hospital: Hospital
    clerk: object
    supervisor: object
    birth: Birth
    newborn: Newborn  # registered, with a material
    paid: Newborn  # paid, with a payment
    material: Material
    payment: Payment

    def user(self, role: str):
        return self.clerk if role == "clerk" else self.supervisor


@dataclass
class World:
    own: Side
    foreign: Side
    administrator: object


def _side(*, hospital: Hospital, prefix: str, staff_born: str, mother_order: str, father_born: str) -> Side:
    clerk = factories.operator_make(
        username=f"{prefix}_clerk", hospital=hospital, id_number=factories.id_number(born=staff_born)
    ).user
    supervisor = factories.operator_make(
        username=f"{prefix}_super",
        hospital=hospital,
        role=Operator.Role.SUPERVISOR,
        id_number=factories.id_number(born=staff_born, order="035"),
    ).user
    mother = ParentInput("王" + prefix, factories.id_number(order=mother_order), "13877112345")
    father = ParentInput("韦" + prefix, factories.id_number(born=father_born, order="013"), "13977154321")
    born = TODAY - timedelta(days=4)
    birth = factories.register(
        clerk,
        mother=mother,
        father=father,
        babies=[BabyInput(Sex.FEMALE, born)],
        materials=[MaterialInput("household_head", png_bytes(), "户主页.png")],
    )
    paid_birth = factories.register(
        clerk, mother=mother, father=father, babies=[BabyInput(Sex.MALE, born - timedelta(days=1))]
    )
    paid = paid_birth.newborns.get()
    payment = payment_record(newborn=paid, user=clerk, paid_on=TODAY, years=[TODAY.year], today=TODAY)
    return Side(
        hospital=hospital,
        clerk=clerk,
        supervisor=supervisor,
        birth=birth,
        newborn=birth.newborns.get(),
        paid=Newborn.objects.get(pk=paid.pk),
        material=birth.materials.get(),
        payment=payment,
    )


@pytest.fixture
def world(db) -> World:
    factories.division_chain()
    factories.agency_make()
    own = _side(
        hospital=factories.hospital_make(),
        prefix="nn",
        staff_born="19800101",
        mother_order="042",
        father_born="19880511",
    )
    foreign = _side(
        hospital=factories.hospital_make(code="H45030200001", name="桂林市人民医院"),
        prefix="gl",
        staff_born="19810202",
        mother_order="062",
        father_born="19870612",
    )
    administrator = factories.user_make("center_admin", is_staff=True)
    return World(own=own, foreign=foreign, administrator=administrator)
