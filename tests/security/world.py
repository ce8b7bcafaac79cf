"""A service centre with something to hide from every role, built with `dabai.testing` and services.

hotline (the ``agent``'s team) and online (the ``other_agent``'s team) each have a conversation with a phone
number and an email attachment; the portal customer owns a third one; knowledge has a draft article with a
file, a review draft and a file waiting for approval; plus a complaint, macros, a merge, an import, a filter
model version, a synonym group and audit entries.
"""

from django.core.files.base import ContentFile
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.channels.models import Attachment as MailAttachment
from dabai.channels.models import ImportJob
from dabai.conversations.models import Direction
from dabai.customers.services import merge_customers
from dabai.knowledge.models import ArticleStatus, Category, Synonym
from dabai.knowledge.services import add_attachment, save_article, submit_draft
from dabai.learning.models import FilterModelVersion
from dabai.replies.models import Macro
from dabai.routing.models import ComplaintCase
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
DRAFT_TITLE = "内部草稿不可外传"


def _mail_attachment(message, name: str) -> MailAttachment:
    attachment = MailAttachment(message=message, filename=name, content_type="text/plain", size=5)
    attachment.file.save(name, ContentFile(b"hello"), save=False)
    attachment.save()
    return attachment


def build_world(*, hotline, online, agent, other_agent, supervisor, admin_user, customer_user) -> dict:
    w: dict = {"other_agent": other_agent}
    w["cust_hot"] = CustomerFactory(display_name="热线客户")
    w["cust_online"] = CustomerFactory(display_name="在线客户")
    w["own_customer"] = CustomerFactory(display_name="门户客户", portal_user=customer_user)
    w["conv_hot"] = ConversationFactory(customer=w["cust_hot"], team=hotline)
    w["conv_online"] = ConversationFactory(customer=w["cust_online"], team=online)
    w["own_conv"] = ConversationFactory(customer=w["own_customer"], team=online)
    w["msg_hot"] = MessageFactory(conversation=w["conv_hot"], body="热线：我的手机 13812345678")
    w["msg_online"] = MessageFactory(conversation=w["conv_online"], body="在线：我的手机 13987654321")
    MessageFactory(conversation=w["own_conv"], body="门户里的问题")
    MessageFactory(conversation=w["conv_hot"], direction=Direction.NOTE, body="内部备注", author=agent)
    w["mail_hot"] = _mail_attachment(w["msg_hot"], "hot.txt")
    w["mail_online"] = _mail_attachment(w["msg_online"], "online.txt")

    w["category"] = Category.objects.create(name="内部", slug="internal-only")
    w["draft_article"] = save_article(
        actor=supervisor,
        title=DRAFT_TITLE,
        body="草稿正文",
        category=w["category"],
        status=ArticleStatus.DRAFT,
    )
    w["published"] = save_article(
        actor=supervisor, title="公开文章", body="公开正文", status=ArticleStatus.PUBLISHED
    )
    w["review_draft"] = submit_draft(
        actor=agent, article=w["published"], title="改过的标题", body="改过的正文"
    )
    w["draft_file"] = add_attachment(
        w["draft_article"], name="草稿附件", upload=ContentFile(PNG), filename="a.png", actor=supervisor
    )
    w["pending_file"] = add_attachment(
        w["published"], name="待批附件", upload=ContentFile(PNG), filename="b.png", actor=agent
    )
    assert not w["pending_file"].approved

    now = timezone.now()
    w["complaint"] = ComplaintCase.objects.create(
        conversation=w["conv_online"], customer=w["cust_online"], owner=other_agent, opened_at=now, due_at=now
    )
    w["macro_personal"] = Macro.objects.create(title="私人", body="私人模板", owner=other_agent)
    w["macro_team"] = Macro.objects.create(title="在线组", body="在线组模板", team=online)
    duplicate = CustomerFactory(display_name="重复客户")
    w["merge"] = merge_customers(duplicate, w["cust_online"], actor=supervisor)
    job = ImportJob(name="history.csv", format="csv", created_by=supervisor)
    job.source.save("history.csv", ContentFile(b"conversation\n"), save=False)
    job.save()
    w["import_job"] = job
    w["filter_version"] = FilterModelVersion.objects.create(version="probe", status="candidate")
    w["synonym"] = Synonym.objects.create(words="退款 退钱")
    w["audit"] = AuditEntry.objects.order_by("-pk").first()
    return w
