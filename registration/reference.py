"""Reference data fixed by national standards: ethnic groups, household types, nationalities."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry
from babel import Locale
from django.db import models
from pypinyin import Style, lazy_pinyin
from stdnum import numdb


class Sex(models.IntegerChoices):
    """Sex per GB/T 2261.1 (男 1, 女 2)."""

    MALE = 1, "男"
    FEMALE = 2, "女"


# GB/T 3304-1991 民族 codes, with 97 and 98 of the standard's appendix.
ETHNICITY_CHOICES = [
    ("01", "汉族"), ("02", "蒙古族"), ("03", "回族"), ("04", "藏族"), ("05", "维吾尔族"), ("06", "苗族"),
    ("07", "彝族"), ("08", "壮族"), ("09", "布依族"), ("10", "朝鲜族"), ("11", "满族"), ("12", "侗族"),
    ("13", "瑶族"), ("14", "白族"), ("15", "土家族"), ("16", "哈尼族"), ("17", "哈萨克族"), ("18", "傣族"),
    ("19", "黎族"), ("20", "傈僳族"), ("21", "佤族"), ("22", "畲族"), ("23", "高山族"), ("24", "拉祜族"),
    ("25", "水族"), ("26", "东乡族"), ("27", "纳西族"), ("28", "景颇族"), ("29", "柯尔克孜族"),
    ("30", "土族"), ("31", "达斡尔族"), ("32", "仫佬族"), ("33", "羌族"), ("34", "布朗族"), ("35", "撒拉族"),
    ("36", "毛南族"), ("37", "仡佬族"), ("38", "锡伯族"), ("39", "阿昌族"), ("40", "普米族"),
    ("41", "塔吉克族"), ("42", "怒族"), ("43", "乌孜别克族"), ("44", "俄罗斯族"), ("45", "鄂温克族"),
    ("46", "德昂族"), ("47", "保安族"), ("48", "裕固族"), ("49", "京族"), ("50", "塔塔尔族"),
    ("51", "独龙族"), ("52", "鄂伦春族"), ("53", "赫哲族"), ("54", "门巴族"), ("55", "珞巴族"),
    ("56", "基诺族"), ("97", "其他"), ("98", "外国血统中国籍人士"),
]  # fmt: skip

# The groups most registered in Guangxi's maternity wards, offered first in pick lists.
GUANGXI_COMMON_ETHNICITIES = ["01", "08", "13", "06", "12", "32", "36", "49", "37", "25"]

# 户口性质: our decision (docs/rules.md is silent): the categories of the household register since the
# 2014 reform, with the older agricultural/non-agricultural ones that many registers still show.
HOUSEHOLD_TYPE_CHOICES = [
    ("10", "非农业家庭户口"),
    ("20", "农业家庭户口"),
    ("30", "居民家庭户口"),
    ("40", "集体户口"),
]

DEFAULT_NATIONALITY = "CHN"


# Residents of Hong Kong, Macao and Taiwan are Chinese nationals: these are regions, not a 国籍.
_NOT_NATIONALITIES = {"HKG", "MAC", "TWN"}


@cache
def _nationality_choices() -> tuple[tuple[str, str], ...]:
    # ISO 3166-1 codes from pycountry, their names in simplified Chinese from Unicode's CLDR (babel), the
    # names mainland systems use (柬埔寨, 吉尔吉斯斯坦, 马耳他): no list of our own to keep.
    territories = Locale.parse("zh_Hans_CN").territories
    names = {
        country.alpha_3: territories[country.alpha_2]
        for country in pycountry.countries
        if country.alpha_3 not in _NOT_NATIONALITIES
    }
    china = (DEFAULT_NATIONALITY, names.pop(DEFAULT_NATIONALITY))
    return (china, *sorted(names.items(), key=lambda item: pinyin_sort_key(item[1])))


def pinyin_sort_key(name: str) -> tuple[tuple[str, ...], str]:
    """The order of a Chinese list by pinyin, character by character, tone after letters (阿富汗 a1 fu4
    han4 before 埃及 ai1 ji2), as in a dictionary: syllables by pypinyin, whose phrase dictionary reads
    朝鲜 chao2 xian3 and 乍得 zha4 de2. Ties (the same pinyin) fall back to the characters."""
    return tuple(lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True)), name


NATIONALITY_CHOICES = list(_nationality_choices())


_NATIONALITY_NAMES = dict(NATIONALITY_CHOICES)


def nationality_name(code: str) -> str:
    """The Chinese name of a nationality code, or the code itself when unknown."""
    return _NATIONALITY_NAMES.get(code, code)


def nationality_code_validate(code: str) -> None:
    """A model field validator: the code is one of NATIONALITY_CHOICES.

    The list is not the field's `choices`: it comes from CLDR through babel, whose names may change with
    a release, and a model's choices are written into its migrations.
    """
    from django.core.exceptions import ValidationError

    if code not in _NATIONALITY_NAMES:
        raise ValidationError("请从列表中选择国籍。", code="invalid_choice")


@dataclass(frozen=True)
class RegionCodeChange:
    """A former GB/T 2260 code and the division it is part of today (data/region_code_changes.csv)."""

    former_code: str
    former_name: str
    current_code: str
    current_name: str


REGION_CODE_CHANGES_PATH = Path(__file__).parent / "data" / "region_code_changes.csv"


@cache
def _region_code_changes() -> dict[str, RegionCodeChange]:
    # Derived by scripts/region_code_changes.py from the code history python-stdnum ships (its source:
    # the Ministry of Civil Affairs' yearly code lists, as Wikipedia records them); the script says how.
    with REGION_CODE_CHANGES_PATH.open(encoding="utf-8", newline="") as rows:
        return {
            row["former_code"]: RegionCodeChange(
                row["former_code"], row["former_name"], row["current_code"], row["current_name"]
            )
            for row in csv.DictReader(rows)
        }


def region_code_change(code: str) -> RegionCodeChange | None:
    """The change a resident ID's region code (its first 6 digits) went through, None for a code in force
    today (or one whose division was split, with no single successor). An ID keeps the code of where it was
    issued: 450127… (横县, until 2021) is a 横州市 (450181) parent's."""
    return _region_code_changes().get(code[:6])


