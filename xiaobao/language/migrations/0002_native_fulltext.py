"""Each database's own full-text index over SearchDocument (see xiaobao/language/search.py).

SQLite: an external-content FTS5 table whose rowid is the complaint id, kept in step with
language_searchdocument by triggers; bm25 ranks it. PostgreSQL: a generated tsvector column
(title tokens weighted A, body tokens B, 'simple' configuration: the text is already segmented)
with a GIN index; ts_rank_cd ranks it. Other databases get no native index and search refuses.

Careful on SQLite: a later migration that makes Django rebuild language_searchdocument (most
AlterField operations) drops its triggers with the old table; such a migration must run
SQLITE_BACKWARD's trigger drops and SQLITE_FORWARD's trigger creations again, then
`reindex_search`.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE language_search_fts USING fts5(
        title_tokens, body_tokens,
        content='language_searchdocument', content_rowid='complaint_id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER language_searchdocument_ai AFTER INSERT ON language_searchdocument BEGIN
        INSERT INTO language_search_fts(rowid, title_tokens, body_tokens)
        VALUES (new.complaint_id, new.title_tokens, new.body_tokens);
    END
    """,
    """
    CREATE TRIGGER language_searchdocument_ad AFTER DELETE ON language_searchdocument BEGIN
        INSERT INTO language_search_fts(language_search_fts, rowid, title_tokens, body_tokens)
        VALUES ('delete', old.complaint_id, old.title_tokens, old.body_tokens);
    END
    """,
    """
    CREATE TRIGGER language_searchdocument_au AFTER UPDATE ON language_searchdocument BEGIN
        INSERT INTO language_search_fts(language_search_fts, rowid, title_tokens, body_tokens)
        VALUES ('delete', old.complaint_id, old.title_tokens, old.body_tokens);
        INSERT INTO language_search_fts(rowid, title_tokens, body_tokens)
        VALUES (new.complaint_id, new.title_tokens, new.body_tokens);
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS language_searchdocument_au",
    "DROP TRIGGER IF EXISTS language_searchdocument_ad",
    "DROP TRIGGER IF EXISTS language_searchdocument_ai",
    "DROP TABLE IF EXISTS language_search_fts",
]

POSTGRES_FORWARD = [
    """
    ALTER TABLE language_searchdocument ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title_tokens), 'A')
        || setweight(to_tsvector('simple'::regconfig, body_tokens), 'B')
    ) STORED
    """,
    "CREATE INDEX language_search_vector_gin ON language_searchdocument USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS language_search_vector_gin",
    "ALTER TABLE language_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("language", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
            elidable=False,
        )
    ]
