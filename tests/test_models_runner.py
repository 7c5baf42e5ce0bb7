"""The model runner: discovery, dependency order, errors, $as_of, and catalogue coverage."""

from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline import catalogue, models
from test_models_helpers import build, indicator, insert, new_warehouse

D = date
MART_MODELS = ("mart_front_door_indicators", "mart_referral_indicators",
               "mart_child_protection_indicators", "mart_looked_after_indicators")


def load_every_input(con, la_code="311"):
    """Two years of a little of everything, so that every indicator has rows."""
    t = datetime
    insert(con, "mash_contacts", [
        {"contact_id": "k1", "child_id": "a", "received_at": t(2015, 1, 5, 9), "source": "6",
         "merlin_id": "m1", "rag": "RED", "decided_at": t(2015, 1, 5, 10), "outcome": "NFA"},
        {"contact_id": "k2", "child_id": "b", "received_at": t(2016, 3, 5, 9), "source": "2A",
         "merlin_id": None, "rag": "GREEN", "decided_at": t(2016, 3, 6, 9),
         "outcome": "REFERRAL"},
    ], la_code=la_code, extract_date=D(2016, 3, 31))
    insert(con, "merlin_notifications", [
        {"merlin_id": "m1", "received_at": t(2015, 1, 4), "notification_type": "MISSING"},
    ], la_code=la_code, extract_date=D(2016, 3, 31))
    insert(con, "annex_a_referrals", [
        {"child_unique_id": "b", "date_of_referral": D(2015, 1, 6), "referral_nfa": False},
        {"child_unique_id": "b", "date_of_referral": D(2016, 3, 6), "referral_nfa": True},
    ], la_code=la_code, extract_date=D(2016, 3, 31))
    insert(con, "annex_a_cp_plans", [
        {"child_unique_id": "b", "cpp_start_date": D(2015, 1, 20), "cpp_end_date": D(2016, 2, 1),
         "latest_category": "NEGLECT", "previous_cpp_count": 0},
    ], la_code=la_code, extract_date=D(2016, 3, 31))
    insert(con, "ssda903_episodes", [
        {"child": "c", "decom": D(2013, 1, 1), "rne": "S", "ls": "C2", "place": "U1",
         "dec": None, "rec": None},
    ], la_code=la_code, extract_date=D(2016, 3, 31))
    insert(con, "ssda903_header", [{"child": "c", "sex": "2", "dob": D(2008, 1, 1)}],
           la_code=la_code, extract_date=D(2016, 3, 31))
    for mid_year in range(2011, 2016):
        con.execute("insert into reference.population values ('la', ?, 'Test', ?, 30000)",
                    [la_code, mid_year])


@pytest.fixture(scope="module")
def full():
    con = new_warehouse()
    load_every_input(con)
    built = build(con)
    return con, built


def test_every_catalogue_indicator_and_window_is_emitted(full):
    con, _ = full
    emitted = set(con.execute('select distinct indicator_id, "window" from marts.indicators')
                  .fetchall())
    expected = {(i.id, w) for i in catalogue.load() for w in i.windows}
    assert emitted == expected
    assert {i for i, _ in emitted} == set(catalogue.by_id())


def test_each_indicator_is_defined_in_the_mart_the_catalogue_names(full):
    con, _ = full
    owners: dict[str, set[str]] = {}
    for model in MART_MODELS:
        for (indicator_id,) in con.execute(f"select distinct indicator_id from marts.{model}") \
                .fetchall():
            owners.setdefault(indicator_id, set()).add(model)
    assert owners == {i.id: {i.model} for i in catalogue.load()}


def test_one_row_per_council_indicator_month_and_window(full):
    con, _ = full
    duplicates = con.execute(
        'select count(*) from (select la_code, indicator_id, period_end, "window", count(*) as n '
        'from marts.indicators group by all having n > 1)').fetchone()[0]
    assert duplicates == 0


def test_build_order_puts_dependencies_first(full):
    _, built = full
    position = {table: i for i, table in enumerate(built)}
    for table, model in models.discover(models.default_sql_dir()).items():
        for dependency in model.depends_on - set(models.SEEDS):
            assert position[dependency] < position[table], (dependency, table)
    assert built[-2:] == ["marts.indicators", "marts.indicator_availability"]


