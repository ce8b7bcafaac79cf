"""Quality listens to conversations (conversations never import quality): outcomes follow the facts.

- resolving or closing computes the outcome and schedules the survey; reopening recomputes it;
- a customer message in a conversation that has an outcome (a reopen) recomputes it at once;
- channel probes: a probe stored is noted and its conversation closed, a probe analysed is ok (or late);
  /healthz asks for the probes' health, and a starting worker starts the probe chain;
- once the filter has read a customer's message, the outcomes whose repeat-contact window covers it (same
  customer, any channel) are recomputed, since only then is its topic known; so is the outcome of its own
  conversation (topic, mood journey).

A quality bug must never roll back the customer's message or an agent's change: each receiver runs in a
savepoint and logs instead of raising.
"""

from datetime import timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from dabai.conversations import signals
from dabai.conversations.models import Conversation, Insight, Message
from dabai.core.health import health_checks
from dabai.core.signals import contained as contained_receiver
from dabai.core.signals import worker_started
from dabai.quality import conf, services, tasks
from dabai.quality.models import Outcome
from dabai.quality.probes import runs as probe_runs

contained = contained_receiver("quality", "recompute the outcomes to catch up")


@receiver(signals.status_changed, dispatch_uid="quality.status_changed")
@contained
def on_status_changed(sender, conversation: Conversation, old_status: str, **kwargs) -> None:
    settled = conversation.status in services.SETTLED
    if settled or Outcome.objects.filter(conversation_id=conversation.pk).exists():
        services.recompute_outcomes([conversation.pk])
    if settled and old_status not in services.SETTLED:
        run_after = timezone.now() + timedelta(minutes=conf.survey_delay_minutes())
        pk = conversation.pk
        transaction.on_commit(lambda: tasks.send_survey.using(run_after=run_after).enqueue(pk))


@receiver(signals.messages_received, dispatch_uid="quality.messages_received")
@contained
def on_messages_received(sender, arrivals: list[signals.Arrival], **kwargs) -> None:
    ids = {a.conversation.pk for a in arrivals if not a.new_conversation}
    if ids:
        services.recompute_outcomes(
            Outcome.objects.filter(conversation_id__in=ids).values_list("conversation_id", flat=True)
        )


@receiver(signals.insights_stored, dispatch_uid="quality.insights_stored")
@contained
def on_insights_stored(sender, insights: list[Insight], **kwargs) -> None:
    messages: list[Message] = [i.message for i in insights]
    customers = dict(
        Conversation.objects.filter(pk__in={m.conversation_id for m in messages}).values_list(
            "pk", "customer_id"
        )
    )
    touched = services.outcomes_touched_by(
        (customers[m.conversation_id], m.sent_at) for m in messages if m.conversation_id in customers
    )
    own = set(
        Outcome.objects.filter(conversation_id__in=list(customers)).values_list("conversation_id", flat=True)
    )
    if touched or own:
        services.recompute_outcomes(touched | own)


# ------------------------------------------------------------------------------------------ channel probes


@receiver(signals.messages_received, dispatch_uid="quality.probes.messages_received")
@contained
def probes_stored(sender, arrivals: list[signals.Arrival], **kwargs) -> None:
    """A probe came through its channel's door and the drain: note it and close its conversation at once."""
    probe_runs.record_arrivals(arrivals)


@receiver(signals.insights_stored, dispatch_uid="quality.probes.insights_stored")
@contained
def probes_analysed(sender, insights: list[Insight], **kwargs) -> None:
    probe_runs.record_analysed(insights)


@receiver(health_checks, dispatch_uid="quality.probes.health")
def probes_health(sender, **kwargs) -> tuple[str, dict]:
    """/healthz lists each probed channel; a failing one makes the site "degraded" (still 200)."""
    return "channel_probes", probe_runs.health()


@receiver(worker_started, dispatch_uid="quality.probes.worker_started")
def start_probes(sender, **kwargs) -> None:
    tasks.start_probes()
