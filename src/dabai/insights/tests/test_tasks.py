"""The portal's background work runs through the task framework: a new customer message gets its case and
topics after the filter reads it; the daily run (discovery, then the stored emerging issues) and the weekly
digests re-enqueue themselves, and a worker's fresh chain retires the older one."""

from django.core import mail
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dabai.accounts.models import Role
from dabai.conversations.services import Inbound, receive_messages
from dabai.core.signals import worker_started
from dabai.insights import topics
from dabai.insights.models import Case, CaseTopic, DigestSent, EmergingRun, TopicFollow
from dabai.insights.tests.history import history
from dabai.insights.tests.test_emerging import burst, steady_history
from dabai.testing import CustomerFactory, UserFactory, run_queued_tasks


def test_a_new_message_gets_its_case_and_topics_after_the_filter_reads_it(
    db, supervisor, django_capture_on_commit_callbacks
):
    topic = topics.define_topic(supervisor, "宽带断网", keywords="断网")
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        (received,) = receive_messages(
            [Inbound(customer=customer, channel="chat", body="宽带断网了，快来修", external_id="m-1")]
        )
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()  # the filter reads it (and queues the case index after commit)
    run_queued_tasks()  # the case index and the topic matcher
    case = Case.objects.get(pk=received.message.conversation_id)
    assert CaseTopic.objects.filter(case=case, topic=topic).exists()
    assert CaseTopic.objects.filter(case=case, source="intent").exists()


def test_the_daily_and_weekly_chains_run_and_reschedule_themselves(
    db, supervisor, department_member, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    UserFactory(
        username="pm2", role=Role.DEPARTMENT, department=department_member.department, email="pm@x.cn"
    )
    history(steady_history(weeks=9) + burst(12))
    topic = topics.define_topic(supervisor, "闪退", keywords="闪退")
    topics.match_topic_history(topic)
    TopicFollow.objects.create(department=department_member.department, topic=topic)
    worker_started.send(sender=None)
    worker_started.send(sender=None)  # a second worker start: its chains replace the first ones
    run_queued_tasks()
    assert EmergingRun.objects.count() == 1 and EmergingRun.objects.get().rises.exists()
    assert DigestSent.objects.count() == 1 and len(mail.outbox) == 1
    later = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    names = sorted(r.task_path.rsplit(".", 1)[1] for r in later if r.task_path.startswith("dabai.insights."))
    assert names == ["daily_run", "weekly_digests"]  # one live chain each, due tomorrow and next Monday
    run_queued_tasks(include_future=True)
    assert len(mail.outbox) == 1  # the digest goes once a week
