"""Fixtures and helpers shared by the selectors' tests: a small tree of divisions (places). The reports'
cohort is tests/registration/conftest.py's."""

import pytest

from registration.models import Division
from tests import factories

PROVINCE = "广西壮族自治区"


def village(code: str, city: str, county: str, township: str, name: str) -> Division:
    """A community and its ancestors, with the full name the importer would store."""
    division = factories.division_chain(code, (PROVINCE, city, county, township, name))
    division.full_name = f"{city} {county} {township} {name}"
    division.save(update_fields=["full_name"])
    return division


@pytest.fixture
def places():
    return {
        "xinzhu": village("450103001005", "南宁市", "青秀区", "新竹街道", "新竹社区居委会"),
        "sixian": village("450103001006", "南宁市", "青秀区", "新竹街道", "思贤社区居委会"),
        "gema": village("450103001201", "南宁市", "青秀区", "新竹街道", "葛麻村委会"),
        "guilin_xinzhu": village("450304001008", "桂林市", "象山区", "南门街道", "新竹社区"),
        "hezhou_xinzhu": village("451122111213", "贺州市", "钟山县", "清塘镇", "新竹村委会"),
        "exact": village("450126101201", "南宁市", "宾阳县", "新桥镇", "新竹"),
        "changtang": village("450103104201", "南宁市", "青秀区", "长塘镇", "长塘社区居委会"),
    }
