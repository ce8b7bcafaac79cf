"""Template messages (模板消息): what may still reach a follower outside WeChat's 48-hour window.

WeChat lets an Official Account send free-form customer-service messages only within 48 hours of the
follower's last message; after that only a template message approved for the account goes out, with the
template's fields filled in (``cgi-bin/message/template/send``). Which outbound messages are template
messages is decided above channels (outreach's campaigns and incident notices), so the apps that decide
register a *template provider* here: given a stored outbound message, it returns the template to send it as,
or None for an ordinary customer-service message. The adapter's ``send(message)`` asks before sending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dabai.conversations.models import Message

# The 48-hour customer-service window (客服消息 may be sent only this long after the follower wrote).
SERVICE_WINDOW_HOURS = 48


@dataclass(frozen=True, slots=True)
class TemplateMessage:
    """A template id approved for the account, its fields' values (``first``, ``keyword1``…, ``remark``)
    and the page a tap on it opens (optional)."""

    template_id: str
    data: dict[str, str] = field(default_factory=dict)
    url: str = ""

    def payload(self, openid: str) -> dict:
        """The JSON body of ``cgi-bin/message/template/send``."""
        body: dict = {
            "touser": openid,
            "template_id": self.template_id,
            "data": {key: {"value": value} for key, value in self.data.items()},
        }
        if self.url:
            body["url"] = self.url
        return body


TemplateProvider = Callable[[Message], TemplateMessage | None]
_providers: dict[str, TemplateProvider] = {}


def register(name: str, provider: TemplateProvider) -> None:
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def template_for(message: Message) -> TemplateMessage | None:
    """The template this outbound message goes out as, if an app above made it a template message.

    A provider's failure propagates: the delivery is retried rather than sent as a message WeChat refuses.
    """
    for provider in list(_providers.values()):
        found = provider(message)
        if found is not None:
            return found
    return None
