"""The database's own full-text structures over ``insights_case``, built like the knowledge index (same
jieba tokens, same matching on both databases).

SQLite: an FTS5 table kept in step by triggers (rowid = the conversation id) and an ``fts5vocab`` view for
document frequencies. PostgreSQL: a generated ``tsvector`` column (title weighted A) with a GIN index, and an
``insights_case_termdf`` table kept by statement-level triggers (one upsert per distinct term per statement).
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE insights_case_fts USING fts5(title, body, tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER insights_case_fts_insert AFTER INSERT ON insights_case BEGIN
        INSERT INTO insights_case_fts(rowid, title, body) VALUES (new.conversation_id, new.title_tokens, new.body_tokens);
    END""",
    """CREATE TRIGGER insights_case_fts_delete AFTER DELETE ON insights_case BEGIN
        DELETE FROM insights_case_fts WHERE rowid = old.conversation_id;
    END""",
    """CREATE TRIGGER insights_case_fts_update AFTER UPDATE OF title_tokens, body_tokens ON insights_case BEGIN
        DELETE FROM insights_case_fts WHERE rowid = old.conversation_id;
        INSERT INTO insights_case_fts(rowid, title, body) VALUES (new.conversation_id, new.title_tokens, new.body_tokens);
    END""",
    "CREATE VIRTUAL TABLE insights_case_fts_vocab USING fts5vocab(insights_case_fts, 'row')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS insights_case_fts_insert",
    "DROP TRIGGER IF EXISTS insights_case_fts_delete",
    "DROP TRIGGER IF EXISTS insights_case_fts_update",
    "DROP TABLE IF EXISTS insights_case_fts_vocab",
    "DROP TABLE IF EXISTS insights_case_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE insights_case ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title_tokens), 'A')
        || setweight(to_tsvector('simple'::regconfig, body_tokens), 'D')
    ) STORED""",
    "CREATE INDEX insights_case_tsv ON insights_case USING gin (tsv)",
    "CREATE TABLE insights_case_termdf (term text PRIMARY KEY, df integer NOT NULL)",
    """CREATE FUNCTION insights_case_termdf_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO insights_case_termdf (term, df)
        SELECT t.lexeme, count(*) FROM insights_new_rows n, unnest(n.tsv) t GROUP BY t.lexeme ORDER BY t.lexeme
        ON CONFLICT (term) DO UPDATE SET df = insights_case_termdf.df + EXCLUDED.df;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION insights_case_termdf_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE insights_case_termdf d SET df = d.df - o.n
        FROM (SELECT t.lexeme, count(*) AS n FROM insights_old_rows r, unnest(r.tsv) t GROUP BY t.lexeme) o
        WHERE d.term = o.lexeme;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION insights_case_termdf_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE insights_case_termdf d SET df = d.df - o.n
        FROM (SELECT t.lexeme, count(*) AS n FROM insights_old_rows r, unnest(r.tsv) t GROUP BY t.lexeme) o
        WHERE d.term = o.lexeme;
        INSERT INTO insights_case_termdf (term, df)
        SELECT t.lexeme, count(*) FROM insights_new_rows n, unnest(n.tsv) t GROUP BY t.lexeme ORDER BY t.lexeme
        ON CONFLICT (term) DO UPDATE SET df = insights_case_termdf.df + EXCLUDED.df;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER insights_case_termdf_insert AFTER INSERT ON insights_case
        REFERENCING NEW TABLE AS insights_new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_case_termdf_add()""",
    """CREATE TRIGGER insights_case_termdf_delete AFTER DELETE ON insights_case
        REFERENCING OLD TABLE AS insights_old_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_case_termdf_remove()""",
    """CREATE TRIGGER insights_case_termdf_update AFTER UPDATE ON insights_case
        REFERENCING OLD TABLE AS insights_old_rows NEW TABLE AS insights_new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION insights_case_termdf_change()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS insights_case_termdf_insert ON insights_case",
    "DROP TRIGGER IF EXISTS insights_case_termdf_delete ON insights_case",
    "DROP TRIGGER IF EXISTS insights_case_termdf_update ON insights_case",
    "DROP FUNCTION IF EXISTS insights_case_termdf_add()",
    "DROP FUNCTION IF EXISTS insights_case_termdf_remove()",
    "DROP FUNCTION IF EXISTS insights_case_termdf_change()",
    "DROP TABLE IF EXISTS insights_case_termdf",
    "DROP INDEX IF EXISTS insights_case_tsv",
    "ALTER TABLE insights_case DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
