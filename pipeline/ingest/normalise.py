"""Vectorised normalisation of extract values, from the text as read to canonical text.

Every function takes and returns a pandas Series of strings (missing as NA), works column-wise
(national scale is tens of millions of rows) and changes only what is unambiguous. A value it cannot
read is returned as the analyst typed it (trimmed), so that the pandera model reports that value.

Canonical text: dates `YYYY-MM-DD`, date-times `YYYY-MM-DD HH:MM:SS`, ids without spaces or a
trailing `.0`, codes upper-case from the model's code list, yes/no as `Y`/`N`, integers as digits.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Excel's day zero for serial dates (1900 date system, after Lotus' leap-year bug).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Serials from 1927 to 2119: anything else in a date column is more likely a typo than a date.
SERIAL_RANGE = (10_000, 80_000)
SAMPLE = 1000

# Formats tried in turn (each on what the previous ones could not read). strptime's %d and %m take
# one or two digits, so 1/2/2015 is 1 February.
_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
_DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
]
_SERIAL = r"^\d{4,5}(?:\.\d+)?$"
# The spellings nearly every file uses, each rewritten to canonical date-time text (two-digit day
# and month: '1/2/2015' and the rest take the general path). Date columns accept a time of day only
# as HH:MM:SS, as the general path does, and drop it.
_FAST_DATE = [
    (r"(\d{4})-(\d{2})-(\d{2})", r"\1-\2-\3 00:00:00"),
    (r"(\d{2})/(\d{2})/(\d{4})", r"\3-\2-\1 00:00:00"),
    (r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})", r"\1-\2-\3 \4:\5:\6"),
]
_FAST_DATETIME = [
    (r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", r"\1-\2-\3 \4:\5:\6"),
    (r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})", r"\1-\2-\3 \4:\5:00"),
    (r"(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2}):(\d{2})", r"\3-\2-\1 \4:\5:\6"),
    (r"(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})", r"\3-\2-\1 \4:\5:00"),
    (r"(\d{4})-(\d{2})-(\d{2})", r"\1-\2-\3 00:00:00"),
    (r"(\d{2})/(\d{2})/(\d{4})", r"\3-\2-\1 00:00:00"),
]
_OFSTED_PREFIX = r"^[A-Z]{1,2}\)\s*"  # "q) 6: Police", "a) Male"
_LEADING_CODE = r"^([0-9A-Z]{1,4})\s*[:\-\u2013]"  # "6: Police", "E11 - Adopted"

# Python's whitespace (str.isspace), spelt for RE2, whose \s is ASCII only: a non-breaking space
# pasted from a spreadsheet is a space too.
SPACES = (r"[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}"
          r"\x{2029}\x{202f}\x{205f}\x{3000}]+")

YES = {"Y", "YES", "TRUE", "T", "1"}
NO = {"N", "NO", "FALSE", "F", "0"}


def canonical_header(name: object) -> str:
    """'Date of referral ' -> 'date_of_referral'; 'Referral NFA?' -> 'referral_nfa'."""
    text = "" if name is None or (isinstance(name, float) and pd.isna(name)) else str(name)
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def text(s: pd.Series) -> pd.Series:
    """Trim; empty strings become missing."""
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def _regex_replace(s: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """Regex replacement by Arrow's RE2 engine (pandas falls back to Python's `re` for some
    patterns, one value at a time). RE2 syntax: `\\1` back-references, `\\x{a0}` code points."""
    out = pc.replace_substring_regex(pa.array(s.astype("string").array), pattern=pattern,
                                     replacement=replacement)
    return pd.Series(pd.arrays.ArrowStringArray(out), index=s.index)


def _regex_fullmatch(s: pd.Series, pattern: str) -> np.ndarray:
    """Boolean array: does each value match the whole pattern (missing: False)."""
    hit = pc.match_substring_regex(pa.array(s.astype("string").array), pattern=f"^(?:{pattern})$")
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)


def ids(s: pd.Series) -> pd.Series:
    """Ids: no spaces anywhere, no trailing '.0' that a spreadsheet added to a number."""
    s = _regex_replace(_regex_replace(text(s), SPACES, ""), r"\.0+$", "")
    return s.mask(s == "")


def _by_unique(func):
    """Apply a normaliser to the distinct values only: codes and dates repeat a few values.

    pd.factorize keeps it vectorised: the column becomes integer codes into its distinct values, and
    the normalised distinct values are taken back by those codes (-1, a missing value, stays NA).
    """
    def wrapper(s: pd.Series, *args, **kwargs) -> pd.Series:
        positions, uniques = pd.factorize(s.astype("string"))
        mapped = func(pd.Series(uniques, dtype="string"), *args, **kwargs).astype("string")
        return pd.Series(mapped.array.take(positions, allow_fill=True), index=s.index,
                         dtype="string")
    wrapper.__doc__ = func.__doc__
    return wrapper


def _fast_path(s: pd.Series, with_time: bool) -> pd.Series:
    """The common spellings, rewritten to canonical text by a regex and checked by one ISO parse.

    Missing where a value has none of these spellings or is not a real date (31/02): those values go
    to the general path, which gives the same result more slowly.
    """
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    rules = _FAST_DATETIME if with_time else _FAST_DATE
    todo = s.notna().to_numpy(dtype=bool, na_value=False).copy()
    for pattern, replacement in rules:
        if not todo.any():
            break
        rest = s[todo]
        hit = _regex_fullmatch(rest, pattern)
        if not hit.any():
            continue
        candidate = _regex_replace(rest[hit], f"^{pattern}$", replacement)
        real = pd.to_datetime(candidate, format="%Y-%m-%d %H:%M:%S", errors="coerce").notna()
        good = candidate[real] if with_time else candidate[real].str.slice(0, 10)
        out[good.index] = good
        todo[s.index.get_indexer(good.index)] = False
    return out


def _dates(s: pd.Series, with_time: bool) -> pd.Series:
    s = text(s)
    fast = _fast_path(s, with_time)
    if fast.notna().sum() == s.notna().sum():
        return fast
    parsed = pd.Series(pd.NaT, index=s.index, dtype="datetime64[s]")
    todo = s.notna() & fast.isna()
    formats = _DATETIME_FORMATS if with_time else _DATE_FORMATS + ["%Y-%m-%d %H:%M:%S"]
    # A failed format costs a full pass, so formats are tried on the whole column only when they
    # read some of a sample; the few values left are then tried against every format.
    for full_pass in (True, False):
        for fmt in formats:
            rest = s[todo]
            if rest.empty:
                break
            if full_pass and pd.to_datetime(rest.head(SAMPLE), format=fmt, errors="coerce").isna().all():
                continue
            got = pd.to_datetime(rest, format=fmt, errors="coerce").dropna()
            parsed[got.index] = got.dt.floor("s")
            todo[got.index] = False
    serial = todo & s.str.fullmatch(_SERIAL).fillna(False).astype(bool)
    if serial.any():
        days = pd.to_numeric(s[serial], errors="coerce")
        days = days[(days >= SERIAL_RANGE[0]) & (days <= SERIAL_RANGE[1])]
        parsed[days.index] = (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s")
    unit = "s" if with_time else "D"
    # numpy's ISO formatting is far faster than strftime.
    canonical = pd.Series(parsed.to_numpy().astype(f"datetime64[{unit}]").astype(str),
                          index=s.index, dtype="string")
    if with_time:
        canonical = canonical.str.replace("T", " ", regex=False)
    return fast.fillna(canonical.where(parsed.notna(), s))


@_by_unique
def dates(s: pd.Series) -> pd.Series:
    """DD/MM/YYYY, YYYY-MM-DD, datetime cells and Excel serials -> YYYY-MM-DD (time dropped)."""
    return _dates(s, with_time=False)


@_by_unique
def datetimes(s: pd.Series) -> pd.Series:
    """As dates, keeping the time of day: -> YYYY-MM-DD HH:MM:SS (midnight when none is given)."""
    return _dates(s, with_time=True)


@_by_unique
def codes(s: pd.Series, allowed: list[str] | None, words: dict[str, str] | None = None) -> pd.Series:
    """Codes to their canonical upper-case spelling.

    Accepts the bare code in any case ('1a'), Ofsted's prefixed form ('q) 6: Police'), a spreadsheet's
    '6.0', and words that name exactly one code ('Police'). Anything else stays as typed.
    """
    raw = text(s)
    bare = raw.str.upper().str.replace(r"\.0+$", "", regex=True)
    bare = bare.str.replace(_OFSTED_PREFIX, "", regex=True)
    if allowed is None:
        return bare.str.replace(r"\s+", " ", regex=True)
    key = bare.str.replace(r"[^0-9A-Z]+", "_", regex=True).str.strip("_")
    allowed_set = set(allowed)
    out = key.where(key.isin(allowed_set))
    if words:
        out = out.fillna(key.map(words))
    lead = bare.str.extract(_LEADING_CODE)[0]
    out = out.fillna(lead.where(lead.isin(allowed_set)))
    return out.fillna(raw)


@_by_unique
def yes_no(s: pd.Series) -> pd.Series:
    """Y/Yes/y/TRUE/1 -> 'Y'; N/No/FALSE/0 -> 'N'; Ofsted's 'a) Yes' too."""
    raw = text(s)
    key = raw.str.upper().str.replace(_OFSTED_PREFIX, "", regex=True).str.replace(
        r"\.0+$", "", regex=True)
    out = pd.Series(pd.NA, index=raw.index, dtype="string")
    out[key.isin(YES)] = "Y"
    out[key.isin(NO)] = "N"
    return out.fillna(raw)


@_by_unique
def integers(s: pd.Series) -> pd.Series:
    """Whole numbers: '3', '3.0', ' 3 ' -> '3'."""
    out = text(s).str.replace(r"\.0+$", "", regex=True)
    return out.str.replace(r"^0+(?=\d)", "", regex=True)
