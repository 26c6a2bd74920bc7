"""Former GB/T 2260 region codes (issue 14, item 9): a parent's ID issued under a code that has changed
(450127 横县, now 450181 横州市) is looked up as today's division for the agency, and the warning says when
a code is a former one. The table ships as data (registration/data/region_code_changes.csv), derived by
scripts/region_code_changes.py from the code history python-stdnum carries."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from stdnum.cn import ric

from registration.models import Birth, Division
from registration.reference import REGION_CODE_CHANGES_PATH, region_code_change
from registration.services.newborns import AgencyWarning, ParentInput
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
HENGXIAN_MOTHER = factories.id_number(region="450127", born="19900101", order="002")


def test_the_table_maps_former_codes_to_todays_divisions():
    hengxian = region_code_change("450127")
    assert (hengxian.former_name, hengxian.current_code, hengxian.current_name) == (
        "横县",
        "450181",
        "横州市",
    )
    assert region_code_change("452122").current_code == "450181"  # 南宁地区横县, before 2002
    assert region_code_change("450122").current_code == "450110"  # 武鸣县 → 武鸣区, 2015
    assert region_code_change("451281").current_code == "451203"  # 宜州市 → 宜州区, 2016
    assert region_code_change("450103") is None  # in force
    assert region_code_change(HENGXIAN_MOTHER).former_code == "450127"  # the first 6 digits of an ID


def test_every_current_code_of_the_table_is_in_force_and_guangxis():
    with REGION_CODE_CHANGES_PATH.open(encoding="utf-8") as rows:
        table = list(csv.DictReader(rows))
    assert len(table) >= 80
    for row in table:
        assert row["former_code"].startswith("45") and row["current_code"].startswith("45")
        # stdnum's table knows today's code for someone born this year, and the former one for its years.
        assert ric.get_birth_place(row["current_code"] + "202501010010") is not None


def test_the_table_is_what_the_script_derives():
    derived = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "region_code_changes.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert derived == REGION_CODE_CHANGES_PATH.read_text(encoding="utf-8")


@pytest.fixture
def hengzhou(clerk):
    """A 横州市 community and 横州市's own agency (covering 450181 only)."""
    community = factories.division_chain(
        "450181100001", ("广西壮族自治区", "南宁市", "横州市", "横州镇", "城东社区")
    )
    factories.agency_make(code="450181", name="横州市医疗保障事业管理中心", covers=("450181",))
    return community


@pytest.mark.django_db
def test_a_parent_with_a_former_code_registers_without_the_agency_warning(clerk, hengzhou):
    birth = factories.register(
        clerk, community=hengzhou, mother=ParentInput("覃横州", HENGXIAN_MOTHER, "13877112345")
    )

    assert birth.agency.name == "横州市医疗保障事业管理中心"
    assert birth.newborns.get().temp_id == HENGXIAN_MOTHER + "X"


@pytest.mark.django_db
def test_the_warning_says_the_code_is_a_former_one(clerk, hengzhou):
    qingxiu = Division.objects.get(code="450103001001")

    with pytest.raises(AgencyWarning) as warning:
        factories.register(
            clerk, community=qingxiu, mother=ParentInput("覃横州", HENGXIAN_MOTHER, "13877112345")
        )

    message = warning.value.messages[0]
    assert "身份证号码前6位450127是原「横县」的行政区划代码，已按现「横州市」（450181）查找" in message
    assert "「横州市医疗保障事业管理中心」" in message and "「南宁市医疗保障事业管理中心」" in message
    assert not Birth.objects.exists()
