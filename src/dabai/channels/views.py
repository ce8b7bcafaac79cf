"""Thin HTTP endpoints: signed webhooks from outside, the chat widget, desk pages for calls and imports."""

import hmac
import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from dabai.accounts.permissions import require_desk_user, require_supervisor
from dabai.channels import chat, conf, email, importer, phone, sms, wechat, weibo
from dabai.channels.adapter import PayloadError
from dabai.channels.doors import read_body, reject, signed, webhook
from dabai.channels.drain import accept_payload
from dabai.channels.forms import ImportForm, LogCallForm, WeiboExportForm
from dabai.channels.models import ImportJob
from dabai.channels.sanitise import load_json
from dabai.channels.services import store_rejected
from dabai.core.asgi import door
from dabai.core.choices import Channel

logger = logging.getLogger(__name__)

# A raw RFC 822 message from the mail relay (e.g. Postfix pipe or a cloud inbound-mail hook).
email_inbound = webhook(email.adapter)
# The gateway's JSON: checked for shape at the door, stored, acknowledged; drained moments later.
sms_inbound = webhook(sms.adapter)
# Call records from the call centre (JSON or a plain-text ASR transcript).
phone_inbound = webhook(phone.adapter, "call", lambda request: {"content_type": request.content_type or ""})


@signed(weibo.adapter)
def weibo_inbound(request: HttpRequest, body: bytes) -> HttpResponse:
    """Items in the Weibo API's shape pushed by a bridge: shape-checked, stored raw, acknowledged (202).

    The drain splits the push into its items and stores them in batches, however many thousands there are;
    refused items are kept as rejected and counted in the answer.
    """
    try:
        accepted, refused = weibo.check_push(load_json(body))
        if refused and not accepted:
            raise PayloadError(refused[0][1])
    except PayloadError as exc:
        store_rejected(Channel.WEIBO, "webhook", body, str(exc))
        return reject(request, 400, f"malformed Weibo push: {exc}")
    for item, reason in refused:
        store_rejected(Channel.WEIBO, "push-item", json.dumps(item).encode(), reason)
    if not accepted:
        return JsonResponse({"status": "empty", "accepted": 0, "rejected": 0})
    payload = accept_payload(Channel.WEIBO, "push", body)
    counts = {"accepted": len(accepted), "rejected": len(refused)}
    return JsonResponse({"status": "accepted", "payload_id": payload.pk, **counts}, status=202)


