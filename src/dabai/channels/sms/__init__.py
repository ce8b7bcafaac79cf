"""SMS through a generic HMAC-signed gateway (webhook in, the gateway's send API out).

``sign``, ``normalise_phone``, ``segments`` and ``send_sms`` live in the shared modules (``signing``,
``sanitise``, ``texting``): the hotline uses them too. They are named here as the gateway's own.
"""

from dabai.channels.sanitise import normalise_phone
from dabai.channels.signing import sign
from dabai.channels.sms.adapter import SmsAdapter, adapter, check, is_unsubscribe
from dabai.channels.texting import segments, send_sms

__all__ = [
    "SmsAdapter",
    "adapter",
    "check",
    "is_unsubscribe",
    "normalise_phone",
    "segments",
    "send_sms",
    "sign",
]
