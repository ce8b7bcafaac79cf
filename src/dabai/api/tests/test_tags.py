"""Tags through the API: the desk's tag service, audited with the token's name, shown on the conversation."""

import pytest

from dabai.accounts.models import AuditEntry
from dabai.conversations import services as conversation_services
from dabai.testing import ConversationFactory

pytestmark = pytest.mark.django_db


def test_tags_are_added_removed_and_shown_on_the_conversation(api_for):
    conversation = ConversationFactory()
    conversation_services.tag(conversation, add=["回访"], actor=None)
    client = api_for("write:conversations", "read:conversations", name="CRM")
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/tags", {"add": [" 退款 ", "投诉升级"], "remove": ["回访"]}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"tags": ["投诉升级", "退款"]}
    assert client.get(f"/api/v1/conversations/{conversation.pk}").json()["tags"] == ["投诉升级", "退款"]
    listed = client.get("/api/v1/conversations", {"status": "any"}).json()["items"]
    assert [c["tags"] for c in listed if c["id"] == conversation.pk] == [["投诉升级", "退款"]]
    assert client.get(f"/api/v1/conversations/{conversation.pk}/tags").json() == {
        "tags": ["投诉升级", "退款"]
    }
    api_entry = AuditEntry.objects.get(action="api.conversation.tags")
    assert api_entry.detail["token"] == "CRM"
    assert api_entry.detail["added"] == ["投诉升级", "退款"] and api_entry.detail["removed"] == ["回访"]
    desk_entry = AuditEntry.objects.filter(action="conversation.tags").latest("pk")
    assert desk_entry.actor == client.api_token.service_user


def test_put_replaces_the_whole_set_and_an_unchanged_set_writes_no_audit(api_for):
    conversation = ConversationFactory()
    conversation_services.tag(conversation, add=["a", "b"], actor=None)
    client = api_for("write:conversations")
    response = client.client.put(
        f"/api/v1/conversations/{conversation.pk}/tags",
        '{"tags": ["b", "c"]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert response.json() == {"tags": ["b", "c"]}
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["b", "c"]
    client.client.put(
        f"/api/v1/conversations/{conversation.pk}/tags",
        '{"tags": ["c", "b"]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert AuditEntry.objects.filter(action="api.conversation.tags").count() == 1


def test_tags_need_the_write_scope_and_blank_or_long_names_are_refused(api_for):
    conversation = ConversationFactory()
    reader = api_for("read:conversations")
    response = reader.post(f"/api/v1/conversations/{conversation.pk}/tags", {"add": ["x"]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    writer = api_for("write:conversations")
    response = writer.post(f"/api/v1/conversations/{conversation.pk}/tags", {"add": ["ok", "  "]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "add.1"
    response = writer.post(f"/api/v1/conversations/{conversation.pk}/tags", {"add": ["x" * 51]})
    assert response.status_code == 422
    assert not conversation.tags.exists()
