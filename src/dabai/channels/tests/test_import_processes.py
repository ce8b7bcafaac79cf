"""The import's shards in processes of their own side by side (PostgreSQL): a shard process that dies
resumes from its own point, and every line is stored once."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command

from dabai.channels import importer
from dabai.channels.models import ImportJob, ImportStatus
from dabai.conversations.models import Conversation, Insight, Message

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="SQLite has one writer at a time: there the shards run one after the other (test_import.py)",
    ),
]

ROWS = 1200
BAD_EVERY = 97


def history(tmp_path):
    lines = []
    for i in range(ROWS):
        row = {
            "conversation": f"p-{i // 4}",
            "channel": ["wechat", "sms", "phone", "email"][(i // 4) % 4],
            "customer": f"1370000{i // 12:04d}",
            "direction": "inbound" if i % 2 == 0 else "outbound",
            "body": f"第{i}条：宽带又断了" if i % BAD_EVERY else "",
            "sent_at": f"2025-04-{1 + i // 240:02d}T{8 + (i // 20) % 12:02d}:{i % 20:02d}:00+08:00",
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [i + 1 for i in range(ROWS) if i % BAD_EVERY == 0]


def stored_lines() -> list[int]:
    return sorted(
        int(body[1 : body.index("条")]) + 1 for body in Message.objects.values_list("body", flat=True)
    )


def test_two_processes_import_every_line_once_and_a_dead_shard_resumes_from_its_own_point(
    tmp_path, monkeypatch
):
    path, bad = history(tmp_path)
    monkeypatch.setattr(importer, "CHUNK_SIZE", 100)
    real = importer.parse_row

    def power_cut_in_one_shard(line, row, **kwargs):
        if line == 900:  # only the process of line 900's shard dies (the other's copy never sees it)
            raise RuntimeError("power cut")
        return real(line, row, **kwargs)

    monkeypatch.setattr(importer, "parse_row", power_cut_in_one_shard)
    with pytest.raises(RuntimeError, match="shard processes stopped early"):
        call_command("import_conversations", str(path))
    job = ImportJob.objects.get()
    dead = importer.shard_of(json.loads(path.read_text(encoding="utf-8").splitlines()[899]), 900, 2)
    shards = {shard.number: shard for shard in job.shards.all()}
    assert shards[1 - dead].done and not shards[dead].done and shards[dead].next_line <= 900
    assert job.status == ImportStatus.RUNNING and job.next_line == shards[dead].next_line
    assert stored_lines() == sorted(
        line
        for line, row in importer.rows(job)
        if line not in bad and (importer.shard_of(row, line, 2) != dead or line < shards[dead].next_line)
    )

    monkeypatch.setattr(importer, "parse_row", real)
    call_command("import_conversations", resume=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.next_line == ROWS + 1
    assert stored_lines() == [line for line in range(1, ROWS + 1) if line not in bad], "every line once"
    assert [e["line"] for e in job.errors] == bad, "both shards' errors, in line order"
    assert job.imported == ROWS - len(bad) and job.duplicates == 0
    assert Conversation.objects.count() == ROWS // 4
    assert Insight.objects.count() == Message.objects.filter(direction="inbound").count()

    call_command("import_conversations", str(path))
    again = ImportJob.objects.order_by("pk").last()
    assert again.imported == 0 and again.duplicates == ROWS - len(bad)
    assert Message.objects.count() == ROWS - len(bad)
