"""Bulk import of historic conversations: good rows in, bad rows reported by line, re-runs safe."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from dabai.channels import importer
from dabai.channels.models import ImportJob, ImportStatus
from dabai.conversations.models import Conversation, Insight, Message, Status
from dabai.testing import run_queued_tasks

CSV = """conversation,channel,customer,customer_name,direction,body,sent_at
h-1,phone,13800001111,李女士,inbound,宽带又断了,2025-03-01T09:00:00+08:00
h-1,phone,13800001111,李女士,outbound,师傅下午上门,2025-03-01T09:05:00+08:00
h-2,email,zhang@example.cn,张先生,inbound,"发票抬头
写错了",2025-03-02T10:00:00+08:00
h-3,fax,123,某人,inbound,传真,2025-03-03T10:00:00+08:00
h-4,sms,13900002222,,inbound,,2025-03-03T10:00:00+08:00
h-5,sms,13900002222,,sideways,好,2025-03-03T10:00:00+08:00
h-6,sms,13900002222,,inbound,好,yesterday
"""


def jsonl(n: int) -> bytes:
    lines = [
        json.dumps(
            {
                "conversation": f"j-{i // 2}",
                "channel": "wechat",
                "customer": f"openid-{i // 2}",
                "direction": "inbound" if i % 2 == 0 else "outbound",
                "body": f"第{i}条消息",
                "sent_at": f"2025-01-01T10:{i % 60:02d}:00+08:00",
            },
            ensure_ascii=False,
        )
        for i in range(n)
    ]
    lines.insert(3, "{not json")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def upload(commit):
    def post(client, name: str, content: bytes):
        with commit():
            return client.post("/channels/imports/", {"file": SimpleUploadedFile(name, content)})

    return post


def test_csv_upload_imports_good_rows_and_reports_bad_ones_by_line(client_for, supervisor, upload):
    client = client_for(supervisor)
    response = upload(client, "history.csv", CSV.encode())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/channels/imports/{job.pk}/"
    run_queued_tasks()

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.imported == 3
    assert job.errors == [
        {"line": 6, "error": "unknown channel 'fax'"},
        {"line": 7, "error": "missing body"},
        {"line": 8, "error": "direction must be inbound or outbound"},
        {"line": 9, "error": "sent_at must be an ISO date and time"},
    ]
    thread = Conversation.objects.get(channel="phone")
    assert thread.status == Status.CLOSED and thread.message_count == 2
    assert Message.objects.get(channel="email").body == "发票抬头\n写错了"
    assert Insight.objects.count() == 2, "historic customer messages are read by the filter too"
    page = client.get(f"/channels/imports/{job.pk}/").content.decode()
    assert "100%" in page and "unknown channel" in page


def test_re_running_the_same_file_stores_nothing_twice(client_for, supervisor, upload):
    client = client_for(supervisor)
    upload(client, "history.csv", CSV.encode())
    upload(client, "history.csv", CSV.encode())
    run_queued_tasks()

    second = ImportJob.objects.order_by("pk").last()
    assert second.imported == 0 and second.duplicates == 3
    assert Message.objects.count() == 3
    assert Conversation.objects.count() == 2


def test_crashed_import_resumes_where_it_stopped(db, tmp_path, monkeypatch):
    """A chunk commits with its resume point: a crash half-way through the second chunk keeps the first
    whole, stores none of the second, and the resumed run repeats nothing."""
    path = tmp_path / "wechat.jsonl"
    path.write_bytes(jsonl(500))
    monkeypatch.setattr(importer, "CHUNK_SIZE", 200)
    real = importer.parse_row
    calls = {"n": 0}

    def crash_at_row_300(line, row, **kwargs):
        calls["n"] += 1
        if calls["n"] == 300:
            raise KeyboardInterrupt("power cut")
        return real(line, row, **kwargs)

    monkeypatch.setattr(importer, "parse_row", crash_at_row_300)
    with pytest.raises(KeyboardInterrupt):
        call_command("import_conversations", str(path))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.RUNNING and job.next_line == 201
    assert Message.objects.count() == 199  # the first 200 lines, one of them the bad JSON

    monkeypatch.setattr(importer, "parse_row", real)
    call_command("import_conversations", resume=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Message.objects.count() == 500
    assert job.errors == [
        {"line": 4, "error": "invalid JSON: Expecting property name enclosed in double quotes"}
    ]


def test_only_supervisors_import(client_for, agent):
    assert client_for(agent).get("/channels/imports/").status_code == 403


def _thread_state(conversation: Conversation) -> tuple:
    return (
        conversation.message_count,
        conversation.last_message_at,
        conversation.last_inbound_at,
        conversation.preview,
        conversation.first_response_at,
        conversation.closed_at,
    )


def test_a_conversation_split_over_chunks_ends_as_if_imported_at_once(db, tmp_path, monkeypatch):
    path = tmp_path / "wechat.jsonl"
    path.write_bytes(jsonl(60).replace(b"{not json\n", b""))
    call_command("import_conversations", str(path))
    whole = sorted(_thread_state(c) for c in Conversation.objects.all())
    Message.objects.all().delete()
    Conversation.objects.all().delete()
    ImportJob.objects.all().delete()

    monkeypatch.setattr(importer, "CHUNK_SIZE", 7)  # every other conversation straddles two chunks
    call_command("import_conversations", str(path))
    assert sorted(_thread_state(c) for c in Conversation.objects.all()) == whole
    assert Message.objects.count() == 60 and Conversation.objects.count() == 30
    assert Insight.objects.count() == 30


def test_a_chunk_the_database_refuses_goes_in_row_by_row_with_the_bad_row_reported(db, tmp_path, monkeypatch):
    """Fault injection: the database refuses the whole chunk once (as it would a value the checks let
    through); the rows are retried one by one and only the refused one is reported, by its line."""
    from django.db import DataError

    path = tmp_path / "wechat.jsonl"
    path.write_bytes(jsonl(10).replace(b"{not json\n", b""))
    real = importer.store_rows

    def refuse_the_chunk_and_line_3(parsed):
        if len(parsed) > 1 or parsed[0].line == 3:
            raise DataError("value too long for type character varying(255)")
        return real(parsed)

    monkeypatch.setattr(importer, "store_rows", refuse_the_chunk_and_line_3)
    call_command("import_conversations", str(path))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE and job.imported == 9 and Message.objects.count() == 9
    assert [e["line"] for e in job.errors] == [3]
    assert "database refused" in job.errors[0]["error"]
