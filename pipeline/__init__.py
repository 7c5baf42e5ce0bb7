"""lscb: from a council's agency extracts to the safeguarding board's indicator pack.

Data flows through one module per stage:
ingest (find, read, validate, load raw extracts) -> reference (published DfE/ONS files) ->
models (SQL in sql/: staging -> intermediate -> marts) -> benchmarks -> report (the pack).
`run` ties them together atomically; `cli` is the command line.
"""

__version__ = "0.1.0"
