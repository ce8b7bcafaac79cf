"""The `dabai` command and the bilingual interface."""

import json
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

DABAI = str(Path(sys.executable).with_name("dabai"))


def test_dabai_help_lists_the_main_commands():
    out = subprocess.run([DABAI, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("migrate", "demo", "serve", "worker", "filter"):
        assert command in out


def test_dabai_filter_runs_without_a_database():
    line = json.dumps(
        {"id": 7, "channel": "weibo", "text": "@大白客服 快递三天没动了，再不处理我就投诉到12315"}
    )
    result = subprocess.run(
        [DABAI, "filter", "analyse", "-"],
        input=line + "\n",
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://nowhere.invalid/none"},
    )
    out = json.loads(result.stdout.splitlines()[0])
    assert out["id"] == 7
    assert out["escalation"]["risk"] is True


def test_chinese_is_the_default_and_english_is_one_click_away(db, agent, client_for):
    client = client_for(agent)
    assert "收件箱" in client.get(reverse("desk:inbox")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/inbox/"})
    body = client.get(reverse("desk:inbox")).content.decode()
    assert "Inbox" in body and "收件箱" not in body.split("<main>")[1].split("</h1>")[0]
