"""Departments read real cases with every variant of personal data masked: the text has left the desk."""

from django.urls import reverse

from dabai.conversations.models import Direction, Status
from dabai.insights.services import rebuild_case_index
from dabai.testing import ConversationFactory, MessageFactory

VARIANTS = {
    "138 12345678": "138 ****5678",
    "138.1234.5678": "138.****.5678",
    "110101 19900307 4514": "****** ******** 4514",
    "110105194912310021": "**************0021",  # the check digit should be X
    "6222 0212 3456 7890 128": "**** **** **** ***0 128",
}


def test_case_library_masks_spaced_dotted_and_invalid_personal_numbers(db, department_member, client_for):
    conversation = ConversationFactory(status=Status.RESOLVED)
    for typed in VARIANTS:
        MessageFactory(conversation=conversation, body=f"我的号码 {typed} 请记下")
    answer = "您的订单号20240307123456789已发货"
    MessageFactory(conversation=conversation, direction=Direction.OUTBOUND, body=answer)
    MessageFactory(conversation=conversation, body="电话 139.1234.5678")
    rebuild_case_index()
    client = client_for(department_member)
    case = client.get(reverse("insights:case", args=[conversation.pk])).content.decode()
    listing = client.get(reverse("insights:cases")).content.decode()
    for typed, masked in VARIANTS.items():
        assert typed not in case
        assert f"我的号码 {masked} 请记下" in case
    assert "订单号20240307123456789" in case  # order numbers stay readable
    assert "138 12345678" not in listing and "138 ****5678" in listing  # the first message is the summary


def test_case_library_pages_survive_odd_page_numbers(db, department_member, client_for):
    client = client_for(department_member)
    for page in ("²", "9" * 5000, "-1", "abc"):
        assert client.get(reverse("insights:cases"), {"page": page}).status_code == 200
