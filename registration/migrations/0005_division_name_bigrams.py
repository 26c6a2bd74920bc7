# PostgreSQL: community names searched by any fragment of two or more characters use an index.
#
# pg_trgm makes no trigram of a two-character pattern ("新竹"), so `name LIKE '%新竹%'` read the whole national
# table (620,573 communities). A name's character bigrams, GIN-indexed, answer any fragment of two or more
# characters: every bigram of the fragment occurs in every name that contains it, so the index narrows the
# rows and the LIKE (kept in the query) decides. A fragment found in tens of thousands of names ("社区") is
# served instead by walking the communities in the order the search shows them, (length, code), until enough
# match: the second index. SQLite scans its one province fast enough and gets neither.

from django.db import migrations

# ARRAY(...) rather than array_agg(DISTINCT ...): no sort, half the time; GIN keeps each key once anyway.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION registration_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT ARRAY(SELECT substr(value, i, 2) FROM generate_series(1, char_length(value) - 1) AS i)
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BIGRAMS_FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS registration_division_name_bigrams "
        "ON registration_division USING gin (registration_bigrams(name))"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS registration_division_village_length "
        "ON registration_division (length(name), code) WHERE level = 5"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS registration_division_village_length")
    schema_editor.execute("DROP INDEX IF EXISTS registration_division_name_bigrams")
    schema_editor.execute("DROP FUNCTION IF EXISTS registration_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0004_audit_append_only"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
