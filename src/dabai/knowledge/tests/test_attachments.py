"""Help-centre attachments: only safe kinds (checked by content), never rendered as HTML, public only when
their article is published and a publisher has let them through."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dabai.accounts.models import AuditEntry
from dabai.knowledge.models import Article, ArticleStatus, Attachment
from dabai.knowledge.services import save_article

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def published(db, supervisor) -> Article:
    return save_article(actor=supervisor, title="发票样张", body="见附件", status=ArticleStatus.PUBLISHED)


def _upload(client, article: Article, filename: str, data: bytes, content_type: str = "image/png"):
    upload = SimpleUploadedFile(filename, data, content_type=content_type)
    return client.post(
        reverse("knowledge:attachment_add", args=[article.pk]), {"name": "样张", "file": upload}, follow=True
    )


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("evil.html", HTML),
        ("evil.htm", HTML),
        ("evil.png", HTML),
        ("evil.pdf", HTML),
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("evil.docx", _zip({"index.html": HTML})),
        ("evil.exe", b"MZ\x90\x00"),
        ("noextension", PDF),
    ],
)
def test_unsafe_or_disguised_files_are_refused(published, supervisor, client_for, filename, data):
    response = _upload(client_for(supervisor), published, filename, data, content_type="text/html")
    assert not Attachment.objects.exists()
    assert response.status_code == 200
    assert "attachment-error" in response.content.decode()


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("sample.png", PNG, "image/png"),
        ("sample.pdf", PDF, "application/pdf"),
        ("form.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("notes.txt", "退款说明\n".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_images_pdf_office_and_text_are_accepted_with_the_sniffed_type(
    published, supervisor, client_for, filename, data, content_type
):
    _upload(client_for(supervisor), published, filename, data, content_type="text/html")
    attachment = Attachment.objects.get()
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.file.name.startswith("knowledge/") and not attachment.file.name.endswith(".html")


def test_oversized_attachments_are_refused(published, supervisor, client_for, settings):
    settings.KNOWLEDGE_MAX_ATTACHMENT_BYTES = 1000
    _upload(client_for(supervisor), published, "big.pdf", PDF + b"0" * 2000)
    assert not Attachment.objects.exists()


def test_a_pdf_is_downloaded_and_an_image_shown_never_sniffed(client, published, supervisor, client_for):
    _upload(client_for(supervisor), published, "sample.pdf", PDF)
    _upload(client_for(supervisor), published, "sample.png", PNG)
    pdf, png = (Attachment.objects.get(file__endswith=ext) for ext in (".pdf", ".png"))
    page = client.get(reverse("help:article", args=[published.slug])).content.decode()
    assert pdf.file.url in page and png.file.url in page

    response = client.get(pdf.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF

    response = client.get(png.file.url)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")


def test_html_stored_before_the_allow_list_is_never_served_as_html(client, published):
    legacy = Attachment(article=published, name="旧附件")
    legacy.file.save("old.html", ContentFile(HTML), save=True)
    response = client.get(legacy.file.url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_attachments_of_unpublished_articles_are_for_the_desk_only(client, agent, client_for):
    draft = save_article(actor=agent, title="内部草稿", body="x")
    _upload(client_for(agent), draft, "sample.pdf", PDF)
    url = Attachment.objects.get().file.url
    assert client.get(url).status_code == 404
    assert client_for(agent).get(url).status_code == 200


def test_attachments_disappear_when_their_article_is_taken_back(client, published, supervisor, client_for):
    _upload(client_for(supervisor), published, "sample.pdf", PDF)
    url = Attachment.objects.get().file.url
    assert client.get(url).status_code == 200
    client_for(supervisor).post(reverse("knowledge:status", args=[published.pk]), {"status": "draft"})
    assert client.get(url).status_code == 404


def test_agents_attachment_to_a_published_article_waits_for_a_publisher(
    client, published, agent, supervisor, client_for
):
    _upload(client_for(agent), published, "sample.pdf", PDF)
    attachment = Attachment.objects.get()
    assert not attachment.approved
    assert (
        attachment.file.url not in client.get(reverse("help:article", args=[published.slug])).content.decode()
    )
    assert client.get(attachment.file.url).status_code == 404
    assert client_for(agent).get(attachment.file.url).status_code == 200

    assert (
        client_for(agent)
        .post(reverse("knowledge:attachment_decide", args=[attachment.pk]), {"decision": "approve"})
        .status_code
        == 403
    )
    client_for(supervisor).post(
        reverse("knowledge:attachment_decide", args=[attachment.pk]), {"decision": "approve"}
    )
    assert client.get(attachment.file.url).status_code == 200
    assert AuditEntry.objects.filter(actor=supervisor, action="knowledge.attachment.approve").exists()


def test_publisher_removes_an_attachment(client, published, supervisor, client_for):
    _upload(client_for(supervisor), published, "sample.pdf", PDF)
    attachment = Attachment.objects.get()
    client_for(supervisor).post(
        reverse("knowledge:attachment_decide", args=[attachment.pk]), {"decision": "remove"}
    )
    assert not Attachment.objects.exists()
    assert client.get(attachment.file.url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/knowledge/../../config/settings.py",
        "/media/knowledge/%2e%2e/%2e%2e/etc/passwd",
        "/media/knowledge/..%2f..%2fetc/passwd",
        "/media/knowledge//etc/passwd",
        "/media/knowledge/2026/01/missing.pdf",
        "/media/channels/imports/2026/01/export.csv",
        "/media/anything.txt",
    ],
)
def test_media_paths_without_a_readable_record_are_404(client, published, supervisor, client_for, path):
    assert client.get(path).status_code == 404
    assert client_for(supervisor).get(path).status_code == 404


def test_the_admin_shows_attachments_but_takes_uploads_only_through_the_desk(
    published, supervisor, admin_user, client_for
):
    _upload(client_for(supervisor), published, "sample.pdf", PDF)
    page = client_for(admin_user).get(reverse("admin:knowledge_article_change", args=[published.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert Attachment.objects.get().file.name in html
    assert 'name="attachments-0-file"' not in html and "attachments-__prefix__" not in html