def test_availability_names_missing_inputs():
    con = new_warehouse()
    # council 999 has CP plans only
    insert(con, "annex_a_cp_plans", [
        {"child_unique_id": "x", "cpp_start_date": D(2015, 1, 1), "cpp_end_date": None},
    ], la_code="999", extract_date=D(2016, 3, 31))
    build(con)
    rows = dict(((i, (a, r)) for i, a, r in con.execute(
        "select indicator_id, is_available, reason from marts.indicator_availability "
        "where la_code = '999'").fetchall()))
    assert set(rows) == set(catalogue.by_id())
    assert rows["cp_children"] == (True, None)
    assert rows["mash_contacts"] == (False, "no MASH contacts log loaded for this council")
    assert rows["merlin_notifications"] == (
        False, "no MERLIN notifications log loaded for this council")
    assert rows["cla_long_term_stability_pct"] == (
        False, "no SSDA903 episodes loaded for this council; "
               "no SSDA903 header loaded for this council")
    # Jan 2015 .. Mar 2016 need mid-2014 and mid-2015, neither loaded
    assert rows["cp_rate_per_10k"] == (False, "no ONS population for mid-2014, mid-2015")
    # no MASH indicator has a zero in its place
    assert con.execute("select count(*) from marts.indicators where la_code = '999' "
                       "and indicator_id like 'mash%'").fetchone()[0] == 0


def test_availability_too_little_history():
    con = new_warehouse()
    insert(con, "ssda903_episodes", [
        {"child": "c", "decom": D(2016, 1, 1), "rne": "S", "ls": "C2", "dec": None},
    ], extract_date=D(2016, 3, 31))
    build(con)
    available, reason = con.execute(
        "select is_available, reason from marts.indicator_availability "
        "where indicator_id = 'cla_3plus_placements_pct'").fetchone()
    assert (available, reason) == (
        False, "fewer than 12 months of data loaded, so no complete 12-month window")


def test_as_of_caps_the_month_spine():
    con = new_warehouse()
    load_every_input(con)
    build(con, as_of=D(2015, 12, 31))
    first, last = con.execute(
        "select min(period_end), max(period_end) from intermediate.int_months").fetchone()
    # the first event is the SSDA903 episode of 2013-01-01
    assert (first, last) == (D(2013, 1, 31), D(2015, 12, 31))
    assert indicator(con, "cla_children", D(2016, 3, 31), "snapshot") is None
    assert indicator(con, "cla_children", D(2015, 12, 31), "snapshot") == (1, None, 1)


def test_as_of_in_mid_month_means_that_month():
    con = new_warehouse()
    load_every_input(con)
    build(con, as_of=D(2015, 6, 15))
    assert con.execute("select max(period_end) from intermediate.int_months").fetchone()[0] \
        == D(2015, 6, 30)


def test_last_complete_month_without_as_of():
    con = new_warehouse()
    # data to 2016-03-14 and no extract date: March is not complete, so February is the last
    insert(con, "annex_a_referrals", [
        {"child_unique_id": "a", "date_of_referral": D(2016, 1, 3)},
        {"child_unique_id": "b", "date_of_referral": D(2016, 3, 14)},
    ])
    build(con)
    assert con.execute("select min(period_end), max(period_end) from intermediate.int_months") \
        .fetchone() == (D(2016, 1, 31), D(2016, 2, 29))


def test_councils_are_kept_apart():
    con = new_warehouse()
    load_every_input(con, la_code="311")
    load_every_input(con, la_code="312")
    build(con)
    for la in ("311", "312"):
        assert indicator(con, "cla_children", D(2016, 3, 31), "snapshot", la_code=la) == (
            1, None, 1)
        assert indicator(con, "mash_contacts", D(2016, 3, 31), "r12", la_code=la) == (
            1, None, 1)


def test_staging_renames_to_business_names(full):
    con, _ = full
    columns = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'staging' "
        "and table_name = 'stg_ssda903_episodes' order by ordinal_position").fetchall()]
    for name in ("child_id", "episode_start_date", "episode_end_date", "reason_new_episode",
                 "legal_status", "placement_type", "reason_episode_ceased", "is_short_break"):
        assert name in columns


