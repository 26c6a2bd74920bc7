"""Derive registration/data/region_code_changes.csv: Guangxi's former GB/T 2260 county-level codes and the
division each is part of today, for the agency lookup of a parent's resident ID (registration.reference).

Source: the code history in python-stdnum's cn/loc.dat (each code with the years it was in force, taken
from Wikipedia's 中华人民共和国行政区划代码 pages, which follow the Ministry of Civil Affairs' yearly
publications of the codes). A former code is mapped when exactly one code in force today carries the same
name without its 县/市/区 ending (横县 → 横州市, 武鸣县 → 武鸣区, 452122 南宁地区横县 → 横州市); codes whose
division was split or merged (城北区, 贺县, 玉林县) have no single successor and are left out: their
parents get the agency warning as before.

Run: .venv/bin/python scripts/region_code_changes.py > registration/data/region_code_changes.csv
"""

import csv
import re
import sys
from pathlib import Path

import stdnum.cn

PROVINCE = "45"
ENDINGS = re.compile(r"(各族|瑶族|苗族|侗族|壮族|仫佬族|毛南族)?(自治县|县|市|区)$")
SPECIAL = {"横县": "横州"}  # 2021: 撤销横县，设立县级横州市 (the new name adds a character)
NOT_DIVISIONS = {"市辖区", "市区", "郊区"}


def entries():
    province = None
    for line in (Path(stdnum.cn.__file__).parent / "loc.dat").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        code, rest = line.strip().split(" ", 1)
        for part in re.fullmatch(r'county="(.*)"', rest).group(1).split(","):
            years = re.fullmatch(r"\[(\d*)-(\d*)\](.*)", part)
            if years:
                yield province + code, years.group(3), int(years.group(1) or 0), int(years.group(2) or 9999)
            else:
                yield province + code, part, 0, 9999


def base(name: str) -> str:
    return SPECIAL.get(name, ENDINGS.sub("", name))


def main() -> None:
    rows = [entry for entry in entries() if entry[0].startswith(PROVINCE) and not entry[0].endswith("00")]
    rows = [entry for entry in rows if entry[1] not in NOT_DIVISIONS]
    current = {code: (code, name) for code, name, _, end in rows if end == 9999}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["former_code", "former_name", "in_force", "current_code", "current_name"])
    seen = set()
    for code, name, start, end in rows:
        if end == 9999 or code in current or code in seen:
            continue
        successors = [c for c in current.values() if base(c[1]) == base(name)]
        if len(successors) != 1:
            continue
        seen.add(code)
        years = f"{start or ''}-{end}"
        out.writerow([code, name, years, *successors[0]])


if __name__ == "__main__":
    main()
