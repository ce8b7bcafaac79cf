"""The one shape every channel has, and the registry of channels: the adapters themselves.

An adapter is one sub-package (``channels/sms/``, ``channels/email/``, …) holding one ``Adapter`` instance:

- ``check(raw, meta)`` is the door's shape check (PayloadError → a 400 and a ``rejected`` row); the HMAC
  signature and the size limit are checked before it by the shared door (``dabai.channels.doors``);
- ``parse(payload) -> list[Inbound]`` turns one stored raw payload into customer messages (none for events),
  run by the drain, which stores them with ``conversations.services.receive_messages``; ``parse_batch`` does
  the same for a batch of payloads (by default one by one);
- ``send(message) -> DeliveryResult`` delivers one agent reply.

Adding a channel is one new sub-package and its line in ``apps.ADAPTERS`` (plus its URL if it has a
webhook: ``doors.webhook(adapter)``); see ``channels/README.md``.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import Model

from dabai.channels import conf
from dabai.channels.models import InboundPayload
from dabai.conversations.models import Message
from dabai.conversations.services import Inbound
from dabai.customers.models import ChannelIdentity


class PayloadError(ValueError):
    """The payload can never be processed (malformed, wrong shape): answered with a 4xx, kept as rejected."""


class PermanentDeliveryError(RuntimeError):
    """A reply that no retry will deliver (unsubscribed, no address): marked failed at once."""


@dataclass(frozen=True)
class Parsed(Inbound):
    """A parsed message plus what its channel keeps beside it once it is stored (email headers and
    attachments, a call record): ``keep(message)`` runs in the same transaction, for new messages only, and
    may return unsaved rows, which are inserted with those of the whole batch (one INSERT per table).

    ``names`` and ``refers`` let one message wait for another of the same batch: a message that refers to a
    name an earlier message of the batch carries (an email answering a mail not stored yet) is parsed again
    in the next batch, when it can find that message's conversation.
    """

    keep: Callable[[Message], Iterable[Model] | None] | None = None
    names: frozenset[str] = frozenset()
    refers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DeliveryResult:
    """A reply handed to the channel: the provider's id(s), shown to agents and used to resume a retry."""

    provider_id: str = ""


class Adapter:
    """Base of every channel adapter; see the module docstring for the contract."""

    channel: ClassVar[str]
    sources: ClassVar[tuple[str, ...]] = ("webhook",)

    def secret(self) -> str:
        """The HMAC secret of this channel's signed webhook ("" means the webhook is closed)."""
        return conf.webhook_secret()

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        """Refuse at the door what can never become a message (PayloadError); the default accepts."""

    def parse(self, payload: InboundPayload) -> list[Inbound]:
        raise NotImplementedError

    def parse_batch(self, payloads: list[InboundPayload]) -> list[list[Inbound]]:
        """Parse several payloads of this channel together (the drain's batch), in order; the default parses
        them one by one. An adapter whose parsing reads the database (email threads) overrides this to read
        for the whole batch at once; if it raises, the drain parses the batch again one payload at a time."""
        return [self.parse(payload) for payload in payloads]

    def send(self, message: Message) -> DeliveryResult:
        raise PermanentDeliveryError(f"replies cannot be sent on {self.channel}")


ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    ADAPTERS[adapter.channel] = adapter
    return adapter


def adapter_for(channel: str) -> Adapter:
    adapter = ADAPTERS.get(channel)
    if adapter is None:
        raise PermanentDeliveryError(f"no adapter for channel {channel}")
    return adapter


def parses(payload: InboundPayload) -> Adapter:
    """The adapter that reads this stored payload (its channel, and a source it declared)."""
    adapter = adapter_for(payload.channel)
    if payload.source not in adapter.sources:
        raise PayloadError(f"{payload.channel} has no source {payload.source!r}")
    return adapter


def customer_address(message: Message, *channels: str) -> str:
    """The newest handle of the conversation's customer on one of ``channels`` (where a reply goes)."""
    identity = (
        ChannelIdentity.objects.filter(customer_id=message.conversation.customer_id, channel__in=channels)
        .order_by("-created_at")
        .first()
    )
    if identity is None:
        raise PermanentDeliveryError(f"the customer has no {'/'.join(channels)} address")
    return identity.external_id
