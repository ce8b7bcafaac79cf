"""Email through its real protocols: RFC 822 on a signed webhook, IMAP (dovecot) in, SMTP (aiosmtpd) out."""

import base64
import email
import imaplib
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django_tasks_db.models import DBTaskResult

from dabai.channels import conf
from dabai.channels.email import poll_imap
from dabai.channels.models import Attachment, EmailHeader, InboundPayload, PayloadStatus
from dabai.channels.tasks import poll_mailbox
from dabai.conversations.models import Conversation, DeliveryStatus, Insight, Message
from dabai.conversations.services import post_reply
from dabai.customers.models import Customer
from dabai.testing import run_queued_tasks

from .conftest import drain, signed_headers

URL = "/channels/email/inbound/"


def gb2312_complaint(message_id: str = "<order-1@mail.example.cn>") -> bytes:
    """What Foxmail sends: GB2312 label, GBK characters (喆), base64 subject, quoted history, signature."""
    body = (
        "你好，我是王喆，订单 20261101 的冰箱还没送到，已经等了十天了！\n\n"
        "--\n王喆 | 某某公司\n\n"
        "在 2026年11月20日 10:00，客服 写道：\n> 您好，我们会尽快处理。\n"
    )

    def word(text: str) -> str:
        return f"=?gb2312?B?{base64.b64encode(text.encode('gbk')).decode()}?="

    headers = (
        f"From: {word('王喆')} <wangzhe@mail.example.cn>\r\n"
        "To: kefu@dabai.example\r\n"
        f"Subject: {word('冰箱还没送到')}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Wed, 25 Nov 2026 09:30:00 +0800\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return headers.encode() + base64.encodebytes(body.encode("gbk")).replace(b"\n", b"\r\n")


def big5_html_with_attachment() -> bytes:
    mime = MIMEMultipart()
    mime["Subject"] = Header("發票問題", "big5").encode()
    mime["From"] = "chen@example.tw"
    mime["Message-ID"] = "<invoice-9@example.tw>"
    html = (
        "<html><head><style>p{color:red}</style></head>"
        "<body><p>我的發票<b>抬頭</b>錯了</p><p>請幫忙更正</p></body></html>"
    )
    mime.attach(MIMEText(html.encode("big5"), "html", "big5"))
    attachment = MIMEApplication(b"%PDF-1.4 fake invoice", Name="發票.pdf")
    attachment.add_header("Content-Disposition", "attachment", filename=("gb18030", "", "发票.pdf"))
    mime.attach(attachment)
    return mime.as_bytes()


def post_email(client, raw: bytes, **headers):
    """Deliver as the relay does; an accepted mail is drained as the worker would."""
    response = client.post(URL, data=raw, content_type="message/rfc822", **(headers or signed_headers(raw)))
    drain()
    return response


def test_chinese_email_is_decoded_stripped_and_analysed(client, db, commit):
    with commit():
        response = post_email(client, gb2312_complaint())

    assert response.status_code == 202
    message = Message.objects.get()
    assert message.body == "你好，我是王喆，订单 20261101 的冰箱还没送到，已经等了十天了！"
    assert "写道" in message.raw_payload["text"]
    conversation = message.conversation
    assert conversation.subject == "冰箱还没送到"
    assert conversation.customer.display_name == "王喆"
    assert conversation.customer.identities.get().external_id == "wangzhe@mail.example.cn"
    payload = InboundPayload.objects.get()
    assert bytes(payload.raw) == gb2312_complaint() and payload.status == PayloadStatus.PROCESSED
    run_queued_tasks()
    assert Insight.objects.filter(message=message).exists()


def test_big5_html_mail_becomes_text_and_keeps_its_attachment(client, db):
    assert post_email(client, big5_html_with_attachment()).status_code == 202

    message = Message.objects.get()
    assert message.body == "我的發票抬頭錯了\n\n請幫忙更正"
    assert message.conversation.subject == "發票問題"
    attachment = Attachment.objects.get(message=message)
    assert attachment.filename == "发票.pdf"
    assert attachment.file.read() == b"%PDF-1.4 fake invoice"


def test_the_same_message_id_delivered_twice_is_stored_once(client, db):
    raw = gb2312_complaint()
    first = post_email(client, raw).json()
    second = post_email(client, raw).json()

    assert first["payload_id"] != second["payload_id"]
    assert Message.objects.count() == 1
    assert InboundPayload.objects.count() == 2
    assert set(InboundPayload.objects.values_list("message", flat=True)) == {Message.objects.get().pk}


def test_unsigned_oversized_and_malformed_mail_get_clear_4xx_and_later_mail_still_arrives(
    client, db, settings, caplog
):
    raw = gb2312_complaint()
    assert client.post(URL, data=raw, content_type="message/rfc822").status_code == 401
    bad = signed_headers(raw, secret="wrong")
    assert post_email(client, raw, **bad).status_code == 401
    stale = signed_headers(raw, timestamp=1_000_000)
    assert post_email(client, raw, **stale).status_code == 401
    settings.DABAI_MAX_PAYLOAD_BYTES = 100
    assert post_email(client, raw).status_code == 413
    settings.DABAI_MAX_PAYLOAD_BYTES = 10_000_000
    no_sender = b"Subject: hi\r\n\r\nno from header"
    response = post_email(client, no_sender)
    assert response.status_code == 400 and "From" in response.json()["error"]
    assert InboundPayload.objects.get(status=PayloadStatus.REJECTED).raw == no_sender
    assert "missing or invalid signature" in caplog.text

    assert post_email(client, raw).status_code == 202
    assert Message.objects.count() == 1


def test_customer_reply_threads_by_in_reply_to_even_with_a_new_subject(client, db, agent, smtp_sink, commit):
    post_email(client, gb2312_complaint())
    conversation = Conversation.objects.get()
    with commit():
        reply = post_reply(conversation, agent, "王先生您好，冰箱明天上午送达。")
    run_queued_tasks()

    sent = email.message_from_bytes(smtp_sink.messages[0]["data"])
    assert smtp_sink.messages[0]["to"] == ["wangzhe@mail.example.cn"]
    assert sent["In-Reply-To"] == "<order-1@mail.example.cn>"
    assert "<order-1@mail.example.cn>" in sent["References"]
    assert str(email.header.make_header(email.header.decode_header(sent["Subject"]))) == "Re: 冰箱还没送到"
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT

    answer = MIMEText("好的，谢谢！", "plain", "utf-8")
    answer["From"] = "wangzhe@mail.example.cn"
    answer["Subject"] = "换个标题"
    answer["Message-ID"] = "<order-2@mail.example.cn>"
    answer["In-Reply-To"] = sent["Message-ID"]
    post_email(client, answer.as_bytes())
    assert Message.objects.get(external_id="<order-2@mail.example.cn>").conversation == conversation


def test_without_headers_mail_threads_by_subject_and_customer(client, db):
    post_email(client, gb2312_complaint("<a@x>"))
    follow_up = MIMEText("还是没有送到", "plain", "utf-8")
    follow_up["From"] = "wangzhe@mail.example.cn"
    follow_up["Subject"] = "回复：冰箱还没送到"
    follow_up["Message-ID"] = "<b@x>"
    post_email(client, follow_up.as_bytes())

    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().message_count == 2


def test_smtp_failure_is_retried_then_shown_as_failed(client, db, agent, settings, commit):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    post_email(client, gb2312_complaint())
    with commit():
        reply = post_reply(Conversation.objects.get(), agent, "您好")
    run_queued_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.QUEUED
    assert reply.delivery.attempts == 1 and reply.delivery.last_error

    for _ in range(6):
        run_queued_tasks(include_future=True)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert reply.delivery.attempts == 6


@pytest.fixture
def mailbox(dovecot, settings):
    settings.DABAI_IMAP_HOST = "127.0.0.1"
    settings.DABAI_IMAP_PORT = dovecot.port
    settings.DABAI_IMAP_USER = dovecot.user
    settings.DABAI_IMAP_PASSWORD = dovecot.password
    settings.DABAI_IMAP_SSL = "0"
    imap = imaplib.IMAP4("127.0.0.1", dovecot.port)
    imap.login(dovecot.user, dovecot.password)
    imap.select("INBOX")
    imap.store("1:*", "+FLAGS", "(\\Deleted)") if imap.search(None, "ALL")[1][0] else None
    imap.expunge()
    yield imap
    imap.logout()


def test_imap_poll_stores_each_mail_once_and_skips_bad_ones(db, mailbox):

    for raw in (gb2312_complaint(), b"Subject: broken\r\n\r\nno sender", big5_html_with_attachment()):
        mailbox.append("INBOX", None, None, raw)

    assert poll_imap(conf.imap()) == 3
    drain()
    assert Message.objects.count() == 2
    assert InboundPayload.objects.filter(status=PayloadStatus.REJECTED).count() == 1
    mailbox.noop()
    assert mailbox.search(None, "UNSEEN")[1] == [b""]

    mailbox.append("INBOX", None, None, gb2312_complaint("<order-3@mail.example.cn>"))
    assert poll_imap(conf.imap()) == 1
    drain()
    assert Message.objects.count() == 3
    assert Customer.objects.filter(identities__external_id="wangzhe@mail.example.cn").count() == 1


def test_poll_task_reads_the_mailbox_and_schedules_itself(db, mailbox):

    mailbox.append("INBOX", None, None, gb2312_complaint())
    poll_mailbox.enqueue()
    assert run_queued_tasks() >= 1
    drain()
    assert Message.objects.count() == 1

    assert DBTaskResult.objects.filter(task_path__endswith="poll_mailbox", status="READY").count() == 1


# Header tricks of the outside probe (issue #12, Low 12).


def test_a_crlf_hidden_in_an_encoded_from_name_cannot_choose_the_customer(client, db):
    for index, name in enumerate(
        [
            "=?utf-8?q?v@evil.test=0D=0A?=",
            "=?utf-8?b?dkBldmlsLnRlc3QNCg==?=",
            "=?utf-8?q?x=0D=0A<v@evil.test>?=",
        ]
    ):
        raw = (
            f"From: {name} <real@example.com>\r\nSubject: hi\r\nMessage-ID: <spoof-{index}@x>\r\n\r\n你好"
        ).encode()
        assert post_email(client, raw).status_code == 202
    assert not Customer.objects.filter(identities__external_id__contains="evil").exists()
    customer = Customer.objects.get()
    assert customer.identities.get().external_id == "real@example.com"
    assert "\r" not in customer.display_name and "\n" not in customer.display_name


def test_raw_utf8_headers_are_read_as_utf8(client, db):
    raw = (
        "From: 张三 <zhang@example.cn>\r\nSubject: 发票开错了\r\nMessage-ID: <raw8@x>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n请重开发票"
    ).encode()
    assert post_email(client, raw).status_code == 202
    conversation = Conversation.objects.get()
    assert conversation.subject == "发票开错了"
    assert conversation.customer.display_name == "张三"


def test_line_breaks_never_reach_a_subject(client, db):
    raw = (
        "From: li@example.cn\r\nSubject: =?utf-8?q?=E8=AE=A2=E5=8D=95=0D=0ABcc:_x@evil.test?=\r\n"
        "Message-ID: <crlf@x>\r\n\r\n你好"
    ).encode()
    assert post_email(client, raw).status_code == 202
    subject = Conversation.objects.get().subject
    assert "\r" not in subject and "\n" not in subject


def test_a_reply_to_a_subject_with_line_breaks_is_still_sent(client, db, agent, smtp_sink, commit):
    post_email(client, gb2312_complaint())
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(subject="冰箱\r\nBcc: x@evil.test")
    conversation.refresh_from_db()

    EmailHeader.objects.update(subject="冰箱\r\nBcc: x@evil.test")
    with commit():
        reply = post_reply(conversation, agent, "您好")
    run_queued_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    sent = email.message_from_bytes(smtp_sink.messages[0]["data"])
    assert sent["Bcc"] is None
    assert smtp_sink.messages[0]["to"] == ["wangzhe@mail.example.cn"]


def test_a_reply_drained_in_the_same_batch_as_its_original_joins_its_thread_with_attachments(client, db):
    original = big5_html_with_attachment()
    answer = MIMEMultipart()
    answer["From"] = "chen@example.tw"
    answer["Subject"] = "补充材料"
    answer["Message-ID"] = "<invoice-10@example.tw>"
    answer["In-Reply-To"] = "<invoice-9@example.tw>"
    answer.attach(MIMEText("附上新的发票照片", "plain", "utf-8"))
    answer.attach(MIMEApplication(b"\x89PNG fake", Name="photo.png"))
    for raw in (original, answer.as_bytes()):
        response = client.post(URL, data=raw, content_type="message/rfc822", **signed_headers(raw))
        assert response.status_code == 202
    assert not Message.objects.exists(), "the door only stores the raw mail"

    drain()

    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().message_count == 2
    names = sorted(Attachment.objects.values_list("filename", flat=True))
    assert names == ["photo.png", "发票.pdf"]
    reply = Message.objects.get(external_id="<invoice-10@example.tw>")
    assert reply.email_header.in_reply_to == "<invoice-9@example.tw>"
    assert set(InboundPayload.objects.values_list("status", flat=True)) == {PayloadStatus.PROCESSED}


def mail(sender: str, subject: str, message_id: str, text: str, **headers: str) -> bytes:
    mime = MIMEMultipart()
    mime["From"], mime["Subject"], mime["Message-ID"] = sender, subject, message_id
    for name, value in headers.items():
        mime[name.replace("_", "-")] = value
    mime.attach(MIMEText(text, "plain", "utf-8"))
    mime.attach(MIMEApplication(f"scan of {message_id}".encode(), Name="scan.pdf"))
    return mime.as_bytes()


def test_one_drained_batch_threads_every_mail_as_if_each_came_alone(client, db):
    """Senders and threads are read for the whole batch at once; each mail still finds its own thread."""
    stored = [
        mail("li@example.cn", "宽带断了", "<li-1@x>", "宽带又断了"),
        mail("zhao@example.cn", "发票抬头", "<zhao-1@x>", "发票抬头错了"),
        mail("qian@example.cn", "退款", "<qian-1@x>", "退款还没到"),
    ]
    for raw in stored:
        post_email(client, raw)
    first = {m.external_id: m.conversation for m in Message.objects.all()}
    batch = [
        mail("li@example.cn", "换个标题", "<li-2@x>", "师傅还没来", In_Reply_To="<li-1@x>"),
        mail("zhao@example.cn", "还是发票", "<zhao-2@x>", "请尽快", References="<nobody@x> <zhao-1@x>"),
        mail("qian@example.cn", "回复：退款", "<qian-2@x>", "一周了"),
        mail("sun@example.cn", "退款", "<sun-1@x>", "我也要退款"),  # same subject, another customer
        mail("zhou@example.cn", "新问题", "<zhou-1@x>", "第一次写信"),
    ]
    for raw in batch:
        assert (
            client.post(URL, data=raw, content_type="message/rfc822", **signed_headers(raw)).status_code
            == 202
        )
    drain()

    thread = {m.external_id: m.conversation for m in Message.objects.all()}
    assert thread["<li-2@x>"] == first["<li-1@x>"]
    assert thread["<zhao-2@x>"] == first["<zhao-1@x>"]
    assert thread["<qian-2@x>"] == first["<qian-1@x>"]
    assert thread["<sun-1@x>"] not in first.values()
    assert thread["<zhou-1@x>"] not in first.values()
    assert Conversation.objects.count() == 5
    assert Customer.objects.count() == 5
    assert Attachment.objects.count() == 8, "every mail keeps its attachment"
    assert EmailHeader.objects.get(message__external_id="<zhao-2@x>").references == "<nobody@x> <zhao-1@x>"
    assert set(InboundPayload.objects.values_list("status", flat=True)) == {PayloadStatus.PROCESSED}


def test_parsing_a_batch_of_mail_reads_the_database_a_fixed_number_of_times(db, django_assert_num_queries):
    """Two mails or twelve, from known senders, some answering known threads: the same two queries."""
    from dabai.channels.email import adapter

    def payloads(count: int, **headers: str) -> list[InboundPayload]:
        raws = [
            mail(f"u{i}@example.cn", f"问题 {i}", f"<q{count}-{i}@x>", "在吗", **headers)
            for i in range(count)
        ]
        return [InboundPayload.objects.create(channel="email", source="webhook", raw=raw) for raw in raws]

    adapter.parse_batch(payloads(12))  # the senders become known customers
    two, twelve = payloads(2, In_Reply_To="<12-0@x>"), payloads(12, In_Reply_To="<12-1@x>")
    with django_assert_num_queries(3):  # the senders, the Message-IDs, the open threads
        adapter.parse_batch(two)
    with django_assert_num_queries(3):
        adapter.parse_batch(twelve)
