"""Ingest: find the council extracts under the raw folder, read, normalise, validate and load them.

`ingest(con, raw_dir, la_code)` recognises each extract by its columns (CSV) or sheet names (Annex A
workbooks), whatever its file name; reads everything as text (read.py); normalises what is
unambiguous (normalise.py); validates with one pandera model per extract (schemas.py, which is also
the data dictionary), rejecting or flagging rows (quality.py); and loads the `raw.*` tables with one
row per record key, the latest extract's version (load.py). Files already loaded (same SHA-256) are
not read again. The stage is all-or-nothing: a fatal input error raises `InputError` before anything
is written (for inputs of many councils over LSCB_INGEST_CHUNK_BYTES, before anything of the group
of councils holding the file; `lscb run` keeps the whole run all-or-nothing, see core.py).
"""

from .core import IngestResult, extracts_loaded, ingest

__all__ = ["IngestResult", "extracts_loaded", "ingest"]