def test_indicators_table_has_the_contract_columns(full):
    con, _ = full
    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = "
        "'marts' and table_name = 'indicators' order by ordinal_position").fetchall()
    assert columns == [("la_code", "VARCHAR"), ("indicator_id", "VARCHAR"),
                       ("period_end", "DATE"), ("window", "VARCHAR"), ("numerator", "DOUBLE"),
                       ("denominator", "DOUBLE"), ("value", "DOUBLE")]


def test_every_model_file_has_the_house_shape():
    for model in models.discover(models.default_sql_dir()).values():
        lines = model.sql.splitlines()
        assert lines[-1] == "select * from final", model.path
        assert any(line.startswith("with") for line in lines), model.path


# --- the runner on small hand-made model folders ---

def write_models(root: Path, files: dict[str, str]) -> Path:
    for name, sql in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    return root


def test_runner_orders_by_references(tmp_path):
    sql_dir = write_models(tmp_path, {
        "marts/b.sql": "select n + 1 as n from intermediate.a",
        "intermediate/a.sql": "select n * 2 as n from staging.s",
        "staging/s.sql": "-- reads marts.b only in this comment\nselect 20 as n",
    })
    con = new_warehouse()
    assert models.build(con, sql_dir) == ["staging.s", "intermediate.a", "marts.b"]
    assert con.execute("select n from marts.b").fetchone() == (41,)


def test_runner_binds_as_of(tmp_path):
    sql_dir = write_models(tmp_path, {"staging/s.sql": "select cast($as_of as date) as d"})
    con = new_warehouse()
    models.build(con, sql_dir, as_of=D(2016, 3, 31))
    assert con.execute("select d from staging.s").fetchone() == (D(2016, 3, 31),)


@pytest.mark.parametrize("files, message", [
    ({"staging/s.sql": "select * from staging.missing"}, "which no model file defines"),
    ({"staging/a.sql": "select * from staging.b", "staging/b.sql": "select * from staging.a"},
     "cycle"),
    ({"staging/Bad-Name.sql": "select 1"}, "not a valid table name"),
    ({"staging/s.sql": "select * from marts.m", "marts/m.sql": "select 1 as n"},
     "from a later layer"),
    ({"staging/s.sql": "select no_such_column from raw.mash_contacts"}, "s.sql failed"),
])
def test_runner_errors_name_the_model(tmp_path, files, message):
    sql_dir = write_models(tmp_path, files)
    with pytest.raises(models.ModelError, match=message):
        models.build(new_warehouse(), sql_dir)


def test_runner_needs_models(tmp_path):
    with pytest.raises(models.ModelError, match="no model files"):
        models.build(new_warehouse(), tmp_path)


def test_default_sql_dir_is_the_repository_sql_folder():
    assert models.default_sql_dir() == Path(models.__file__).resolve().parents[1] / "sql"


def test_months_before_the_first_files_window_are_not_computed():
    """An Annex A List 3 of 2016-01-31 covers Feb 2015 .. Jan 2016: an older referral in it does not
    open the spine earlier (the list would undercount those months)."""
    con = new_warehouse()
    insert(con, "annex_a_referrals", [
        {"child_unique_id": "a", "date_of_referral": D(2014, 6, 3), "referral_nfa": False},
        {"child_unique_id": "b", "date_of_referral": D(2015, 3, 9), "referral_nfa": False},
    ], extract_date=D(2016, 1, 31))
    con.execute("insert into meta.loaded_files (file_sha256, source_file, la_code, extract, "
                "extract_date) values ('x', 'annex_a_2016-01-31.xlsx', '311', "
                "'annex_a_referrals', '2016-01-31')")
    build(con)
    first = con.execute("select min(period_end) from marts.indicators "
                        "where indicator_id = 'referrals'").fetchone()[0]
    # 2016-01-31 less 11 months is 2015-02-28: February 2015 is the first whole month covered
    assert first == D(2015, 2, 28)
    assert indicator(con, "referrals", D(2015, 3, 31), "month") == (1, None, 1)
