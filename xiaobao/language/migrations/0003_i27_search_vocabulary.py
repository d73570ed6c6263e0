"""SQLite: FTS5's vocabulary of the search index (`fts5vocab`, one row per word with the number
of documents holding it), which the search reads to choose its plan by the word's frequency
(see xiaobao/language/search.py). PostgreSQL keeps the same figures in its own statistics of the
tsvector column (pg_stats.most_common_elems), so it needs nothing here."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE language_search_vocab USING fts5vocab(language_search_fts, 'row')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS language_search_vocab"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("language", "0002_native_fulltext")]

    operations = [
        migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD), elidable=False)
    ]
