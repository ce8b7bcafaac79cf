"""Who a customer is stays masked on every page of the desk; showing it is a deliberate, audited click."""

import pytest
from django.urls import reverse

from dabai.accounts.models import AuditEntry
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity
from dabai.customers.selectors import mask_handle, shown_name
from dabai.customers.services import resolve_customer
from dabai.testing import ConversationFactory, CustomerFactory

PHONE, EMAIL = "13812345678", "zhang.san@example.com"
OPENID, WEIBO = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "5512345678"


@pytest.fixture
def known_customer(db, hotline):
    customer = CustomerFactory(display_name="张先生")
    for channel, external_id, handle in (
        (Channel.SMS, PHONE, PHONE),
        (Channel.EMAIL, EMAIL, EMAIL),
        (Channel.WECHAT, OPENID, ""),
        (Channel.WEIBO, WEIBO, "@zhangsan1988"),
    ):
        ChannelIdentity.objects.create(
            customer=customer, channel=channel, external_id=external_id, handle=handle
        )
    conversation = ConversationFactory(customer=customer, team=hotline)
    return customer, conversation


def assert_identities_hidden(html: str) -> None:
    for raw in (PHONE, EMAIL, OPENID, "zhangsan1988"):
        assert raw not in html, raw


def test_agent_sees_a_profile_with_masked_identities(known_customer, agent, client_for):
    customer, _ = known_customer
    html = client_for(agent).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert_identities_hidden(html)
    assert "138****5678" in html and "z***@example.com" in html
    assert 'data-testid="reveal-identities"' in html


def test_revealing_identities_shows_them_and_writes_the_audit_log(known_customer, agent, client_for):
    customer, _ = known_customer
    client = client_for(agent)
    response = client.post(reverse("customers:reveal", args=[customer.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    for raw in (PHONE, EMAIL, OPENID, "@zhangsan1988"):
        assert raw in html
    entry = AuditEntry.objects.get(action="customer.reveal_identities")
    assert entry.actor == agent
    assert entry.object_id == str(customer.pk)


def test_reveal_is_a_post_for_who_may_see_the_customer(known_customer, other_agent, agent, client_for):
    customer, _ = known_customer
    url = reverse("customers:reveal", args=[customer.pk])
    assert client_for(agent).get(url).status_code == 405
    assert client_for(other_agent).post(url).status_code == 404  # not one conversation of theirs
    assert client_for(agent).post(reverse("customers:reveal", args=[999999])).status_code == 404
    assert not AuditEntry.objects.filter(action="customer.reveal_identities").exists()


def test_conversation_panel_masks_every_identity_and_offers_the_reveal(known_customer, agent, client_for):
    _, conversation = known_customer
    html = client_for(agent).get(reverse("desk:detail", args=[conversation.pk])).content.decode()
    assert_identities_hidden(html)
    assert 'data-testid="reveal-identities"' in html


def test_a_name_that_is_a_channel_id_is_masked_on_every_desk_page(db, hotline, agent, client_for):
    customer = resolve_customer(Channel.SMS, PHONE, handle=PHONE)  # named after the number
    wechat = resolve_customer(Channel.WECHAT, OPENID)  # named after the openid
    first = ConversationFactory(customer=customer, team=hotline)
    ConversationFactory(customer=wechat, team=hotline)
    client = client_for(agent)
    for url in (
        reverse("desk:inbox"),
        reverse("desk:inbox") + "?q=138",
        reverse("customers:detail", args=[customer.pk]),
        reverse("desk:detail", args=[first.pk]),
    ):
        html = client.get(url).content.decode()
        assert PHONE not in html and OPENID not in html, url


def test_merge_messages_and_undo_forms_mask_the_merged_customer(db, supervisor, client_for):
    target = CustomerFactory(display_name="李女士")
    source = resolve_customer(Channel.SMS, "13912345678", handle="13912345678")
    client = client_for(supervisor)
    response = client.post(reverse("customers:merge", args=[target.pk]), {"source": source.pk}, follow=True)
    html = response.content.decode()
    assert "13912345678" not in html and "139****5678" in html


@pytest.mark.parametrize("source", ["²", "9" * 30, "-1", "abc"])
def test_merge_with_an_odd_customer_number_is_a_clean_message(db, supervisor, client_for, source):
    target = CustomerFactory()
    response = client_for(supervisor).post(reverse("customers:merge", args=[target.pk]), {"source": source})
    assert response.status_code == 302


def test_masking_rules_for_handles_and_names():
    assert mask_handle(PHONE) == "138****5678"
    assert mask_handle(EMAIL) == "z***@example.com"
    assert mask_handle(OPENID) == "oU************************6o"
    assert mask_handle("@张三的微博") == "@****博"
    assert shown_name("张先生") == "张先生"
    assert shown_name("访客 AB12CD") == "访客 AB12CD"
    assert shown_name(WEIBO) == "55******78"
    assert shown_name(PHONE) == "138****5678"


def test_the_reveal_button_speaks_chinese_by_default(known_customer, agent, client_for):
    customer, _ = known_customer
    html = client_for(agent).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "查看个人信息" in html
