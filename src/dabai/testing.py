"""Test support shared by every app: factories and a way to run queued tasks on the real backend.

Lives in the package (not under tests/) so each app's tests, benchmarks and the browser suite use the same
builders.
"""

from datetime import timedelta

import factory
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from dabai.accounts.models import AgentProfile, Department, Role, Team, User
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer

PASSWORD = "correct-horse-battery"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"团队{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs) -> None:
        if not create or self.role not in {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}:
            self.save()
            return
        self.save()
        profile, _ = AgentProfile.objects.get_or_create(user=self)
        if extracted:
            profile.teams.set(extracted)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    display_name = factory.Sequence(lambda n: f"客户{n}")


class ChannelIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelIdentity

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.PHONE
    external_id = factory.Sequence(lambda n: f"1380000{n:04d}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.CHAT
    status = Status.OPEN
    last_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = Direction.INBOUND
    channel = factory.SelfAttribute("conversation.channel")
    body = "你好，我的订单还没到"
    sent_at = factory.LazyFunction(timezone.now)


def run_queued_tasks(*, include_future: bool = False, limit: int = 1000) -> int:
    """Run what the database task backend has queued, as `dabai worker` would, inside the test's transaction.

    ``include_future`` also runs tasks deferred with ``run_after`` (retries, the next heartbeat) by moving
    them to now, i.e. it lets time pass. Returns how many tasks ran.
    """
    if include_future:
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__gt=timezone.now()).update(
            run_after=timezone.now() - timedelta(seconds=1)
        )
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        result = (
            DBTaskResult.objects.ready()
            .filter(backend_name="default")
            .order_by("-priority", "enqueued_at")
            .first()
        )
        if result is None:
            break
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran
