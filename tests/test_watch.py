"""``duban watch``: files dropped into a unit's folder give one Prefect event per settled burst
(``duban/watch.py``); network mounts are polled."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest

from duban.watch import EVENT, Fingerprint, Settler, emit_changed, fingerprint, is_network_mount, watch

GX, CZ = "区工信局", "区财政局"


def test_network_mounts_are_recognised_from_proc_mounts(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        "//fileserver/share /srv/share cifs rw,vers=3.0 0 0\n"
        "nas:/export /mnt/nfs\\040share nfs4 rw 0 0\n",
        encoding="utf-8",
    )
    assert is_network_mount("/srv/share/信用示范创建", mounts)
    assert is_network_mount("/mnt/nfs share/x", mounts)
    assert not is_network_mount("/srv/sharex", mounts) and not is_network_mount("/home/x", mounts)


def test_a_unit_is_reported_once_its_folder_has_settled_and_only_if_its_files_changed(tmp_path, catalog):
    root = tmp_path / "share"
    (root / GX / "20").mkdir(parents=True)
    clock = [0.0]
    sent: list[Fingerprint] = []
    s = Settler(catalog, root, settle=60, emit=lambda fp, r: sent.append(fp), clock=lambda: clock[0])
    s.prime()
    for i in range(50):  # a burst of 50 files over 49 seconds
        (root / GX / "20" / f"台账{i}.xlsx").write_bytes(b"x" * i)
        s.changed([str(root / GX / "20" / f"台账{i}.xlsx"), str(root / "说明.txt")])
        clock[0] += 1
        assert s.due() == []
    clock[0] += 59
    (fp,) = s.due()
    assert (fp.unit, fp.files) == (GX, 50) and sent == [fp]
    clock[0] += 120
    assert s.due() == []  # nothing new: no second event
    lock = root / GX / "20" / "~$台账0.xlsx"  # a lock file comes and goes: no change that counts
    lock.write_bytes(b"x")
    s.changed([str(root / GX / "20" / "台账0.xlsx")])
    lock.unlink()
    clock[0] += 61
    assert s.due() == [] and len(sent) == 1


def test_files_dropped_into_a_watched_share_give_one_event_per_settled_burst(tmp_path, catalog):
    root = tmp_path / "share"
    for unit in (GX, CZ):
        (root / unit).mkdir(parents=True)
    got: list[Fingerprint] = []
    arrived = threading.Condition()

    def emit(fp, where):
        assert where == str(root.resolve())
        with arrived:
            got.append(fp)
            arrived.notify_all()

    def wait_for(n: int, limit: float = 60) -> None:
        with arrived:
            assert arrived.wait_for(lambda: len(got) >= n, timeout=limit), got

    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(catalog, root),
        kwargs={"settle": 1.5, "poll": True, "emit": emit, "stop": stop, "ready": ready},
    )
    thread.start()
    try:
        assert ready.wait(30)
        for i in range(50):
            path = root / GX / "20" / "第二轮" / f"台账{i:02}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"ledger %d" % i)
        wait_for(1)
        (root / CZ / "06").mkdir()
        (root / CZ / "06" / "制度.docx").write_bytes(b"docx")
        wait_for(2)
        time.sleep(4)  # well past the settle window: the bursts stay one event each
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert [(fp.unit, fp.files) for fp in got] == [(GX, 50), (CZ, 1)]
    assert got[0].digest == fingerprint(catalog, root.resolve(), GX).digest


@pytest.mark.prefect
def test_the_event_reaches_prefect(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    fp = Fingerprint(GX, 3, "ab" * 32)
    since = time.time()
    event = emit_changed(fp, str(tmp_path))
    assert event is not None and event.event == EVENT
    assert event.resource.id == f"duban.unit.{GX}" and event.payload["files"] == 3

    flt = EventFilter(
        event=EventNameFilter(name=[EVENT]),
        occurred=EventOccurredFilter(since=dt.datetime.fromtimestamp(since - 60, dt.UTC)),
    )

    async def read():
        async with get_client() as client:
            page = await client.read_events(filter=flt, limit=50)
            return [e for e in page.events if e.id == event.id]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = asyncio.run(read())
        if found:
            break
        time.sleep(1)
    assert found and found[0].payload["fingerprint"] == fp.digest
