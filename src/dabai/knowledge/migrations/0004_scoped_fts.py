"""SQLite: the FTS5 table gains a ``scope`` column (kind and visibility as marker tokens), so a help-centre
search intersects inside the full-text index instead of filtering joined rows afterwards.

The markers are words no customer types (``kbscopearticle``, ``kbscopepublic``), so document frequencies
stay the same as PostgreSQL's, which filters on the table's columns instead.
"""

from django.db import migrations

SCOPE = "'kbscope' || new.kind || CASE WHEN new.public THEN ' kbscopepublic' ELSE '' END"

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS knowledge_fts_insert",
    "DROP TRIGGER IF EXISTS knowledge_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_fts_update",
    "DROP TABLE IF EXISTS knowledge_fts_vocab",
    "DROP TABLE IF EXISTS knowledge_fts",
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, body, scope, tokenize='unicode61 remove_diacritics 0')",
    f"""CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_searchentry BEGIN
        INSERT INTO knowledge_fts(rowid, title, body, scope) VALUES (new.id, new.title_tokens, new.body_tokens, {SCOPE});
    END""",
    """CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_searchentry BEGIN
        DELETE FROM knowledge_fts WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER knowledge_fts_update AFTER UPDATE ON knowledge_searchentry BEGIN
        DELETE FROM knowledge_fts WHERE rowid = old.id;
        INSERT INTO knowledge_fts(rowid, title, body, scope) VALUES (new.id, new.title_tokens, new.body_tokens, {SCOPE});
    END""",
    f"""INSERT INTO knowledge_fts(rowid, title, body, scope)
        SELECT new.id, new.title_tokens, new.body_tokens, {SCOPE} FROM knowledge_searchentry new""",
    "CREATE VIRTUAL TABLE knowledge_fts_vocab USING fts5vocab(knowledge_fts, 'row')",
]


def _forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_document_frequencies")]

    operations = [migrations.RunPython(_forward, migrations.RunPython.noop)]
