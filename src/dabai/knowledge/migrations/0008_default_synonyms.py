"""Ship the default synonym groups (data/default_synonyms.txt) as ordinary, admin-editable rows (issue 15).

Groups that already exist with the same words are left alone; reversing removes only unchanged defaults.
"""

from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "default_synonyms.txt"


def default_groups() -> list[str]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [" ".join(line.split()) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def add_defaults(apps, schema_editor) -> None:
    Synonym = apps.get_model("knowledge", "Synonym")
    for words in default_groups():
        Synonym.objects.get_or_create(words=words[:255])


def remove_defaults(apps, schema_editor) -> None:
    Synonym = apps.get_model("knowledge", "Synonym")
    Synonym.objects.filter(words__in=[w[:255] for w in default_groups()]).delete()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0007_article_views")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
