"""Start-up of a short lscb process: its heavy modules imported with the garbage collector off.

Importing pandas, DuckDB, pandera and matplotlib creates ~150,000 long-lived objects, and the
collector would scan them again and again: three full collections while they are imported, more
during a run and at exit (0.5 s of a 4 s monthly refresh; 0.3 s of the 1 s it takes to load the
5,050-episode SSDA903 sample). So they are imported with the collector off and then frozen: left
out of every later collection. The collector is on again for the work itself.
"""

from __future__ import annotations

import gc
import importlib


def import_frozen(*modules: str) -> None:
    """Import `modules` with the collector off, then freeze everything imported so far."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def exit_with(parent_pid: int) -> None:
    """In a worker process: end it within a second of `parent_pid` ending.

    A pool's workers wait for work from the process that started them; if that process is killed
    (SIGKILL leaves it no time to stop them) they would wait for ever, holding their memory. A
    daemon thread checks once a second that the parent is still there. Used as the `initializer`
    of lscb's process pools.
    """
    import os
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid now belongs to another user's process
                os._exit(1)

    threading.Thread(target=watch, name="lscb-parent-watch", daemon=True).start()
