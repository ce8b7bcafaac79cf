"""Social listening: public posts naming us without @ are found, read by the filter and answered in time."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dabai.conversations.models import Direction
from dabai.core.choices import Channel
from dabai.listening import services
from dabai.listening.models import BurstAlert, Mention, Source, SourceKind
from dabai.listening.sources import READERS, Post
from dabai.routing.models import ClockKind

from .conftest import status

pytestmark = pytest.mark.django_db
ANGRY = "大白宽带又断网了，三天没人管，客服电话打不通，再不处理我就投诉到工信部！"


def read_weibo(items, source=None):
    return services.ingest(READERS["weibo"].read(json.dumps({"statuses": items}).encode()), source=source)


def test_brand_post_without_at_becomes_public_weibo_conversation_with_20_minute_sla(brand):
    report = read_weibo([status(9001, ANGRY)])
    assert report.stored == 1 and report.conversations == 1
    mention = Mention.objects.get()
    assert (mention.author_followers, mention.reposts, mention.comments) == (12000, 300, 45)
    assert mention.sentiment == "negative" and "大白" in mention.topics
    conversation = mention.conversation
    assert conversation.channel == Channel.WEIBO and conversation.is_public
    clock = conversation.sla_clocks.get(kind=ClockKind.FIRST_RESPONSE)
    assert clock.due_at - clock.started_at == timedelta(minutes=20)
    note = conversation.messages.get(direction=Direction.NOTE)
    assert "12,000" in note.body and "300" in note.body and f"/listening/mentions/{mention.pk}/" in note.body
    assert conversation.customer.identities.get().external_id == "5001"


def test_post_that_at_mentions_our_account_is_left_to_the_weibo_channel(brand):
    source = Source.objects.create(
        name="微博搜索", kind=SourceKind.WEIBO, url="/dev/null", own_accounts="大白客服"
    )
    report = read_weibo([status(9002, "@大白客服 " + ANGRY)], source=source)
    assert report.own_account == 1 and not Mention.objects.exists()


def test_the_same_post_seen_twice_is_stored_once(brand):
    read_weibo([status(9003, ANGRY)])
    again = read_weibo([status(9003, ANGRY), status(9003, ANGRY)])
    assert again.stored == 0 and again.duplicates == 2
    assert Mention.objects.count() == 1


def test_a_pleased_post_is_stored_but_opens_no_conversation(brand):
    read_weibo([status(9004, "大白宽带装得真快，师傅很专业，点赞！")])
    mention = Mention.objects.get()
    assert mention.sentiment != "negative" and mention.conversation is None


def test_posts_naming_nothing_we_watch_are_not_kept(brand):
    report = read_weibo([status(9005, "今天天气不错，去公园散步")])
    assert report.unmatched == 1 and not Mention.objects.exists()


def test_traditional_script_and_synonyms_match(brand):
    read_weibo([status(9006, "大白寬帶今天又斷網了")])
    assert Mention.objects.get().topics == ["大白", "宽带断网"]


def test_malformed_weibo_items_are_reported_and_skipped_without_blocking_the_rest(brand):
    report = read_weibo([{"text": "no id"}, 42, status(9007, ANGRY), {"id": 9008, "text": ""}])
    assert report.stored == 1 and report.skipped == 3
    assert "item 1" in report.problems[0]


def test_a_feed_is_read_over_http_and_a_broken_entry_is_skipped(brand, httpserver):
    feed = """<?xml version="1.0"?><rss version="2.0"><channel><title>论坛</title>
      <item><title>大白宽带掉线投诉帖</title><link>https://bbs.example.cn/t/1</link><guid>t1</guid>
        <description>&lt;p&gt;大白宽带每天晚上掉线，客服推来推去&lt;/p&gt;</description></item>
      <item><description>没有标题也没有链接</description></item>
      <item><title>无关帖子</title><link>https://bbs.example.cn/t/3</link></item>
    </channel></rss>"""
    httpserver.expect_request("/feed.xml").respond_with_data(feed, content_type="application/rss+xml")
    source = Source.objects.create(name="论坛", kind=SourceKind.FEED, url=httpserver.url_for("/feed.xml"))
    report = services.read_source(source)
    assert report.stored == 1 and report.skipped == 1 and report.unmatched == 1
    mention = Mention.objects.get()
    assert (
        mention.origin == "feed" and mention.url == "https://bbs.example.cn/t/1" and "<p>" not in mention.text
    )
    assert mention.conversation is None  # news and forum posts have nobody to answer on Weibo
    source.refresh_from_db()
    assert source.last_report["stored"] == 1 and source.last_report["skipped"] == 1


def test_an_unreachable_or_oversized_source_is_reported_not_raised(brand, httpserver, settings):
    httpserver.expect_request("/big.json").respond_with_data("[" + ",".join(["1"] * 300_000) + "]")
    source = Source.objects.create(name="大文件", kind=SourceKind.WEIBO, url=httpserver.url_for("/big.json"))
    from dabai.listening import sources

    original = sources.MAX_BYTES
    sources.MAX_BYTES = 100_000
    try:
        report = services.read_source(source)
    finally:
        sources.MAX_BYTES = original
    assert report.stored == 0 and "larger than" in report.problems[0]
    gone = Source.objects.create(name="失联", kind=SourceKind.FEED, url="http://127.0.0.1:9/feed")
    assert "ConnectError" in services.read_source(gone).problems[0]


def test_a_burst_of_mentions_alerts_supervisors_once(brand, supervisor, settings):
    settings.DABAI_LISTENING_BURST_MIN = 5
    supervisor.email = "banzhang@example.cn"
    supervisor.save()
    now = timezone.now()
    posts = [
        Post(
            key=f"weibo:{n}",
            origin="weibo",
            text=f"大白宽带断网第{n}次",
            published_at=now - timedelta(minutes=n),
        )
        for n in range(6)
    ]
    with pytest.MonkeyPatch.context():
        report = services.ingest(posts, now=now)
    assert report.alerts >= 1
    alert = BurstAlert.objects.get(topic="大白")
    assert alert.count == 6
    more = [Post(key="weibo:99", origin="weibo", text="大白又断了", published_at=now)]
    services.ingest(more, now=now)
    assert BurstAlert.objects.filter(topic="大白").count() == 1
    assert BurstAlert.objects.get(topic="大白").count == 7


def test_burst_alert_mail_goes_to_supervisors(
    brand, supervisor, settings, django_capture_on_commit_callbacks
):
    settings.DABAI_LISTENING_BURST_MIN = 3
    supervisor.email = "banzhang@example.cn"
    supervisor.save()
    now = timezone.now()
    posts = [Post(key=f"weibo:m{n}", origin="weibo", text="大白太差", published_at=now) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(posts, now=now)
    assert any("大白" in m.subject and "banzhang@example.cn" in m.to for m in mail.outbox)


def test_a_usual_rate_is_no_burst(brand, settings):
    settings.DABAI_LISTENING_BURST_MIN = 3
    now = timezone.now()
    usual = [
        Post(key=f"weibo:u{n}", origin="weibo", text="大白", published_at=now - timedelta(hours=2 + n % 160))
        for n in range(1200)
    ]
    services.ingest(usual, now=now)
    recent = [Post(key=f"weibo:r{n}", origin="weibo", text="大白", published_at=now) for n in range(4)]
    assert services.ingest(recent, now=now).alerts == 0


def _note_inserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith('INSERT INTO "conversations_message"'))


def test_a_batch_of_posts_gets_its_reach_notes_in_one_insert_whatever_its_size(brand):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for first, size in ((100, 2), (200, 6)):
        posts = [
            status(first + i, ANGRY, uid=str(7000 + first + i), followers=1000 * (i + 1)) for i in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            report = read_weibo(posts)
        assert report.conversations == size
        counts.append(_note_inserts(queries.captured_queries))
    assert counts[0] == counts[1], "the reach notes are written set-wise, not one insert per conversation"
    for mention in Mention.objects.select_related("conversation"):
        (note,) = mention.conversation.messages.filter(direction=Direction.NOTE)
        assert (
            f"{mention.author_followers:,}" in note.body and f"/listening/mentions/{mention.pk}/" in note.body
        )
        assert note.author.username == services.BOT_USERNAME
