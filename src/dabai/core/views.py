from django.http import HttpRequest, JsonResponse

from dabai.core.health import health_report


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and `make run`: database and worker as JSON; 503 when one is down."""
    report = health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)
