"""How an article is pointed at from outside the help centre: short links and the text agents send."""

import os

from django.conf import settings
from django.urls import reverse

from dabai.knowledge.models import Article


def short_url(article: Article) -> str:
    """The article's short public link (``/help/s/<base36 id>``), absolute when a public URL is configured."""
    path = reverse("help:short", kwargs={"code": _base36(article.pk)})
    base = getattr(settings, "DABAI_PUBLIC_URL", "") or os.environ.get("DABAI_PUBLIC_URL", "")
    return base.rstrip("/") + path


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def article_message(article: Article) -> str:
    """What an agent (or the SMS) sends: title, summary and the short link."""
    summary = article.summary or article.body[:120]
    return f"【{article.title}】{summary} {short_url(article)}"
