"""Uploaded files are served in production, but only to whoever may see what they belong to."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from dabai.channels.models import Attachment
from dabai.conversations.models import Message
from dabai.testing import ConversationFactory, MessageFactory

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = False


def _attach(message: Message, filename: str, data: bytes, content_type: str) -> Attachment:
    attachment = Attachment(message=message, filename=filename, content_type=content_type, size=len(data))
    attachment.file.save(filename, ContentFile(data), save=True)
    return attachment


@pytest.fixture
def email_message(db, hotline) -> Message:
    conversation = ConversationFactory(team=hotline, channel="email", subject="发票")
    return MessageFactory(conversation=conversation, body="附件是发票照片")


def test_email_attachment_is_served_to_agents_who_see_the_conversation(email_message, agent, client_for):
    attachment = _attach(email_message, "发票.png", PNG, "image/png")
    response = client_for(agent).get(attachment.file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_email_attachment_is_404_to_everyone_else(
    client, email_message, other_agent, department_member, customer_user, client_for
):
    url = _attach(email_message, "发票.png", PNG, "image/png").file.url
    assert client.get(url).status_code == 404
    for user in (other_agent, department_member, customer_user):
        assert client_for(user).get(url).status_code == 404


def test_html_from_an_email_is_downloaded_never_rendered(email_message, agent, client_for):
    attachment = _attach(email_message, "invoice.html", HTML, "text/html")
    response = client_for(agent).get(attachment.file.url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_image_named_like_a_page_is_not_shown_inline(email_message, agent, client_for):
    attachment = _attach(email_message, "photo.png", HTML, "image/png")
    response = client_for(agent).get(attachment.file.url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_behind_nginx_the_checked_file_is_handed_over_with_x_accel_redirect(
    settings, email_message, agent, client_for, client
):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    attachment = _attach(email_message, "photo.png", PNG, "image/png")
    response = client_for(agent).get(attachment.file.url)
    assert response["X-Accel-Redirect"] == f"/protected-media/{attachment.file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "X-Accel-Redirect" not in client.get(attachment.file.url)


def test_the_desk_thread_links_email_attachments(email_message, agent, client_for):
    attachment = _attach(email_message, "发票.png", PNG, "image/png")
    page = client_for(agent).get(reverse("desk:detail", args=[email_message.conversation_id]))
    html = page.content.decode()
    assert f'href="{attachment.file.url}"' in html
    assert "发票.png" in html


@pytest.mark.parametrize(
    "path",
    [
        "/media/channels/attachments/../../../etc/passwd",
        "/media/channels/attachments/%2e%2e/%2e%2e/etc/passwd",
        "/media/channels/attachments/2026/01/%00.png",
        "/media/channels/attachments/2026\\01\\x.png",
        "/media/channels/attachments/2026/01/missing.png",
    ],
)
def test_paths_that_leave_the_media_folder_or_name_nothing_are_404(email_message, agent, client_for, path):
    assert client_for(agent).get(path).status_code == 404
