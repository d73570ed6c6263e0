"""What the search needs to choose its plan by word frequency and to read matches cheaply (see
xiaobao/language/search.py).

* SQLite: FTS5's vocabulary of the search index (`fts5vocab`, one row per word with the number of
  documents holding it). PostgreSQL keeps the same figures in its statistics of the tsvector
  column (pg_stats.most_common_elems).
* PostgreSQL: the documents' long texts (redacted title and body, tokens, the tsvector) are moved
  out of the table's main pages into its TOAST table (`toast_tuple_target = 128`), so the rows an
  index search visits to learn the case ids are about a hundred bytes instead of 1.5 KB (150 MB
  of pages at 100,000 documents become 19 MB). It applies to documents written from now on;
  `reindex_search` rewrites the existing ones (then VACUUM FULL returns the space).
"""

from django.db import migrations

FORWARD = {
    "sqlite": [
        "CREATE VIRTUAL TABLE language_search_vocab USING fts5vocab(language_search_fts, 'row')",
    ],
    "postgresql": ["ALTER TABLE language_searchdocument SET (toast_tuple_target = 128)"],
}
BACKWARD = {
    "sqlite": ["DROP TABLE IF EXISTS language_search_vocab"],
    "postgresql": ["ALTER TABLE language_searchdocument RESET (toast_tuple_target)"],
}


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("language", "0002_native_fulltext")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
