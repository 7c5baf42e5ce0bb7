"""Errors that stop a run with a message for the analyst rather than a traceback."""


class LscbError(Exception):
    """A failure the analyst can act on; the CLI prints its message and exits non-zero."""


class InputError(LscbError):
    """An input file cannot be used: unreadable, or recognised but lacking a required column.

    The message names the file, and the sheet, row and column where they are known.
    """

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None, rule: str | None = None):
        self.file, self.sheet, self.row, self.column, self.rule = file, sheet, row, column, rule
        where = ", ".join(
            f"{k} {v}" for k, v in
            (("file", file), ("sheet", sheet), ("row", row), ("column", column), ("rule", rule))
            if v is not None
        )
        super().__init__(f"{message} ({where})" if where else message)


class ReferenceError_(LscbError):
    """A published reference file is not in the shape expected."""


class RunLockedError(LscbError):
    """Another run holds the warehouse."""
