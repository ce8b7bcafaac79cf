"""Reads shared by a batch job's items are made once per job, and never outlive it."""

from dabai.core.memo import batch_memo, enqueue_after_batch, per_batch

calls: list[tuple] = []


@per_batch()
def team_calendar(team_id: int) -> str:
    calls.append((team_id,))
    return f"calendar of {team_id} (read {len(calls)})"


@per_batch(key=lambda team_id, now=None: team_id)
def team_average(team_id: int, now: float | None = None) -> str:
    calls.append((team_id, now))
    return f"average of {team_id} at {now}"


def test_inside_a_batch_each_key_is_read_once_and_outside_every_time() -> None:
    calls.clear()
    with batch_memo():
        first = team_calendar(1)
        assert team_calendar(1) == first and team_calendar(2) != first
        with batch_memo():  # a nested block shares the job's memo
            assert team_calendar(1) == first
        assert team_average(1, now=1.0) == team_average(1, now=2.0) == "average of 1 at 1.0"
    assert len(calls) == 3
    assert team_calendar(1) != first, "after the job, a fresh read"
    team_calendar(1)
    assert len(calls) == 5


class Recorded:
    """A task stand-in that records what was enqueued (the real task queue is tested with the bot's batch)."""

    def __init__(self) -> None:
        self.enqueued: list[list[int]] = []

    def enqueue(self, ids: list[int]) -> None:
        self.enqueued.append(ids)


def test_jobs_that_follow_each_item_of_a_batch_leave_as_one_job_when_it_ends() -> None:
    task = Recorded()
    assert enqueue_after_batch(task, [1]) is False, "outside a batch the caller enqueues itself"
    with batch_memo():
        for ids in ([3], [1], [3, 2]):
            assert enqueue_after_batch(task, ids)
        assert task.enqueued == []
    assert task.enqueued == [[1, 2, 3]]
