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


def _lines_stored() -> list[int]:
    """Which lines of ``jsonl`` are stored, by their body (``第{i}条消息`` is line i + 1, or i + 2 past the
    bad line 4): a line stored twice shows up twice."""
    numbers = [int(body[1:-3]) for body in Message.objects.values_list("body", flat=True)]
    return sorted(i + 1 if i < 3 else i + 2 for i in numbers)


def test_crashed_import_resumes_where_it_stopped(db, tmp_path, monkeypatch):
    """A chunk commits with its shard's resume point: a crash in the middle of a chunk keeps every chunk
    committed before it whole, stores none of the one it interrupts, and the resumed run repeats nothing.
    (On SQLite, and inside a test's transaction, the shards run one after the other in one process.)"""
    path = tmp_path / "wechat.jsonl"
    path.write_bytes(jsonl(500))
    monkeypatch.setattr(importer, "CHUNK_SIZE", 50)
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
    shards = list(job.shards.all())
    assert job.status == ImportStatus.RUNNING and job.shard_count == 2 and len(shards) == 2
    assert job.next_line == min(shard.next_line for shard in shards) < 501
    # Each shard has stored exactly its own lines before its resume point, nothing after it.
    committed = sorted(
        line
        for line, row in importer.rows(job)
        if isinstance(row, dict)
        for shard in shards
        if importer.shard_of(row, line, 2) == shard.number and line < shard.next_line
    )
    assert _lines_stored() == committed and 0 < len(committed) < 299

    monkeypatch.setattr(importer, "parse_row", real)
    call_command("import_conversations", resume=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.next_line == 502
    assert all(shard.done for shard in job.shards.all())
    assert _lines_stored() == [line for line in range(1, 502) if line != 4], "every line once"
    assert job.imported == 500 and job.duplicates == 0
    assert job.errors == [
        {"line": 4, "error": "invalid JSON: Expecting property name enclosed in double quotes"}
    ]


def test_a_customers_rows_stay_in_one_shard_and_a_mobile_number_too_on_sms_and_the_hotline():
    rows = [
        {"channel": "wechat", "customer": f"openid-{n}", "conversation": f"c-{n}-{turn}"}
        for n in range(200)
        for turn in range(3)
    ]
    shards = {}
    for line, row in enumerate(rows, start=1):
        shards.setdefault(row["customer"], set()).add(importer.shard_of(row, line, 2))
    assert all(len(found) == 1 for found in shards.values())
    assert {next(iter(found)) for found in shards.values()} == {0, 1}, "both shards get rows"
    for n in range(50):
        number = f"1390000{n:04d}"
        sms = importer.shard_of({"channel": "sms", "customer": number}, 1, 2)
        assert importer.shard_of({"channel": "phone", "customer": f" {number} "}, 2, 2) == sms


def _shuffled_errors_file(tmp_path) -> tuple:
    """Forty conversations over twenty customers, a bad row every seventh line (both shards get some)."""
    lines = []
    for i in range(280):
        row = {
            "conversation": f"e-{i // 7}",
            "channel": "sms",
            "customer": f"1380000{(i // 14):04d}",
            "direction": "inbound" if i % 2 == 0 else "outbound",
            "body": f"第{i}条消息" if i % 7 != 3 else "",
            "sent_at": f"2025-02-01T{8 + i // 60:02d}:{i % 60:02d}:00+08:00",
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    path = tmp_path / "errors.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [line for line in range(1, 281) if (line - 1) % 7 == 3]


def test_errors_of_both_shards_are_reported_in_line_order_and_a_rerun_stores_nothing_twice(
    db, tmp_path, monkeypatch
):
    path, bad_lines = _shuffled_errors_file(tmp_path)
    monkeypatch.setattr(importer, "CHUNK_SIZE", 16)
    call_command("import_conversations", str(path))
    job = ImportJob.objects.get()
    assert {importer.shard_of(row, line, 2) for line, row in importer.rows(job)} == {0, 1}
    assert job.status == ImportStatus.DONE and job.imported == 240
    assert [e["line"] for e in job.errors] == bad_lines and {e["error"] for e in job.errors} == {
        "missing body"
    }
    assert Conversation.objects.count() == 40 and Message.objects.count() == 240

    call_command("import_conversations", str(path))
    again = ImportJob.objects.order_by("pk").last()
    assert again.imported == 0 and again.duplicates == 240 and [e["line"] for e in again.errors] == bad_lines
    assert Message.objects.count() == 240 and Conversation.objects.count() == 40


def test_a_conversation_key_under_two_customers_is_still_one_conversation(db, tmp_path):
    """The rare export that names two customers in one conversation puts it in two shards: both halves end
    in one conversation, as with one process (the first customer's)."""
    rows = [
        {"conversation": "x-1", "channel": "wechat", "customer": f"openid-{n}", "direction": "inbound",
         "body": f"第{n}条", "sent_at": f"2025-03-01T10:{n:02d}:00+08:00"}
        for n in range(12)
    ]  # fmt: skip
    assert len({importer.shard_of(row, 1, 2) for row in rows}) == 2
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    call_command("import_conversations", str(path))
    conversation = Conversation.objects.get()
    assert conversation.message_count == 12 and Message.objects.count() == 12


def test_a_second_run_of_a_shard_stops_instead_of_storing_its_chunk_again(db, tmp_path):
    path = tmp_path / "wechat.jsonl"
    path.write_bytes(jsonl(40))
    job = ImportJob(name="w.jsonl", format="jsonl", shard_count=2)
    job.source.save("w.jsonl", SimpleUploadedFile("w.jsonl", path.read_bytes()), save=False)
    job.save()
    stale = importer.ensure_shards(job)[0]
    assert importer.import_chunks(job.pk, shard=0) is False  # another process imported shard 0 meanwhile
    before = Message.objects.count()
    chunk = [(line, row) for line, row in importer.rows(job) if importer.shard_of(row, line, 2) == 0]
    with pytest.raises(importer.ShardTaken):
        importer._import(job, stale, chunk, next_line=42, last=True)
    assert Message.objects.count() == before > 0
    job.refresh_from_db()
    assert job.shards.get(number=0).done and job.status == ImportStatus.RUNNING


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


def test_a_clean_row_and_a_dirty_one_read_as_the_careful_way_reads_them():
    """Clean rows take a short way (one check for the whole row); what they store is what ``cap_extras`` and
    ``clean_text`` make of them, and a row with a NUL or a lone surrogate is cleaned field by field."""
    from dabai.channels.sanitise import cap_extras, clean_text

    clean = {
        "conversation": "h-1",
        "channel": "sms",
        "customer": " 13800001111 ",
        "direction": "Inbound",
        "body": "宽带又断了",
        "sent_at": "2025-03-01T09:00:00+08:00",
    }
    row = importer.parse_row(2, clean)
    assert row.message.raw_payload == {"import": cap_extras(clean, importer.COLUMNS)}
    assert row.handle.external_id == "13800001111" and row.message.body == "宽带又断了"

    dirty = {**clean, "body": "宽带\x00又断了\ud800", "customer": "\x00 13800001111 ", "extra": 5}
    row = importer.parse_row(3, dirty)
    assert row.message.body == clean_text("宽带又断了\ud800") and "\x00" not in row.message.body
    assert row.handle.external_id == "13800001111"
    assert row.message.raw_payload == {"import": cap_extras(dirty, importer.COLUMNS)}
    assert importer.shard_of(dirty, 3, 2) == importer.shard_of(clean, 2, 2)
    with pytest.raises(importer.RowError, match="sent_at must be an ISO date and time"):
        importer.parse_row(4, {**clean, "sent_at": " "})
