"""One pandera model per extract: the data dictionary of the raw layer.

Each model validates an extract *after* normalisation (see normalise.py), while every value is still
text in its canonical spelling (dates `YYYY-MM-DD`, date-times `YYYY-MM-DD HH:MM:SS`, codes upper-case,
Y/N as `Y`/`N`, integers as digits). A value that normalisation could not read stays as the analyst
typed it, so the failure case pandera reports is the value to show in the data-quality report.

Every field carries, besides its `description`:

- `metadata["kind"]`: how normalise.py reads it (`id`, `text`, `code`, `date`, `datetime`, `yn`,
  `int`) and how load.py casts it into the `raw.*` table.
- `metadata["on_invalid"]`: `reject` when an indicator cannot use the row without this value (the row is
  not loaded), `flag` when the value is set to null and the row is loaded.
- `metadata["required"]`: the column must be in the file; a recognised extract without it is a fatal
  input error.
- `metadata["headers"]`: header spellings besides the column's own name, compared after lower-casing
  and replacing punctuation and spaces by `_`.

Columns a file has that no model lists (postcodes, UPN, mother's details, date of birth in Annex A,
age, allocated team and worker, ...) are never loaded: no indicator needs them and they are personal.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

# --- Code lists (canonical spellings, as docs/architecture.md fixes them) ---------------------------

CIN_SOURCE_CODES = [
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4",
    "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10",
]
RAG_CODES = ["RED", "AMBER", "GREEN"]
OUTCOME_CODES = ["NFA", "INFO_ADVICE", "EARLY_HELP", "REFERRAL"]
NOTIFICATION_TYPES = [
    "DOMESTIC_ABUSE", "CHILD_COMING_TO_NOTICE", "MISSING", "CRIME_VICTIM", "CRIME_SUSPECT", "OTHER",
]
POLICE_RISK_CODES = ["STANDARD", "MEDIUM", "HIGH"]
ABUSE_CATEGORIES = ["NEGLECT", "EMOTIONAL", "PHYSICAL", "SEXUAL", "MULTIPLE"]
GENDER_CODES = ["M", "F", "U", "N"]
ETHNICITY_CODES = [
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
    "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
]
SSDA903_SEX = ["1", "2"]
SSDA903_RNE = ["S", "L", "P", "T", "B", "U"]
SSDA903_LS = ["C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"]
SSDA903_PLACE = [
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
]
SSDA903_PLACE_PROVIDER = ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]
SSDA903_REC = [
    "X1", "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41", "E45",
    "E46", "E47", "E48", "E5", "E6", "E7", "E8", "E9",
]
SSDA903_CIN = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"]

# Words that name exactly one code. Ambiguous words ("Health", "Individual", "LA services") are not
# here on purpose: they name a group of codes, so the value is flagged rather than guessed.
CODE_WORDS: dict[str, dict[str, str]] = {
    "cin_source": {
        "SCHOOL": "2A", "SCHOOLS": "2A", "EDUCATION": "2B", "EDUCATION_SERVICES": "2B",
        "HOUSING": "4", "POLICE": "6", "OTHER_LEGAL_AGENCY": "7", "OTHER": "8",
        "ANONYMOUS": "9", "UNKNOWN": "10",
    },
    "rag": {"R": "RED", "A": "AMBER", "G": "GREEN"},
    "outcome": {
        "NO_FURTHER_ACTION": "NFA", "INFORMATION_AND_ADVICE": "INFO_ADVICE",
        "INFORMATION_ADVICE": "INFO_ADVICE", "ADVICE": "INFO_ADVICE", "INFO": "INFO_ADVICE",
        "EARLY_HELP": "EARLY_HELP", "EH": "EARLY_HELP", "REFERRAL_TO_CSC": "REFERRAL",
        "REFERRAL_TO_CHILDREN_S_SOCIAL_CARE": "REFERRAL",
    },
    "notification_type": {
        "DOMESTIC": "DOMESTIC_ABUSE", "CCTN": "CHILD_COMING_TO_NOTICE",
        "CHILD_COMING_TO_POLICE_NOTICE": "CHILD_COMING_TO_NOTICE", "MISSING_PERSON": "MISSING",
        "VICTIM_OF_CRIME": "CRIME_VICTIM", "SUSPECT": "CRIME_SUSPECT",
    },
    "abuse_category": {
        "N": "NEGLECT", "NEG": "NEGLECT", "E": "EMOTIONAL", "EMO": "EMOTIONAL",
        "EMOTIONAL_ABUSE": "EMOTIONAL", "P": "PHYSICAL", "PHY": "PHYSICAL",
        "PHYSICAL_ABUSE": "PHYSICAL", "S": "SEXUAL", "SAB": "SEXUAL", "SEXUAL_ABUSE": "SEXUAL",
        "M": "MULTIPLE", "MUL": "MULTIPLE", "MULTIPLE_NOT_RECOMMENDED": "MULTIPLE",
    },
    "gender": {
        "MALE": "M", "FEMALE": "F", "1": "M", "2": "F", "0": "U", "9": "U", "UNKNOWN": "U",
        "NOT_STATED": "U", "NOT_STATED_RECORDED": "U", "NOT_RECORDED": "U", "NEITHER": "N",
    },
    "ssda903_sex": {"M": "1", "MALE": "1", "F": "2", "FEMALE": "2"},
}


def field(description: str, kind: str, *, on_invalid: str = "flag", required: bool = False,
          nullable: bool = True, headers: tuple[str, ...] = (), codes: str | None = None,
          **checks) -> pa.Field:
    """A model field with the metadata the readers and loaders use (see the module docstring)."""
    return pa.Field(
        nullable=nullable, description=description, **checks,
        metadata={"kind": kind, "on_invalid": on_invalid, "required": required,
                  "headers": headers, "codes": codes},
    )


# --- Checks shared by the models --------------------------------------------------------------------

def _is_date(s: pd.Series) -> pd.Series:
    return s.isna() | pd.to_datetime(s, format="%Y-%m-%d", errors="coerce").notna()


def _is_datetime(s: pd.Series) -> pd.Series:
    return s.isna() | pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce").notna()


def _is_int(s: pd.Series) -> pd.Series:
    return s.isna() | s.str.fullmatch(r"\d{1,9}").fillna(False).astype(bool)


def _is_yn(s: pd.Series) -> pd.Series:
    return s.isna() | s.isin(["Y", "N"])


def _not_in_future(s: pd.Series) -> pd.Series:
    """True unless a valid date lies after today: an extract cannot record what has not happened
    (a mistyped year such as 2099 would otherwise open a plan or episode for ever)."""
    today = date.today().isoformat()
    valid = s.str.fullmatch(r"\d{4}-\d{2}-\d{2}.*").fillna(False).astype(bool)
    return ~(valid & (s.str.slice(0, 10) > today).fillna(False).astype(bool))


def _not_before(df: pd.DataFrame, end: str, start: str) -> pd.Series:
    """True unless both are valid and `end` is before `start` (canonical text sorts as time)."""
    pattern = r"\d{4}-\d{2}-\d{2}.*"
    both = (df[end].str.fullmatch(pattern) & df[start].str.fullmatch(pattern)).fillna(False)
    return ~(both.astype(bool) & (df[end] < df[start]).fillna(False).astype(bool))


class _Base(pa.DataFrameModel):
    class Config:
        strict = True  # only the columns the model lists reach the warehouse
        coerce = True  # every column is text at this stage


class MashContacts(_Base):
    """MASH contacts log: one row per contact received by the Multi-Agency Safeguarding Hub."""

    contact_id: Series[str] = field(
        "Unique id of the contact (record key). Missing: row rejected.", "id",
        on_invalid="reject", nullable=False, required=True, headers=("contact_ref", "contact_reference"))
    child_id: Series[str] = field(
        "The child's case management system id (same as Annex A Child Unique ID and SSDA903 CHILD). "
        "Missing: row rejected.", "id", on_invalid="reject", nullable=False, required=True)
    received_at: Series[str] = field(
        "When the MASH received the contact (date-time). Missing or invalid: row rejected, every "
        "front-door indicator is dated by it.", "datetime", on_invalid="reject", nullable=False, required=True,
        headers=("date_received", "received", "contact_received_at", "contact_date"))
    source: Series[str] = field(
        "CIN census referral source code 1A ... 10 (prefix such as 'q) 6: Police' and unambiguous "
        "words such as 'Police' normalised). Invalid: set to null and flagged, only the contacts-by-"
        "source breakdown uses it.", "code", required=True, codes="cin_source",
        isin=CIN_SOURCE_CODES, headers=("contact_source", "referral_source"))
    merlin_id: Series[str] = field(
        "The MERLIN notification the contact came from, if any. An id matching no loaded "
        "notification is flagged (merlin_id_not_found), not rejected.", "id",
        headers=("merlin_ref", "merlin_reference"))
    rag: Series[str] = field(
        "MASH priority rating RED/AMBER/GREEN (R/A/G accepted). Invalid: set to null and flagged; the "
        "contact then counts as unrated, outside the timeliness denominator only.", "code",
        codes="rag", isin=RAG_CODES, headers=("rag_rating", "priority"))
    decided_at: Series[str] = field(
        "When the MASH decision was made (date-time). Invalid: row rejected (the contact's own "
        "event date); before received_at: row rejected (end_before_start).", "datetime",
        on_invalid="reject", headers=("decision_date", "date_decided", "decision_at"))
    outcome: Series[str] = field(
        "MASH decision NFA/INFO_ADVICE/EARLY_HELP/REFERRAL; empty means not yet decided. A value "
        "outside the list is rejected: the threshold indicators classify every decided contact by "
        "it, and nulling it would turn a decided contact into an undecided one.", "code",
        on_invalid="reject", codes="outcome", isin=OUTCOME_CODES,
        headers=("mash_outcome", "decision", "mash_decision"))

    @pa.check("received_at", "decided_at", name="valid_datetime")
    def _valid_datetime(cls, s: Series[str]) -> Series[bool]:
        return _is_datetime(s)

    @pa.check("received_at", "decided_at", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)

    @pa.dataframe_check(name="end_before_start")
    def _decided_after_received(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df, "decided_at", "received_at")


class MerlinNotifications(_Base):
    """MERLIN notifications log: one row per police notification shared with children's services."""

    merlin_id: Series[str] = field(
        "Unique id of the notification (record key). Missing: row rejected.", "id",
        on_invalid="reject", nullable=False, required=True, headers=("merlin_ref", "merlin_reference"))
    received_at: Series[str] = field(
        "When children's services received it (date-time). Missing or invalid: row rejected.",
        "datetime", on_invalid="reject", nullable=False, required=True, headers=("date_received", "received"))
    child_id: Series[str] = field(
        "The child's id once matched to the case management system; may be empty.", "id")
    notification_type: Series[str] = field(
        "What brought the child to police notice: DOMESTIC_ABUSE, CHILD_COMING_TO_NOTICE, MISSING, "
        "CRIME_VICTIM, CRIME_SUSPECT, OTHER. Invalid: set to null and flagged (no indicator splits by "
        "it).", "code", required=True, codes="notification_type", isin=NOTIFICATION_TYPES,
        headers=("type", "merlin_type"))
    police_risk: Series[str] = field(
        "The police's own risk grading STANDARD/MEDIUM/HIGH. Invalid: null and flagged.", "code",
        codes=None, isin=POLICE_RISK_CODES, headers=("risk", "risk_level"))
    screened: Series[str] = field(
        "Whether the police screened it before sharing (Y/N; Yes/TRUE/1 accepted). Invalid: null "
        "and flagged.", "yn", headers=("is_screened", "police_screened"))

    @pa.check("received_at", name="valid_datetime")
    def _valid_datetime(cls, s: Series[str]) -> Series[bool]:
        return _is_datetime(s)

    @pa.check("received_at", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)

    @pa.check("screened", name="valid_yes_no")
    def _valid_yn(cls, s: Series[str]) -> Series[bool]:
        return _is_yn(s)