@door
@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_callback(request: HttpRequest) -> HttpResponse:
    """The Official Account's server URL: GET verifies ownership, POST delivers messages and events.

    A POST must be signed, fresh (timestamp within the window, nonce not replayed with another body) and,
    once an AES key is configured, in safe mode. It is stored raw and answered with an empty ``success``
    (no passive reply) in milliseconds, well within WeChat's five seconds; the drain stores the message.
    """
    query = {k: request.GET.get(k, "") for k in request.GET}
    token = conf.wechat()["token"]
    if request.method == "GET":
        expected = wechat.signature(token, query.get("timestamp", ""), query.get("nonce", ""))
        if not token or not hmac.compare_digest(expected, query.get("signature", "")):
            return reject(request, 403, "bad WeChat signature")
        return HttpResponse(query.get("echostr", ""), content_type="text/plain")
    body = read_body(request)
    if body is None:
        return reject(request, 413, "payload too large")
    try:
        fields = wechat.open_callback(body, query)
        wechat.check_fresh(query, body)
        wechat.read_fields(fields)
    except wechat.SignatureError as exc:
        return reject(request, 403, str(exc))
    except PayloadError as exc:
        return reject(request, 400, str(exc))
    accept_payload(Channel.WECHAT, "callback", body, {"query": wechat.stored_query(query)})
    return HttpResponse("success", content_type="text/plain")


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """The one file a website embeds: ``<script src="…/channels/chat/widget.js" async></script>``."""
    response = render(
        request,
        "channels/widget.js.html",
        {"origin": request.build_absolute_uri("/").rstrip("/"), "poll_ms": 0 if settings.REDIS_URL else 4000},
        content_type="application/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def chat_session(request: HttpRequest) -> HttpResponse:
    """Open (or resume) the visitor's chat: their token and history, for dabai's pages and the allowed sites.

    The widget on another site shows its token in the body (no cookies cross sites); the demo page on dabai
    itself also has it as a first-party cookie. Other sites are refused, preflight included.
    """
    allowed, cors_origin = chat.check_origin(request.headers.get("Origin", ""), request.get_host())
    if not allowed:
        logger.info("chat session refused for origin %.100r", request.headers.get("Origin", ""))
        response: HttpResponse = JsonResponse(
            {"error": "origin", "message": _("This website may not open a chat here.")}, status=403
        )
    elif request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    else:
        response = _open_chat(request)
    if cors_origin:
        response["Access-Control-Allow-Origin"] = cors_origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    patch_vary_headers(response, ["Origin"])
    return response


def _open_chat(request: HttpRequest) -> HttpResponse:
    try:
        shown = json.loads(request.body[:2048] or b"{}").get("visitor", "")
    except (ValueError, AttributeError, RecursionError):
        shown = ""
    visitor = chat.visitor_from_token(shown if isinstance(shown, str) else "") or chat.visitor_from_token(
        request.COOKIES.get(conf.chat_cookie_name())
    )
    if visitor is None:
        wait = chat.claim_new_session(request.META.get("REMOTE_ADDR", ""))
        if wait:
            logger.info("chat session throttled for %s", request.META.get("REMOTE_ADDR"))
            response = JsonResponse(
                {
                    "error": "throttled",
                    "message": _("Too many new chats from your network; try again later."),
                },
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        visitor = chat.start_visitor()
    token = chat.sign_visitor(visitor)
    response = JsonResponse({"visitor": token, "history": chat.history(visitor), "email": visitor.email})
    response.set_cookie(
        conf.chat_cookie_name(),
        token,
        max_age=365 * 24 * 3600,
        httponly=True,
        secure=request.is_secure(),
        samesite="Lax",
    )
    return response


@require_GET
def chat_demo(request: HttpRequest) -> HttpResponse:
    """A plain page embedding the widget exactly like a customer's website would."""
    return render(request, "channels/chat_demo.html")


@login_required
@ensure_csrf_cookie
def log_call(request: HttpRequest) -> HttpResponse:
    """Agents note a call they took, so it joins the caller's history like any other message."""
    require_desk_user(request.user)
    form = LogCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = phone.log_call(
                request.user, data["caller"], data["summary"], data["duration_seconds"], data["started_at"]
            )
        except PayloadError as exc:
            form.add_error(None, str(exc))
        else:
            if message is not None:
                return redirect("desk:detail", pk=message.conversation_id)
            return redirect("channels:log_call")
    return render(request, "channels/log_call.html", {"form": form})


@login_required
def weibo_upload(request: HttpRequest) -> HttpResponse:
    """Supervisors load a JSON export in the Weibo API's shape (mentions, comments, private messages)."""
    require_supervisor(request.user)
    form = WeiboExportForm(request.POST or None, request.FILES or None)
    counts = None
    if request.method == "POST" and form.is_valid():
        try:
            counts = weibo.accept_export(load_json(form.cleaned_data["file"].read()), "upload")
        except (ValueError, PayloadError) as exc:
            form.add_error("file", _("Not a Weibo export: %(error)s") % {"error": exc})
    return render(request, "channels/weibo_upload.html", {"form": form, "counts": counts})


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """Upload historic conversations (CSV or JSONL); the import runs in the background with progress."""
    require_supervisor(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = importer.start_import(form.cleaned_data["file"], actor=request.user)
        return redirect("channels:import_detail", pk=job.pk)
    jobs = ImportJob.objects.all()[:20]
    return render(request, "channels/imports.html", {"form": form, "jobs": jobs})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    job = get_object_or_404(ImportJob, pk=pk)
    template = "channels/_import_progress.html" if request.htmx else "channels/import_detail.html"
    return render(request, template, {"job": job})
