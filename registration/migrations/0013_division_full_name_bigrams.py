# PostgreSQL: a community search of several words ("青秀 新竹") uses an index (issue 18).
#
# Each word must occur in the community's full name ("南宁市 青秀区 新竹街道 新竹社区居委会"), and
# `full_name LIKE '%青秀%' AND full_name LIKE '%新竹%'` read the whole national table (620,573 communities,
# about 100 ms). The full names' character bigrams, GIN-indexed as the names' are (migration 0005), narrow
# the rows to those holding every bigram of every word; the LIKEs, kept in the query, decide. Not a partial
# index (WHERE level = 5) although only communities are searched: the planner ignores the statistics of a
# partial index's expression, and without them it took "街道 社区" (70,000 communities) for a rare pair and
# read them all instead of walking the (length, code) index. SQLite scans its one province fast enough.

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS registration_division_full_name_bigrams "
        "ON registration_division USING gin (registration_bigrams(full_name))"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS registration_division_full_name_bigrams")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0012_audit_refuse_truncate"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