_CHILD_UNIQUE_ID = dict(
    description="Annex A Child Unique ID, the child's case management system id. Missing: row "
                "rejected.",
    kind="id", on_invalid="reject", required=True, nullable=False,
    headers=("child_id", "unique_id"))
_GENDER = dict(
    description="Gender M/F/U (not stated)/N (neither); words and Ofsted's 'a) Male' accepted. "
                "Invalid: null and flagged.",
    kind="code", codes="gender", isin=GENDER_CODES)
_ETHNICITY = dict(
    description="Ethnicity, CIN census code (WBRI ... NOBT). Invalid: null and flagged.",
    kind="code", isin=ETHNICITY_CODES)


class AnnexAContacts(_Base):
    """Annex A List 1 (contacts). Used where no MASH log is loaded."""

    child_unique_id: Series[str] = field(**_CHILD_UNIQUE_ID)
    gender: Series[str] = field(**_GENDER)
    ethnicity: Series[str] = field(**_ETHNICITY)
    date_of_contact: Series[str] = field(
        "Date of the contact. Missing or invalid: row rejected.", "date", on_invalid="reject", nullable=False,
        required=True, headers=("contact_date",))
    contact_source: Series[str] = field(
        "Source of the contact as a CIN census referral source code (see mash_contacts.source). "
        "Invalid or ambiguous words ('Health'): null and flagged.", "code", codes="cin_source",
        isin=CIN_SOURCE_CODES, headers=("source",))

    @pa.check("date_of_contact", name="valid_date")
    def _valid_date(cls, s: Series[str]) -> Series[bool]:
        return _is_date(s)

    @pa.check("date_of_contact", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)


