"""Tags on conversations: added and removed by name, new names created once, each change audited."""

from dabai.accounts.models import AuditEntry
from dabai.conversations import services
from dabai.conversations.models import ConversationTag
from dabai.testing import ConversationFactory


def test_tags_are_added_and_removed_by_name_and_audited(db, agent):
    conversation = ConversationFactory()
    other = ConversationFactory()
    assert services.tag(conversation, add=["退款", " 投诉升级 ", ""], actor=agent) == ["投诉升级", "退款"]
    assert services.tag(other, add=["退款"], actor=agent) == ["退款"]
    assert ConversationTag.objects.filter(name="退款").count() == 1, "one row per name"
    assert services.tag(conversation, remove=["退款"], actor=agent) == ["投诉升级"]
    assert services.tag(conversation, remove=["不存在"], actor=agent) == ["投诉升级"]
    details = list(
        AuditEntry.objects.filter(action="conversation.tags", object_id=str(conversation.pk))
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert details == [
        {"added": ["投诉升级", "退款"], "removed": []},
        {"added": [], "removed": ["退款"]},
    ], "nothing changed, nothing audited"
