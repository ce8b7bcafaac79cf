"""The workspace owns its presentation: only the desk's own templates load the desk's template tags, so the
domain apps (conversations, replies) stay free of it and a page elsewhere cannot grow a half-desk."""

import re
from pathlib import Path

from django.template.utils import get_app_template_dirs

LOAD = re.compile(r"{%\s*load\s+([^%]*?)\s*%}")
DESK_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def templates_loading(library: str) -> set[Path]:
    found = set()
    for directory in get_app_template_dirs("templates"):
        for path in Path(directory).rglob("*.html"):
            for match in LOAD.finditer(path.read_text(encoding="utf-8")):
                names = match.group(1).split()
                if "from" in names:  # {% load tag from library %}
                    names = names[names.index("from") + 1 :]
                if library in names:
                    found.add(path.resolve())
    return found


def test_only_desk_templates_load_the_desk_template_tags():
    loading = templates_loading("desk")
    assert loading, "the workspace's own templates load its tags"
    outside = sorted(str(p) for p in loading if DESK_TEMPLATES not in p.parents)
    assert outside == []


def test_the_workspace_templates_live_in_the_desk_app_only():
    """The moved pages exist once, under desk/ (a stale copy elsewhere would shadow or drift)."""
    names = {"detail.html", "inbox.html", "_thread.html", "_reply_box.html", "_customer_panel.html"}
    for directory in get_app_template_dirs("templates"):
        for sub in ("conversations", "replies"):
            leftovers = {p.name for p in (Path(directory) / sub).glob("*.html")} & names
            assert not leftovers, f"{directory}/{sub} still has {leftovers}"
