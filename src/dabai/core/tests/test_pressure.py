"""Background work makes way for busy doors (dabai.core.pressure): the web process marks its doors busy when
it burns most of a core; the drain and the worker wait while the mark is fresh, never for long."""

import asyncio
import threading
import time

import pytest

from dabai.core import pressure


def _burn(seconds: float) -> None:
    """Use this much CPU time in this process (the web process's doors at work)."""
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_the_doors_are_marked_busy_only_while_they_use_most_of_a_core(tmp_path) -> None:
    mark = tmp_path / "doors-busy"
    doors = pressure.BusyDoors(lambda *_: None, mark=mark)
    doors.share = 0.3  # the mechanism, not the default: a loaded test machine gives a process part of a core
    time.sleep(pressure.WINDOW_SECONDS)  # a quiet window: a steady stream, far below a core
    assert not doors.measure()
    assert not pressure.doors_busy(mark)
    _burn(pressure.WINDOW_SECONDS)  # a burst: the whole window at work
    assert doors.measure()
    assert pressure.doors_busy(mark)
    time.sleep(pressure.FRESH_SECONDS + 0.05)
    assert not pressure.doors_busy(mark), "a mark that is not renewed goes stale: the burst is over"


def test_requests_pass_through_and_a_busy_window_is_noticed_on_the_next_request(tmp_path) -> None:
    mark = tmp_path / "var" / "doors-busy"  # the folder is made when first needed
    served: list[str] = []

    async def app(scope, receive, send) -> None:
        served.append(scope["path"])

    doors = pressure.BusyDoors(app, mark=mark)
    doors.share = 0.3
    _burn(pressure.WINDOW_SECONDS)
    asyncio.run(doors({"type": "http", "path": "/webhooks/sms/"}, None, None))
    assert served == ["/webhooks/sms/"]
    assert pressure.doors_busy(mark)


def test_slow_door_answers_mark_the_doors_busy_and_slow_pages_do_not(tmp_path) -> None:
    """On a small machine the doors slow down (the background's database work in the way) before the web
    process uses most of a core: one answer in twenty over the slow mark is a busy window too."""
    mark = tmp_path / "doors-busy"

    async def app(scope, receive, send) -> None:
        if scope["path"] != "/quick/":
            await asyncio.sleep(0.03)
        await send({"type": "http.response.start", "status": 202})
        await send({"type": "http.response.body", "body": b""})

    async def sent(message) -> None:
        pass

    doors = pressure.BusyDoors(app, doors={"/webhooks/sms/", "/quick/"}.__contains__, mark=mark)
    doors.share = 1.0  # only the answers' times decide here, not this test process's CPU

    async def requests(path: str, count: int) -> None:
        for _ in range(count):
            await doors({"type": "http", "path": path}, None, sent)

    asyncio.run(requests("/desk/inbox/", 5))  # a desk page takes its time: not a door
    asyncio.run(requests("/quick/", 40))
    assert not doors.measure()
    asyncio.run(requests("/quick/", 40))
    asyncio.run(requests("/webhooks/sms/", pressure.SLOW_AT_LEAST))  # 3 of 43 answers slow: over 1 in 20
    assert doors.measure()
    assert pressure.doors_busy(mark)


def _keep_marking(mark, stop: threading.Event) -> None:
    while not stop.wait(0.05):
        mark.touch()


def test_the_background_waits_while_the_doors_are_busy_for_at_most_three_times_its_work(tmp_path) -> None:
    mark = tmp_path / "doors-busy"
    make_way = pressure.MakeWay(mark=mark)
    assert make_way() == 0.0, "quiet doors: no wait"
    stop = threading.Event()
    marker = threading.Thread(target=_keep_marking, args=(mark, stop))
    mark.touch()
    marker.start()
    try:
        time.sleep(0.2)  # a batch's work
        waited = make_way()
    finally:
        stop.set()
        marker.join()
    assert pressure.YIELD_RATIO * 0.2 - 0.05 <= waited <= pressure.YIELD_RATIO * 0.2 + 0.5
    time.sleep(pressure.FRESH_SECONDS + 0.05)
    assert make_way() == 0.0, "the burst is over: the background goes on at once"
    assert make_way.waited == pytest.approx(waited)


def test_a_stop_ends_the_wait(tmp_path) -> None:
    mark = tmp_path / "doors-busy"
    make_way = pressure.MakeWay(mark=mark)
    stop = threading.Event()
    marker = threading.Thread(target=_keep_marking, args=(mark, threading.Event()), daemon=True)
    mark.touch()
    marker.start()
    time.sleep(0.3)
    threading.Timer(0.1, stop.set).start()
    assert make_way(stop) < 0.6, "well before the 0.9 s its work allowed"


def test_only_background_processes_make_way(settings, tmp_path, monkeypatch) -> None:
    """The web process and the tests never wait on the mark; ``dabai worker`` and ``dabai drain`` do."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(pressure, "_background", None)
    stop = threading.Event()
    marker = threading.Thread(target=_keep_marking, args=(pressure.busy_mark(), stop))
    pressure.busy_mark().touch()
    marker.start()
    try:
        assert pressure.make_way() == 0.0
        pressure.enable()
        time.sleep(0.1)
        assert pressure.make_way() > 0.2
    finally:
        stop.set()
        marker.join()
