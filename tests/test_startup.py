"""pipeline.startup: modules imported with the collector off, then frozen; the collector's state
restored."""

import gc
import sys

from pipeline import startup


def test_import_frozen_freezes_and_restores_the_collector():
    sys.modules.pop("colorsys", None)  # a small stdlib module, imported afresh
    before = gc.get_freeze_count()
    try:
        startup.import_frozen("colorsys")
        assert "colorsys" in sys.modules
        assert gc.isenabled()
        assert gc.get_freeze_count() > before
        gc.disable()
        startup.import_frozen("json")
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
        gc.unfreeze()