class AnnexAReferrals(_Base):
    """Annex A List 3 (referrals to children's social care)."""

    child_unique_id: Series[str] = field(**_CHILD_UNIQUE_ID)
    gender: Series[str] = field(**_GENDER)
    ethnicity: Series[str] = field(**_ETHNICITY)
    date_of_referral: Series[str] = field(
        "Date of the referral. Missing or invalid: row rejected.", "date", on_invalid="reject", nullable=False,
        required=True, headers=("referral_date",))
    referral_source: Series[str] = field(
        "Referral source as a CIN census code (see mash_contacts.source). Invalid or ambiguous: null "
        "and flagged.", "code", codes="cin_source", isin=CIN_SOURCE_CODES, headers=("source",))
    referral_nfa: Series[str] = field(
        "'Referral NFA?' Y/N. Invalid: null and flagged (the referral still counts; it is then not "
        "in the numerator of referrals_nfa_pct).", "yn", headers=("nfa", "referral_nfa_yn"))
    referrals_in_last_12_months: Series[str] = field(
        "Number of referrals in the last 12 months (a whole number). Invalid: null and flagged.",
        "int", headers=("number_of_referrals_in_last_12_months", "number_of_referrals_in_last_12"))

    @pa.check("date_of_referral", name="valid_date")
    def _valid_date(cls, s: Series[str]) -> Series[bool]:
        return _is_date(s)

    @pa.check("date_of_referral", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)

    @pa.check("referral_nfa", name="valid_yes_no")
    def _valid_yn(cls, s: Series[str]) -> Series[bool]:
        return _is_yn(s)

    @pa.check("referrals_in_last_12_months", name="valid_integer")
    def _valid_int(cls, s: Series[str]) -> Series[bool]:
        return _is_int(s)


