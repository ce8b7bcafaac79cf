"""The supervisors' page of the channel probes (智能拨测): is every channel getting customers through?"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dabai.accounts.permissions import require_supervisor
from dabai.quality import conf
from dabai.quality.probes.overview import overview


@login_required
@require_GET
def probes(request: HttpRequest) -> HttpResponse:
    """Each probed channel: the latest runs, success over a day, latency and the last alert (no personal data:
    probes write as synthetic customers)."""
    require_supervisor(request.user)
    channels = overview()
    return render(
        request,
        "quality/probes.html",
        {
            "channels": channels,
            "failing": [c for c in channels if c.failing],
            "interval": conf.probe_interval_minutes(),
            "public_url": conf.public_url(),
        },
    )
