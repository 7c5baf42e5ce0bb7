"""The pack's charts: which to draw, and their PNGs from the cache or drawn (by drawing.py).

The model asks for its charts as `Request`s and `draw_all` turns them into PNGs in one go: a chart
drawn by an earlier run is taken from the warehouse's cache, and the others are drawn, on two
cores when there are enough of them (a monthly refresh redraws every trend chart).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.report import style

# Below this many charts to draw, forking a second process costs more than it saves.
MIN_PARALLEL = 6
# How long to wait for the child's half once ours is drawn (it takes about as long as ours).
CHILD_WAIT_S = 60

_store = None  # the warehouse connection that keeps rendered charts between runs, if any
_used: set[str] = set()


@dataclass
class Request:
    """One chart to draw: the name of a drawing function of drawing.py and its arguments.

    The arguments are plain values whose repr is the same in every process (no sets, whose order
    changes with the hash seed), so that a chart drawn by one run is found by the next.
    """

    draw: str
    args: tuple
    kwargs: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The chart's cache key: a digest of everything drawn, the house style included."""
        return hashlib.sha256(repr((self.draw, self.args, sorted(self.kwargs.items()),
                                    sorted(style.RC.items()), style.FIGSIZE)).encode()).hexdigest()

    def png(self) -> bytes:
        from pipeline.report import drawing  # matplotlib: only when a chart is drawn

        return getattr(drawing, self.draw)(*self.args, **self.kwargs)


def use_store(con) -> None:
    """Keep rendered charts in the warehouse (meta.chart_cache), keyed by everything drawn.

    A monthly refresh redraws the trend charts, but the annual comparison charts are the same from
    one month to the next: drawing them again was a third of the pack's time.
    """
    global _store
    _store = con
    _used.clear()
    try:
        con.execute("create table if not exists meta.chart_cache (key VARCHAR PRIMARY KEY, "
                    "png BLOB NOT NULL)")
    except Exception:  # a read-only warehouse (notebooks): draw without keeping
        _store = None


def release_store() -> None:
    """Forget the charts this pack did not use (the cache holds one pack's worth) and detach."""
    global _store
    if _store is not None and _used:
        _store.execute("delete from meta.chart_cache where not list_contains(?, key)",
                       [sorted(_used)])
    _store = None


def draw_all(requests: Sequence[Request]) -> list[bytes]:
    """The PNG of each request, in order: from the cache if an earlier run drew it, else drawn."""
    keys = [r.key for r in requests]
    _used.update(keys)
    pngs: dict[str, bytes] = {}
    if _store is not None and keys:
        pngs = {key: bytes(png) for key, png in _store.execute(
            "select key, png from meta.chart_cache where list_contains(?, key)", [keys]).fetchall()}
    to_draw = {k: r for k, r in zip(keys, requests) if k not in pngs}  # each chart once
    drawn = dict(zip(to_draw, _draw_many(list(to_draw.values()))))
    if _store is not None and drawn:  # one statement: executemany runs one insert per chart
        _store.execute("insert or replace into meta.chart_cache "
                       "select unnest(?::varchar[]), unnest(?::blob[])",
                       [list(drawn), list(drawn.values())])
    pngs.update(drawn)
    return [pngs[k] for k in keys]


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _draw_many(requests: list[Request]) -> list[bytes]:
    """Draw the charts; given two cores, a forked child draws the second half meanwhile.

    One child and a pipe rather than a pool: a pool's workers wait for more work and would outlive
    a run killed with SIGKILL, whereas this child ends when its half is drawn (its sending fails at
    once if the run has gone). Forked after matplotlib is imported, it starts ready to draw; it
    never touches the DuckDB connection, whose threads do not exist in the child.
    """
    if (len(requests) < MIN_PARALLEL or _cores() < 2
            or "fork" not in multiprocessing.get_all_start_methods()):
        return [r.png() for r in requests]
    from pipeline.report import drawing  # noqa: F401  (before the fork, so imported once)

    half = len(requests) // 2
    fork = multiprocessing.get_context("fork")
    reader, writer = fork.Pipe(duplex=False)
    child = fork.Process(target=_draw_and_send, args=(requests[half:], reader, writer),
                         daemon=True)
    child.start()
    writer.close()
    try:
        first = [r.png() for r in requests[:half]]
        try:
            if not reader.poll(CHILD_WAIT_S):
                raise EOFError
            second = reader.recv()
        except EOFError:  # the child failed or hangs: draw its half here (raising any error)
            child.terminate()
            second = [r.png() for r in requests[half:]]
    except BaseException:
        child.terminate()
        raise
    finally:
        reader.close()
        child.join()
    return first + second


def _draw_and_send(requests: list[Request], reader, writer) -> None:
    """The child's work: draw, send the PNGs, end."""
    # No garbage collection here: it would run the finalizers of the parent's objects (DuckDB's
    # among them) in a copy of the process whose other threads are gone.
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it ends us)
    reader.close()  # the parent's end: when the parent is gone, sending fails instead of waiting
    writer.send([r.png() for r in requests])