class AnnexACpPlans(_Base):
    """Annex A List 7 (children subject of a child protection plan)."""

    child_unique_id: Series[str] = field(**_CHILD_UNIQUE_ID)
    gender: Series[str] = field(**_GENDER)
    ethnicity: Series[str] = field(**_ETHNICITY)
    cpp_start_date: Series[str] = field(
        "Child Protection Plan Start Date. Missing or invalid: row rejected.", "date",
        on_invalid="reject", nullable=False, required=True,
        headers=("child_protection_plan_start_date", "cp_plan_start_date", "plan_start_date"))
    initial_category: Series[str] = field(
        "Initial category of abuse NEGLECT/EMOTIONAL/PHYSICAL/SEXUAL/MULTIPLE (words, N/E/P/S/M and "
        "CIN census codes accepted). Invalid: null and flagged (breakdowns only).", "code",
        codes="abuse_category", isin=ABUSE_CATEGORIES, headers=("initial_category_of_abuse",))
    latest_category: Series[str] = field(
        "Latest category of abuse, as initial_category. Invalid: null and flagged.", "code",
        codes="abuse_category", isin=ABUSE_CATEGORIES, headers=("latest_category_of_abuse",))
    cpp_end_date: Series[str] = field(
        "Child Protection Plan End Date; empty while the plan is open. Invalid: row rejected (the "
        "plan would look open); before the start date: row rejected (end_before_start).", "date",
        on_invalid="reject",
        headers=("child_protection_plan_end_date", "cp_plan_end_date", "plan_end_date"))
    previous_cpp_count: Series[str] = field(
        "Number of previous child protection plans (a whole number). Invalid: null and flagged.",
        "int", headers=("number_of_previous_child_protection_plans", "previous_cp_plans"))

    @pa.check("cpp_start_date", "cpp_end_date", name="valid_date")
    def _valid_date(cls, s: Series[str]) -> Series[bool]:
        return _is_date(s)

    @pa.check("cpp_start_date", "cpp_end_date", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)

    @pa.check("previous_cpp_count", name="valid_integer")
    def _valid_int(cls, s: Series[str]) -> Series[bool]:
        return _is_int(s)

    @pa.dataframe_check(name="end_before_start")
    def _end_after_start(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df, "cpp_end_date", "cpp_start_date")


