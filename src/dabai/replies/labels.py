"""Names people read for the filter's labels; the filter speaks in stable English keys."""

from django.utils.translation import gettext_lazy as _

SENTIMENT = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
EMOTION = {
    "anger": _("Angry"),
    "anxiety": _("Anxious"),
    "disappointment": _("Disappointed"),
    "confusion": _("Confused"),
    "satisfaction": _("Satisfied"),
    "gratitude": _("Grateful"),
}
INTENT = {
    "billing": _("Billing"),
    "logistics": _("Delivery"),
    "refund_return": _("Refund or return"),
    "account": _("Account"),
    "product_quality": _("Product quality"),
    "outage": _("Outage"),
    "service_attitude": _("Service attitude"),
    "cancellation": _("Cancellation"),
    "usage_inquiry": _("How-to question"),
    "purchase_inquiry": _("Pre-sales question"),
    "other": _("Other topic"),
}
VOICE = {
    "complaint": _("Complaint"),
    "question": _("Question"),
    "request": _("Request"),
    "suggestion": _("Suggestion"),
    "praise": _("Praise"),
}
URGENCY = {
    "low": _("Low urgency"),
    "normal": _("Normal urgency"),
    "high": _("High urgency"),
    "critical": _("Critical"),
}
SPAM_REASON = {
    "phishing": _("phishing link"),
    "porn": _("adult content"),
    "seo": _("advertising"),
    "scam": _("scam"),
    "gibberish": _("gibberish"),
    "auto_notification": _("automatic notification"),
    "off_topic": _("off topic"),
}
REGISTER = {
    "respectful": _("respectful"),
    "familiar": _("familiar"),
    "inappropriate": _("inappropriate"),
}
PII_KIND = {
    "phone": _("mobile number"),
    "landline": _("landline number"),
    "id_card": _("ID card number"),
    "bank_card": _("bank card number"),
    "email": _("email address"),
    "name": _("name"),
    "address": _("address"),
}
TREND = {
    "improving": _("Mood improving"),
    "worsening": _("Mood worsening"),
    "steady": _("Mood steady"),
    "unknown": _("Mood not read yet"),
}
DRAFT_REASON = {
    "public": _("public post: details moved to a private message"),
    "elderly": _("elderly customer: plain words"),
    "mood:angry": _("angry: soothing first"),
    "mood:anxious": _("anxious: reassurance first"),
    "mood:unhappy": _("unhappy: apology first"),
    "mood:praise": _("praise: brief thanks"),
    "register:respectful": _("respectful address answered respectfully"),
    "register:familiar": _("familiar address answered warmly"),
    "register:inappropriate": _("improper address answered neutrally"),
    "channel:email": _("email: formal and complete"),
    "channel:chat": _("chat: warm and short"),
    "channel:wechat": _("WeChat: warm and short"),
    "channel:sms": _("SMS: at most 70 characters per segment"),
    "channel:phone": _("hotline: spoken script"),
    "channel:weibo": _("Weibo"),
}


def label(mapping: dict, key: str | None) -> str:
    """The readable name of *key*, or the key itself for labels the filter adds later."""
    if not key:
        return ""
    return str(mapping.get(key, key))
