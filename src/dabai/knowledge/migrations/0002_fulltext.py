"""The database's own full-text structures over SearchEntry, one per vendor, with the same tokens.

SQLite: an FTS5 table kept in step by triggers (rowid = SearchEntry.id).
PostgreSQL: a generated ``tsvector`` column (title weighted A) with a GIN index.
Both read the space-separated jieba tokens the application writes, so matching is identical.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, body, tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_searchentry BEGIN
        INSERT INTO knowledge_fts(rowid, title, body) VALUES (new.id, new.title_tokens, new.body_tokens);
    END""",
    """CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_searchentry BEGIN
        DELETE FROM knowledge_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER knowledge_fts_update AFTER UPDATE ON knowledge_searchentry BEGIN
        DELETE FROM knowledge_fts WHERE rowid = old.id;
        INSERT INTO knowledge_fts(rowid, title, body) VALUES (new.id, new.title_tokens, new.body_tokens);
    END""",
    "INSERT INTO knowledge_fts(rowid, title, body) SELECT id, title_tokens, body_tokens FROM knowledge_searchentry",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_fts_insert",
    "DROP TRIGGER IF EXISTS knowledge_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_fts_update",
    "DROP TABLE IF EXISTS knowledge_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE knowledge_searchentry ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title_tokens), 'A')
        || setweight(to_tsvector('simple'::regconfig, body_tokens), 'D')
    ) STORED""",
    "CREATE INDEX knowledge_searchentry_tsv ON knowledge_searchentry USING gin (tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_searchentry_tsv",
    "ALTER TABLE knowledge_searchentry DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
