"""``{% probe_banner %}``: the failing channel probes, for the top of any supervisor's quality page."""

from django import template

from dabai.accounts.permissions import is_supervisor
from dabai.quality.probes.overview import failing_labels

register = template.Library()


@register.inclusion_tag("quality/_probe_banner.html", takes_context=True)
def probe_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"failing_labels": failing_labels() if user is not None and is_supervisor(user) else []}
