"""Indexes for the registry page's filters at a million cases (issue 27).

* 重大投诉 (`major=true`): a partial index of the major cases in the page's order.
* The free-text box (`q`: registry number, reference number, title), PostgreSQL only: a GIN index
  over the characters and character pairs of those three columns (`xiaobao_grams`, upper-cased
  like Django's icontains). Every substring of one or more characters has its characters and
  pairs in there, so `grams(text) @> grams(value)` finds a superset of the rows that contain the
  value, which the icontains conditions beside it then check exactly; a trigram index cannot
  serve the two-character words (年费, 征信) that Chinese users type. SQLite scans, as before.
* The search's index plan (xiaobao/language/search.py), PostgreSQL only: the matches' received
  time and unit read from a narrow covering index instead of the 1 KB rows.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION xiaobao_grams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(upper(value), i, n)), '{}')
        FROM generate_series(1, char_length(value)) AS i, (VALUES (1), (2)) AS width(n)
    $$
    """,
    """
    CREATE INDEX complaint_text_grams_gin ON complaints_complaint
    USING gin (xiaobao_grams(title || ' ' || registry_no || ' ' || external_ref))
    """,
    "CREATE INDEX complaint_search_cover_idx ON complaints_complaint (id) INCLUDE (received_at, unit_id)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS complaint_search_cover_idx",
    "DROP INDEX IF EXISTS complaint_text_grams_gin",
    "DROP FUNCTION IF EXISTS xiaobao_grams(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_i1718_sealed_free_text")]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("is_major", True)),
                fields=["-received_at", "-id"],
                name="complaint_major_received_idx",
            ),
        ),
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD), elidable=False),
    ]