class Ssda903Header(_Base):
    """SSDA903 Header table: one row per looked-after child. UPN, MOTHER and MC_DOB are not loaded."""

    child: Series[str] = field(
        "CHILD, the child's id (record key). Missing: row rejected.", "id", on_invalid="reject", nullable=False,
        required=True)
    sex: Series[str] = field(
        "SEX: 1 male, 2 female. Invalid: null and flagged.", "code", codes="ssda903_sex",
        isin=SSDA903_SEX)
    dob: Series[str] = field(
        "DOB, date of birth (needed for ages). Invalid: null and flagged, the value masked in the "
        "data-quality report (personal data).", "date", required=True)
    ethnic: Series[str] = field(
        "ETHNIC, CIN census ethnicity code. Invalid: null and flagged.", "code",
        isin=ETHNICITY_CODES)

    @pa.check("dob", name="valid_date")
    def _valid_date(cls, s: Series[str]) -> Series[bool]:
        return _is_date(s)

    @pa.check("dob", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)


class Ssda903Episodes(_Base):
    """SSDA903 Episodes table: one row per episode of care. HOME_POST, PL_POST, URN not loaded."""

    child: Series[str] = field(
        "CHILD, the child's id. Missing: row rejected.", "id", on_invalid="reject", nullable=False, required=True)
    decom: Series[str] = field(
        "DECOM, date the episode started. Missing or invalid: row rejected.", "date",
        on_invalid="reject", nullable=False, required=True)
    rne: Series[str] = field(
        "RNE, reason for new episode (S L P T B U). Missing or invalid: row rejected, placement "
        "counts depend on it.", "code", on_invalid="reject", nullable=False, required=True, isin=SSDA903_RNE)
    ls: Series[str] = field(
        "LS, legal status (C1 ... V4). Missing or invalid: row rejected, short breaks (V3, V4) are "
        "excluded by it.", "code", on_invalid="reject", nullable=False, required=True, isin=SSDA903_LS)
    cin: Series[str] = field(
        "CIN, category of need N1-N8. Invalid: null and flagged.", "code", isin=SSDA903_CIN)
    place: Series[str] = field(
        "PLACE, placement type. Invalid: null and flagged (breakdown only).", "code",
        isin=SSDA903_PLACE)
    place_provider: Series[str] = field(
        "PLACE_PROVIDER, PR0-PR5. Invalid: null and flagged.", "code",
        isin=SSDA903_PLACE_PROVIDER)
    dec: Series[str] = field(
        "DEC, date the episode ceased; empty while open. Invalid: row rejected (the episode would "
        "look open); before DECOM: row rejected (end_before_start).", "date", on_invalid="reject")
    rec: Series[str] = field(
        "REC, reason episode ceased (X1, E11 ...). Invalid: null and flagged.", "code",
        isin=SSDA903_REC)
    reason_place_change: Series[str] = field(
        "REASON_PLACE_CHANGE, as recorded (upper-case).", "code")

    @pa.check("decom", "dec", name="valid_date")
    def _valid_date(cls, s: Series[str]) -> Series[bool]:
        return _is_date(s)

    @pa.check("decom", "dec", name="date_in_future")
    def _not_in_future(cls, s: Series[str]) -> Series[bool]:
        return _not_in_future(s)

    @pa.dataframe_check(name="end_before_start")
    def _end_after_start(cls, df: pd.DataFrame) -> Series[bool]:
        return _not_before(df, "dec", "decom")


# The extracts: raw table -> (model, the columns compared by end_before_start (end, start)).
MODELS: dict[str, type[_Base]] = {
    "mash_contacts": MashContacts,
    "merlin_notifications": MerlinNotifications,
    "annex_a_contacts": AnnexAContacts,
    "annex_a_referrals": AnnexAReferrals,
    "annex_a_cp_plans": AnnexACpPlans,
    "ssda903_header": Ssda903Header,
    "ssda903_episodes": Ssda903Episodes,
}
END_BEFORE_START: dict[str, tuple[str, str]] = {
    "mash_contacts": ("decided_at", "received_at"),
    "annex_a_cp_plans": ("cpp_end_date", "cpp_start_date"),
    "ssda903_episodes": ("dec", "decom"),
}
# Columns whose invalid values are masked in the data-quality report.
MASKED_COLUMNS = {"dob"}
# Annex A list number -> extract.
ANNEX_A_LISTS = {1: "annex_a_contacts", 3: "annex_a_referrals", 7: "annex_a_cp_plans"}


def columns(extract: str) -> dict[str, dict]:
    """The model's columns in order, each with its description and metadata."""
    schema = MODELS[extract].to_schema()
    return {name: {"description": col.description, **col.metadata}
            for name, col in schema.columns.items()}
