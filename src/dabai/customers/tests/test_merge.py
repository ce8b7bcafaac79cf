"""Agents' supervisors fold duplicate customers together, and can undo it; both are audited."""

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Conversation
from dabai.core.choices import Channel
from dabai.customers.models import Customer, CustomerMerge
from dabai.customers.services import resolve_customer
from dabai.testing import ConversationFactory


def test_merge_moves_history_and_handles_and_unmerge_puts_them_back(client_for, supervisor):
    real = resolve_customer(Channel.PHONE, "13800138000", display_name="李女士")
    duplicate = resolve_customer(Channel.WECHAT, "openid-li", display_name="微信用户")
    ConversationFactory(customer=real)
    chat = ConversationFactory(customer=duplicate, channel=Channel.WECHAT)
    client = client_for(supervisor)

    response = client.post(f"/customers/{real.pk}/merge/", {"source": duplicate.pk})
    assert response.status_code == 302
    assert Conversation.objects.filter(customer=real).count() == 2
    assert resolve_customer(Channel.WECHAT, "openid-li") == real
    duplicate.refresh_from_db()
    assert duplicate.merged_into == real
    assert AuditEntry.objects.filter(action="customer.merge", actor=supervisor).exists()
    assert "微信用户" in client.get(f"/customers/{real.pk}/").content.decode()

    merge = CustomerMerge.objects.get()
    client.post(f"/customers/merges/{merge.pk}/undo/")
    chat.refresh_from_db()
    assert chat.customer == duplicate
    assert resolve_customer(Channel.WECHAT, "openid-li") == duplicate
    assert Customer.objects.get(pk=duplicate.pk).merged_into is None
    assert AuditEntry.objects.filter(action="customer.unmerge").exists()


def test_agents_cannot_merge_customers(client_for, agent):
    a = resolve_customer(Channel.SMS, "13900000001")
    b = resolve_customer(Channel.SMS, "13900000002")
    assert client_for(agent).post(f"/customers/{a.pk}/merge/", {"source": b.pk}).status_code == 403
    assert not CustomerMerge.objects.exists()


def test_a_customer_cannot_be_merged_into_itself(client_for, supervisor):
    a = resolve_customer(Channel.SMS, "13900000001")
    client_for(supervisor).post(f"/customers/{a.pk}/merge/", {"source": a.pk})
    assert not CustomerMerge.objects.exists()
