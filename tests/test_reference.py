"""pipeline.reference: the published DfE/ONS files read into reference.*.

Expected values are read by hand from the files in ../shared/reference (file and row named beside
each literal), never taken from the code's output.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipeline import reference, warehouse
from pipeline.errors import InputError

C1_HEADER = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
             "region_name,old_la_code,new_la_code,la_name,category,referral_count,rereferral_count,"
             "rereferral_percent,no_further_action_count,no_further_action_percent")


@pytest.fixture(scope="module")
def loaded(reference_dir):
    con = warehouse.connect()
    summary = reference.load_reference(con, reference_dir)
    yield con, summary
    con.close()


def published(con, indicator_id, year, la_code=None, area_level="la", area_name=None):
    sql = ("select value, symbol, source_file from reference.published where indicator_id = ? "
           "and year_ending = ? and area_level = ?")
    params = [indicator_id, date(year, 3, 31), area_level]
    if la_code is not None:
        sql += " and la_code = ?"
        params.append(la_code)
    if area_name is not None:
        sql += " and lower(area_name) = ?"
        params.append(area_name.lower())
    rows = con.execute(sql, params).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_havering_2013_from_real_files(loaded):
    con, _ = loaded
    # bengoodair_csc_data/2013_SFR36_CLA2013.csv, row E09000016 (Havering): CLA_Mar2013 = 185,
    # CLA_3Pla = 26
    assert published(con, "cla_children", 2013, "311")[:2] == (185, None)
    assert published(con, "cla_3plus_placements_pct", 2013, "311")[0] == pytest.approx(
        100 * 26 / 185)
    # ONS file, row 2012 / Havering: 51,375 children (mid-2012 for the year ending March 2013)
    value, symbol, source = published(con, "cla_rate_per_10k", 2013, "311")
    assert value == pytest.approx(185 / 51375 * 10000) and symbol is None
    assert "2013_SFR36_CLA2013.csv" in source
    # d5 file, 2013 Havering: CPP_At31 = 122; d3 file, 2013 Havering: CPP_subsequent_percent 5.7
    assert published(con, "cp_children", 2013, "311")[0] == 122
    assert published(con, "cp_second_subsequent_pct", 2013, "311")[0] == 5.7
    assert published(con, "cp_plans_started", 2013, "311")[0] == 158
    # c1 file, 2013 Havering: referral_count 1362, rereferral_percent x, NFA 1.2 %
    assert published(con, "referrals", 2013, "311")[0] == 1362
    assert published(con, "referrals_rate_per_10k", 2013, "311")[0] == pytest.approx(
        1362 / 51375 * 10000)
    assert published(con, "rereferrals_12m_pct", 2013, "311")[:2] == (None, "x")
    assert published(con, "referrals_nfa_pct", 2013, "311")[0] == 1.2
    # 2013_SFR36_ADM2013.csv Havering CLA_started2013 = 99; 2013_SFR36_CEA2013.csv CLA_cease 100
    assert published(con, "cla_started", 2013, "311")[0] == 99
    assert published(con, "cla_ceased", 2013, "311")[0] == 100


def test_england_and_london_rows(loaded):
    con, _ = loaded
    # c1 2013 National: referral_count 593470; Regional E12000007 London: 84380
    assert published(con, "referrals", 2013, area_level="england")[0] == 593470
    assert published(con, "referrals", 2013, area_level="region", area_name="London")[0] == 84380
    # 2013_SFR36_CLA2013.csv: ENGLAND CLA_Mar2013 68110, CLA_3Pla 7540; LONDON (geog_c G) 10090
    assert published(con, "cla_children", 2013, area_level="england")[0] == 68110
    assert published(con, "cla_3plus_placements_pct", 2013, area_level="england")[0] == (
        pytest.approx(100 * 7540 / 68110))
    assert published(con, "cla_children", 2013, area_level="region",
                     area_name="London")[0] == 10090
    # Inner London is its own row, never merged into London (SFR geog_c H: 4440)
    assert published(con, "cla_children", 2013, area_level="region",
                     area_name="Inner London")[0] == 4440


def test_population_is_by_mid_year(loaded):
    con, _ = loaded
    rows = con.execute("select mid_year, population from reference.population "
                       "where la_code = '311' and mid_year in (2012, 2013) order by 1").fetchall()
    # ONS file rows 2012 and 2013 for Havering
    assert rows == [(2012, 51375), (2013, 52150)]


def test_latest_release_wins_where_releases_overlap(loaded):
    con, _ = loaded
    # Havering 2022 long-term stability: la_cla_placement_stability.csv (2021-2025 release) says
    # 62; the older post_2017_..._placement_stability_indicator.csv (2018-2022) says 64.
    value, _, source = published(con, "cla_long_term_stability_pct", 2022, "311")
    assert value == 62 and source.endswith("la_cla_placement_stability.csv")
    # The older release is still used for years only it has: 2018.
    assert "post_2017_data_la_cla" in published(con, "cla_long_term_stability_pct", 2018,
                                                "311")[2]


def test_statistical_neighbours_both_models(loaded):
    con, summary = loaded
    ranks = {m: [r[0] for r in con.execute(
        "select sn_la_code from reference.statistical_neighbours where model = ? and "
        "la_code = '311' order by rank", [m]).fetchall()] for m in ("2021", "2025")}
    # New_Statistical_Neighbour_Groupings_April_2021.csv, row 311
    assert ranks["2021"] == ["303", "887", "881", "351", "886", "883", "941", "866", "888", "882"]
    # sn_model_2025_wide.csv, row 311
    assert ranks["2025"] == ["303", "822", "883", "881", "886", "866", "941", "826", "887", "938"]
    assert summary["statistical_neighbour_models"] == ["2021", "2025"]


def test_summary_lists_ignored_files_and_absent_benchmarks(loaded):
    _, summary = loaded
    ignored = {f["file"]: f["reason"] for f in summary["ignored"]}
    assert ignored["README.md"] == "not a CSV file"
    assert "2013_SFR36_ADP2013.csv" in " ".join(ignored)
    assert "cpp_ended" in summary["absent"]
    shapes = {f["file"].rsplit("/", 1)[-1]: f["shape"] for f in summary["files"]}
    assert shapes["lait_sn_may_2025.csv"] == "sn_wide"
    assert shapes["2013_SFR36_CEA2013.csv"] == "sfr_ceased"


def test_la_names_and_london_flag(loaded):
    con, _ = loaded
    rows = dict(con.execute("select la_code, is_london from reference.local_authorities "
                            "where la_code in ('311', '881')").fetchall())
    assert rows == {"311": True, "881": False}


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_recognised_by_columns_not_name_and_symbols_kept(tmp_path):
    write(tmp_path / "sub" / "SYNTHETIC_anything.csv", C1_HEADER + "\n"
          "2020,Reporting year,National,E92000001,England,,,,,,R,1000,200,20,k,0.4\n"
          "2020,Reporting year,Local authority,E92000001,England,E13000002,Outer London,311,"
          "E09000016,Havering,R,c,x,..,5,:\n")
    con = warehouse.connect()
    summary = reference.load_reference(con, tmp_path)
    assert summary["files"][0]["shape"] == "c1"
    rows = con.execute("select area_level, indicator_id, value, symbol from reference.published "
                       "order by area_level, indicator_id").fetchall()
    assert rows == [
        ("england", "referrals", 1000.0, None),
        ("england", "referrals_nfa_pct", 0.4, None),
        ("england", "rereferrals_12m_pct", 20.0, None),
        ("la", "referrals", None, "c"),
        ("la", "referrals_nfa_pct", None, ":"),
        ("la", "rereferrals_12m_pct", None, ".."),
    ]
    # No population file: the rate is absent, and the summary says why.
    assert "population" in summary["absent"]["referral_rate_per_10k"]


def test_missing_column_raises_input_error_naming_file_and_columns(tmp_path):
    header = C1_HEADER.replace(",rereferral_percent", "")
    write(tmp_path / "c1_broken.csv", header + "\n2020,Reporting year,National,E92000001,England,"
          ",,,,,R,1000,200,40,4\n")
    with pytest.raises(InputError) as err:
        reference.load_reference(warehouse.connect(), tmp_path)
    assert "c1_broken.csv" in str(err.value) and "rereferral_percent" in str(err.value)
    assert err.value.file == "c1_broken.csv"


def test_unknown_text_in_a_value_raises_input_error(tmp_path):
    write(tmp_path / "c1.csv", C1_HEADER + "\n2020,Reporting year,National,E92000001,England,"
          ",,,,,R,many,200,20,4,0.4\n")
    with pytest.raises(InputError) as err:
        reference.load_reference(warehouse.connect(), tmp_path)
    assert (err.value.row, err.value.column) == (2, "referral_count")


def test_unrecognised_files_are_ignored_and_none_loads_nothing(tmp_path):
    write(tmp_path / "notes.csv", "a,b\n1,2\n")
    con = warehouse.connect()
    summary = reference.load_reference(con, tmp_path)
    assert summary["ignored"] == [{"file": "notes.csv", "reason": "columns not recognised"}]
    assert summary["rows"]["published"] == 0
    # A second load with no folder empties what an earlier one loaded.
    write(tmp_path / "c1.csv", C1_HEADER + "\n2020,Reporting year,National,E92000001,England,"
          ",,,,,R,1000,200,20,4,0.4\n")
    reference.load_reference(con, tmp_path)
    assert con.execute("select count(*) from reference.published").fetchone()[0] == 3
    summary = reference.load_reference(con, None)
    assert con.execute("select count(*) from reference.published").fetchone()[0] == 0
    assert summary["absent"]["cla_rate_per_10k"] == "no reference folder"
