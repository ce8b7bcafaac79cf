"""Topics: the list with follows, a topic's page (trend, examples), and the editors' curation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import is_department_member, is_voc_editor
from dabai.core.tasking import enqueue_on_commit
from dabai.insights import emerging, services, tasks, topics
from dabai.insights.models import Case, CaseTopic, Topic, TopicFollow, TopicKind
from dabai.insights.views.access import require_voc_editor, require_voc_reader

EXAMPLES = 10


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    require_voc_reader(request.user)
    week_ago = timezone.now() - timezone.timedelta(days=7)
    show_inactive = request.GET.get("all") == "1" and is_voc_editor(request.user)
    listed = Topic.objects.annotate(
        week=Count("assignments", filter=Q(assignments__opened_at__gte=week_ago)),
        followers=Count("follows", distinct=True),
    ).order_by("kind", "-week", "name")
    if not show_inactive:
        listed = listed.filter(is_active=True, merged_into__isnull=True)
    followed = set(
        TopicFollow.objects.filter(department_id=request.user.department_id).values_list(
            "topic_id", flat=True
        )
        if request.user.department_id
        else []
    )
    return render(
        request,
        "insights/topics.html",
        {
            "groups": [(label, [t for t in listed if t.kind == kind]) for kind, label in TopicKind.choices],
            "followed": followed,
            "can_follow": is_department_member(request.user) and bool(request.user.department_id),
            "is_editor": is_voc_editor(request.user),
            "show_inactive": show_inactive,
            "section": "topics",
        },
    )


@login_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_reader(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    examples = (
        Case.objects.filter(pk__in=CaseTopic.objects.filter(topic=topic).values("case_id"))
        .order_by("-opened_at", "-pk")
        .only("conversation_id", "opened_at", "channel", "summary")[:EXAMPLES]
    )
    run = emerging.latest_run()
    rising = next(iter(emerging.shown_rises(run, topic_ids={topic.pk}, limit=1)), None)
    return render(
        request,
        "insights/topic_detail.html",
        {
            "topic": topic,
            "examples": examples,
            "rising": rising,
            "following": bool(
                request.user.department_id
                and TopicFollow.objects.filter(department_id=request.user.department_id, topic=topic).exists()
            ),
            "followers": TopicFollow.objects.filter(topic=topic).select_related("department"),
            "can_follow": is_department_member(request.user) and bool(request.user.department_id),
            "is_editor": is_voc_editor(request.user),
            "merge_targets": Topic.objects.filter(is_active=True, merged_into__isnull=True).exclude(
                pk=topic.pk
            ),
            "chart_query": f"topic={topic.pk}",
            "section": "topics",
        },
    )


@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    require_voc_editor(request.user)
    form = {"name": "", "keywords": "", "examples": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            topic = topics.define_topic(request.user, form["name"], form["keywords"], form["examples"])
        except topics.TopicError as error:
            messages.error(request, _(str(error)))
        else:
            enqueue_on_commit(tasks.match_topic_history, topic.pk)
            messages.success(request, _("Topic defined; past cases are being matched."))
            return redirect("insights:topic", pk=topic.pk)
    return render(request, "insights/topic_form.html", {"form": form, "section": "topics"})


@login_required
@require_POST
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_editor(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    try:
        topics.edit_topic(
            request.user,
            topic,
            name=request.POST.get("name", ""),
            keywords=request.POST.get("keywords") if "keywords" in request.POST else None,
            examples=request.POST.get("examples") if "examples" in request.POST else None,
        )
    except topics.TopicError as error:
        messages.error(request, _(str(error)))
    else:
        if topic.kind == TopicKind.DEFINED:
            enqueue_on_commit(tasks.match_topic_history, topic.pk)
        messages.success(request, _("Topic saved."))
    return redirect("insights:topic", pk=pk)


@login_required
@require_POST
def topic_merge(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_editor(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    into = request.POST.get("into", "")
    target = Topic.objects.filter(pk=int(into)).first() if into.isdecimal() and len(into) < 12 else None
    if target is None:
        messages.error(request, _("Choose the topic to merge into."))
        return redirect("insights:topic", pk=pk)
    try:
        merged = topics.merge_topic(request.user, topic, target)
    except topics.TopicError as error:
        messages.error(request, _(str(error)))
        return redirect("insights:topic", pk=pk)
    messages.success(request, _("Topics merged."))
    return redirect("insights:topic", pk=merged.pk)


@login_required
@require_POST
def topic_promote(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_editor(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    try:
        topics.promote_topic(request.user, topic, request.POST.get("name", ""))
    except topics.TopicError as error:
        messages.error(request, _(str(error)))
    else:
        messages.success(request, _("The topic is a defined topic now; edit its keywords below."))
    return redirect("insights:topic", pk=pk)


@login_required
@require_POST
def topic_follow(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_reader(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    try:
        if request.POST.get("follow", "1") == "1":
            services.follow_topic(request.user, topic)
        else:
            services.unfollow_topic(request.user, topic)
    except services.NotInADepartment:
        messages.error(request, _("Only members of a department follow topics for it."))
    if request.POST.get("next") == "list":
        return redirect("insights:topics")
    return redirect("insights:topic", pk=pk)


@login_required
@require_POST
def topics_refresh(request: HttpRequest) -> HttpResponse:
    """An editor asks for discovery and the emerging-issue run now instead of waiting for the night."""
    require_voc_editor(request.user)
    enqueue_on_commit(tasks.refresh_topics)
    messages.success(request, _("Topics are being discovered again; the results appear in a few minutes."))
    return redirect("insights:topics")
