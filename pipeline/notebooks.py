"""Execute the analysts' notebooks (notebooks/*.ipynb) against a warehouse and save them as HTML.

The notebooks are committed without outputs. Each run passes the warehouse path, council and
period through environment variables (LSCB_DB, LSCB_LA, LSCB_PERIOD); the notebooks open the
warehouse read-only.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import date
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

from pipeline.errors import LscbError

log = logging.getLogger("lscb.notebooks")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
REPO = NOTEBOOK_DIR.parent


def execute(db_path: Path, out_dir: Path, *, la_code: str, period_end: date,
            timeout: int = 300, notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Run every notebook in `notebook_dir` and write `out_dir/notebooks/<name>.html`."""
    target = Path(out_dir) / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    env = {"LSCB_DB": str(Path(db_path).resolve()), "LSCB_LA": la_code,
           "LSCB_PERIOD": period_end.isoformat()}
    written = []
    saved = {k: os.environ.get(k) for k in (*env, "PYTHONPATH")}
    # The kernel inherits this process's environment: the settings and the repository's pipeline.
    os.environ.update(env)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), saved["PYTHONPATH"]) if p)
    try:
        for path in sorted(Path(notebook_dir).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            ep = ExecutePreprocessor(timeout=timeout, kernel_name="python3")
            ep.kernel_manager_class = _kernel_manager()
            try:
                ep.preprocess(nb, {"metadata": {"path": str(REPO)}})
            except CellExecutionError as exc:
                raise LscbError(f"notebook {path.name} failed: {exc.ename}: {exc.evalue}") from exc
            body, _ = HTMLExporter().from_notebook_node(nb)
            out = target / f"{path.stem}.html"
            out.write_text(body, encoding="utf-8")
            written.append(out)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    log.info("notebooks executed: %d", len(written))
    return written


def _kernel_manager():
    """A kernel manager whose `python3` kernel is this interpreter (the project's virtualenv)."""
    from jupyter_client.manager import KernelManager

    class _ThisPython(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]

    return _ThisPython
