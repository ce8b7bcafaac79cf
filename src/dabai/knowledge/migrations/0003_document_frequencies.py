"""Per-term document frequencies for BM25, kept by the database as the index changes.

SQLite: an ``fts5vocab`` view over the FTS5 table. PostgreSQL: a ``knowledge_termdf`` table maintained by
statement-level triggers (transition tables, so a bulk insert costs one upsert per distinct term).
Both count documents per token over the whole index, so both databases rank with the same figures.
"""

from django.db import migrations

SQLITE_FORWARD = ["CREATE VIRTUAL TABLE knowledge_fts_vocab USING fts5vocab(knowledge_fts, 'row')"]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS knowledge_fts_vocab"]

POSTGRES_FORWARD = [
    "CREATE TABLE knowledge_termdf (term text PRIMARY KEY, df integer NOT NULL)",
    """CREATE FUNCTION knowledge_termdf_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO knowledge_termdf (term, df)
        SELECT t.lexeme, count(*) FROM knowledge_new_rows n, unnest(n.tsv) t GROUP BY t.lexeme ORDER BY t.lexeme
        ON CONFLICT (term) DO UPDATE SET df = knowledge_termdf.df + EXCLUDED.df;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION knowledge_termdf_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE knowledge_termdf d SET df = d.df - o.n
        FROM (SELECT t.lexeme, count(*) AS n FROM knowledge_old_rows r, unnest(r.tsv) t GROUP BY t.lexeme) o
        WHERE d.term = o.lexeme;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION knowledge_termdf_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE knowledge_termdf d SET df = d.df - o.n
        FROM (SELECT t.lexeme, count(*) AS n FROM knowledge_old_rows r, unnest(r.tsv) t GROUP BY t.lexeme) o
        WHERE d.term = o.lexeme;
        INSERT INTO knowledge_termdf (term, df)
        SELECT t.lexeme, count(*) FROM knowledge_new_rows n, unnest(n.tsv) t GROUP BY t.lexeme ORDER BY t.lexeme
        ON CONFLICT (term) DO UPDATE SET df = knowledge_termdf.df + EXCLUDED.df;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER knowledge_termdf_insert AFTER INSERT ON knowledge_searchentry
        REFERENCING NEW TABLE AS knowledge_new_rows FOR EACH STATEMENT EXECUTE FUNCTION knowledge_termdf_add()""",
    """CREATE TRIGGER knowledge_termdf_delete AFTER DELETE ON knowledge_searchentry
        REFERENCING OLD TABLE AS knowledge_old_rows FOR EACH STATEMENT EXECUTE FUNCTION knowledge_termdf_remove()""",
    """CREATE TRIGGER knowledge_termdf_update AFTER UPDATE ON knowledge_searchentry
        REFERENCING OLD TABLE AS knowledge_old_rows NEW TABLE AS knowledge_new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION knowledge_termdf_change()""",
    """INSERT INTO knowledge_termdf (term, df)
        SELECT t.lexeme, count(*) FROM knowledge_searchentry e, unnest(e.tsv) t GROUP BY t.lexeme""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_termdf_insert ON knowledge_searchentry",
    "DROP TRIGGER IF EXISTS knowledge_termdf_delete ON knowledge_searchentry",
    "DROP TRIGGER IF EXISTS knowledge_termdf_update ON knowledge_searchentry",
    "DROP FUNCTION IF EXISTS knowledge_termdf_add()",
    "DROP FUNCTION IF EXISTS knowledge_termdf_remove()",
    "DROP FUNCTION IF EXISTS knowledge_termdf_change()",
    "DROP TABLE IF EXISTS knowledge_termdf",
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_fulltext")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
