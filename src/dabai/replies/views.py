"""Canned replies (search from the reply box, management) and the mention list. Thin.

The workspace's own views (reply box, draft, reveal, corrections) live in ``dabai.desk``."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dabai.accounts.models import Team
from dabai.accounts.permissions import is_supervisor, require_desk_user, team_ids
from dabai.conversations.views import desk_conversation_or_404
from dabai.core.params import parse_id
from dabai.replies import policy, selectors, services
from dabai.replies.forms import MacroForm
from dabai.replies.models import Macro


@login_required
@require_GET
def macro_search(request: HttpRequest) -> JsonResponse:
    """The `/` search in the reply box: visible macros, filled in for the open conversation."""
    require_desk_user(request.user)
    values = {}
    if raw := request.GET.get("conversation", ""):
        conversation_id = parse_id(raw)
        if conversation_id is None:
            raise BadRequest("conversation must be a conversation id")
        conversation = desk_conversation_or_404(request, conversation_id)
        order_number = selectors.macro_values(conversation, request.user)["order_number"]
        # 杜女士 / 杜先生 or no name at all, never the full name; nothing personal on a public post.
        values = policy.macro_values(conversation, request.user, order_number=order_number)
    results = [
        {"id": m.pk, "title": m.title, "text": policy.render_macro(m.body, values), "scope": m.scope}
        for m in selectors.search_macros(request.user, request.GET.get("q", ""))
    ]
    return JsonResponse({"results": results})


@login_required
@require_POST
def macro_used(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    macro = selectors.visible_macros(request.user).filter(pk=pk).first()
    if macro is None:
        raise Http404
    services.record_macro_use(macro)
    return HttpResponse(status=204)


def _teams_for(user):
    return Team.objects.all() if is_supervisor(user) else Team.objects.filter(pk__in=team_ids(user))


@login_required
def macro_list(request: HttpRequest) -> HttpResponse:
    """The agent's canned replies: their own, their teams' and the centre's, and a form to add one."""
    require_desk_user(request.user)
    scopes = policy.creatable_scopes(request.user)
    form = MacroForm(request.POST or None, scopes=scopes, teams=_teams_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.create_macro(
                actor=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                scope=form.cleaned_data["scope"],
                team=form.cleaned_data.get("team"),
                **form.actions(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, _("Canned reply saved."))
            return redirect("replies:macros")
    macros = selectors.visible_macros(request.user).order_by("title", "id")
    rows = [(m, policy.may_manage_macro(request.user, m)) for m in macros]
    return render(request, "replies/macros.html", {"form": form, "rows": rows})


@login_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    macro = get_object_or_404(Macro, pk=pk)
    if not policy.may_manage_macro(request.user, macro):
        raise PermissionDenied
    services.delete_macro(macro, actor=request.user)
    flash.success(request, _("Canned reply deleted."))
    return redirect("replies:macros")


@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    unread = selectors.unread_mentions(request.user)[:100]
    return render(request, "replies/mentions.html", {"mentions": unread})