@dataclass(frozen=True)
class RegionPlace:
    """Where a GB/T 2260 region code is: its province, its city (prefecture; "" for a municipality's
    districts and a province's directly administered counties) and its county, by their names."""

    province: str
    prefecture: str
    county: str
    retired: bool  # the code is no longer in use (the county was renamed, merged or split)

    def __str__(self) -> str:
        county = f"原{self.county}" if self.retired else self.county
        return f"{self.province}{self.prefecture}{county}"


# Entries of the table that are groupings, not places a person lives in.
_NOT_PLACES = {"市辖区", "县", "省直辖县级行政区划", "省直辖县级行政单位", "自治区直辖县级行政区划"}


def region_place(code: str) -> RegionPlace | None:
    """The province, city and county of a resident ID's region code (its first 6 digits), from the GB/T 2260
    table python-stdnum ships with `stdnum.cn.ric` (its cn/loc data), or None for a code never in it. The
    county is named as it was last: 440106 is 广东省广州市天河区, 110103 北京市原崇文区."""
    code = code[:6]
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    province, county, retired = _region_names(code)
    if not county:
        return None
    if county == province:  # a province's own code (440000)
        return RegionPlace(province, "", "", retired)
    prefecture = ""
    if not code.endswith("00"):
        _, city, _ = _region_names(code[:4] + "00")
        prefecture = city if city not in _NOT_PLACES and city != province else ""
    return RegionPlace(province, prefecture, county, retired)


def _region_names(code: str) -> tuple[str, str, bool]:
    """(the province's name, the code's last name, whether that name's years have ended)."""
    info = {key: value for _, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    names = [name for name in info.get("county", "").split(",") if name]
    if not names:
        return info.get("province", ""), "", False
    # "[1983-2003]新城区,[2004-]青秀区": the names a code bore, oldest first, with their years.
    last = names[-1]
    years, _, name = last[1:].partition("]") if last.startswith("[") else ("-", "", last)
    return info.get("province", ""), name, not years.endswith("-")


# A village's or community's name as the division code list gives it, and as an address says it.
_COMMITTEE_ENDINGS = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", ""),
    ("委员会", ""),
    ("居委会", ""),
)


def household_address_start(code: str, full_name: str) -> str:
    """The start of a household address (户口详址) in a community, for the clerk to complete from the
    household register: its province and the path below it, the committee left out. 450103001001
    南宁市 青秀区 新竹街道 新竹社区居委会 → 广西壮族自治区南宁市青秀区新竹街道新竹社区."""
    place = region_place(code)
    path = "".join(full_name.split())
    for ending, replacement in _COMMITTEE_ENDINGS:
        if path.endswith(ending) and len(path) > len(ending):
            path = path[: -len(ending)] + replacement
            break
    if path.endswith("村村"):  # 那白村村委会
        path = path[:-1]
    province = place.province if place is not None else ""
    return path if path.startswith(province) else province + path


def region_codes_of(code: str) -> tuple[str, ...]:
    """A county's region code and the former codes now part of it (data/region_code_changes.csv): the
    first six digits of every resident ID issued there. 450181 横州市 → ("450181", "450127", "452122")."""
    code = code[:6]
    former = sorted(
        change.former_code for change in _region_code_changes().values() if change.current_code == code
    )
    return (code, *former)
