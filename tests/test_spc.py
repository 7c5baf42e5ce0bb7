"""XmR limits and Making Data Count rules against examples worked out by hand."""

import pytest

from pipeline.report.spc import xmr


def rules_at(chart, i):
    return {rule for rule, _side in chart.signals[i]}


def test_limits_and_a_point_outside_them():
    # x = 5 7 6 8 6 7 20; sum 59, mean 59/7 = 8.428571
    # moving ranges 2 1 2 2 1 13, sum 21, mean 3.5
    # limits 8.428571 +/- 2.66 x 3.5 = 8.428571 +/- 9.31 -> 17.738571 and -0.881429
    chart = xmr([5, 7, 6, 8, 6, 7, 20])
    assert chart.mean == pytest.approx(8.428571, abs=1e-6)
    assert list(chart.moving_ranges) == [2, 1, 2, 2, 1, 13]
    assert chart.mean_moving_range == pytest.approx(3.5)
    assert chart.upper == pytest.approx(17.738571, abs=1e-6)
    assert chart.lower == pytest.approx(-0.881429, abs=1e-6)
    assert chart.signals[6] == {("outside", "high")}
    # six points below the mean are one short of a shift: no signal before the last point
    assert all(not s for s in chart.signals[:6])
    assert chart.latest_variation("lower_is_better") == "concern"
    assert chart.latest_variation("higher_is_better") == "improvement"
    assert chart.latest_variation("context") == "neither"
    assert chart.point_variation(0, "lower_is_better") == "common"
    assert chart.latest_rules() == ["outside"]


def test_shift_of_seven_points_below_the_mean():
    # x = 1 x7, 5 x3: mean 22/10 = 2.2; moving ranges 0 0 0 0 0 0 4 0 0, mean 4/9 = 0.4444
    # upper limit 2.2 + 2.66 x 0.4444 = 3.3822: the three 5s are outside it
    chart = xmr([1] * 7 + [5] * 3)
    assert chart.upper == pytest.approx(2.2 + 2.66 * 4 / 9)
    for i in range(7):
        assert ("shift", "low") in chart.signals[i]
    # points beyond a limit are also beyond two thirds of the way to it
    for i in range(7, 10):
        assert chart.signals[i] == {("outside", "high"), ("two_of_three", "high")}
    assert chart.point_variation(0, "higher_is_better") == "concern"


def test_point_on_the_mean_breaks_a_run():
    # x = 1 1 1 4 1 1 1 10 10 10 4 4: sum 6 + 12 + 30 = 48, mean 4, so the 4s sit on the mean
    # and the seven points below it are split 3 + 3
    chart = xmr([1, 1, 1, 4, 1, 1, 1, 10, 10, 10, 4, 4])
    assert chart.mean == pytest.approx(4.0)
    assert not any("shift" in rules_at(chart, i) for i in range(12))


def test_trend_of_six_rising_points_but_not_five():
    # 1 2 3 4 5 6 then 3: five rises make six increasing points (indices 0-5)
    chart = xmr([1, 2, 3, 4, 5, 6, 3])
    assert all(("trend", "high") in chart.signals[i] for i in range(6))
    assert "trend" not in rules_at(chart, 6)
    chart = xmr([1, 2, 3, 4, 5, 3, 3])  # only five increasing points
    assert not any("trend" in rules_at(chart, i) for i in range(7))
    chart = xmr([9, 8, 7, 6, 5, 4])
    assert all(("trend", "low") in chart.signals[i] for i in range(6))


def test_two_of_three_near_the_upper_limit():
    # x = 10 x6, 13, 10, 13 (9 points): sum 96, mean 10.6667
    # moving ranges 0 0 0 0 0 3 3 3: mean 9/8 = 1.125; 2.66 x 1.125 = 2.9925
    # upper limit 13.6592 (so 13 is inside); two thirds of the way: 10.6667 + 1.995 = 12.6617
    # the 13s at indices 6 and 8 are beyond it, within three consecutive points
    chart = xmr([10] * 6 + [13, 10, 13])
    assert chart.upper == pytest.approx(96 / 9 + 2.9925)
    assert chart.signals[6] == {("two_of_three", "high")}
    assert chart.signals[8] == {("two_of_three", "high")}
    assert chart.signals[7] == set()
    assert all(not s for s in chart.signals[:6])  # six points below the mean: no shift


def test_needs_two_points_and_no_gaps():
    with pytest.raises(ValueError):
        xmr([3])
    with pytest.raises(ValueError):
        xmr([1, float("nan"), 2])
