"""Primary and secondary suppression, worked by hand, and a property: no hidden count comes back."""

from hypothesis import given, strategies as st

from pipeline.report.suppression import Rule

RULE = Rule(1, 5)


def test_small_counts_are_one_to_five():
    assert [RULE.is_small(v) for v in (0, 1, 5, 6, None, float("nan"))] == \
        [False, True, True, False, False, False]


def test_ratios_hide_with_a_small_numerator_denominator_or_complement():
    assert RULE.hides_ratio(3, 200)       # numerator 3
    assert RULE.hides_ratio(4, 5)         # denominator 5
    assert RULE.hides_ratio(98, 100)      # 2 did not: 98% of 100 gives it back
    assert not RULE.hides_ratio(50, 100)
    assert not RULE.hides_ratio(0, 100)   # zero identifies nobody
    assert not RULE.hides_ratio(94, 100)  # complement 6
    # a rate's denominator is a population: only its numerator counts
    assert RULE.hides_indicator("rate_per_10k", 4, 60000, denominator_is_count=False)
    assert not RULE.hides_indicator("rate_per_10k", 40, 60000, denominator_is_count=False)
    assert RULE.hides_indicator("count", 5, None, denominator_is_count=False)


def test_one_small_cell_takes_the_next_smallest_with_it():
    # NEGLECT 150, EMOTIONAL 80, PHYSICAL 12, SEXUAL 3, MULTIPLE 7; total 252 shown
    # SEXUAL alone = 252 - 249, so the next smallest (MULTIPLE 7) goes too
    hide, hide_total = RULE.suppress_group([150, 80, 12, 3, 7])
    assert hide == [False, False, False, True, True] and not hide_total


def test_two_ones_are_recoverable_from_their_total():
    # 1 and 1 hidden: their total 2 = 2 x 1, so both are known; hide 38 as well (total 40)
    hide, hide_total = RULE.suppress_group([1, 1, 38, 160, 300, 500])
    assert hide == [True, True, True, False, False, False] and not hide_total
    # 2 and 3 hidden: total 5 splits as 1+4, 2+3, 3+2 or 4+1: no secondary needed
    hide, _ = RULE.suppress_group([2, 3, 38, 160])
    assert hide == [True, True, False, False]


def test_zero_is_never_the_secondary_cell_and_the_total_goes_when_nothing_else_can():
    hide, hide_total = RULE.suppress_group([5, 5, 0])  # 10 = 2 x 5: both known from the total
    assert hide == [True, True, False] and hide_total
    hide, hide_total = RULE.suppress_group([3, 0, 0])  # the total is 3 itself
    assert hide == [True, False, False] and hide_total
    assert RULE.suppress_group([10, 0, 7]) == ([False, False, False], False)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=8))
def test_no_single_hidden_count_can_be_recovered(counts):
    hide, hide_total = RULE.suppress_group(counts)
    for v, h in zip(counts, hide):
        if RULE.is_small(v):
            assert h
    hidden = [v for v, h in zip(counts, hide) if h]
    if hidden and not hide_total:
        # the total is shown: the hidden cells must not be recoverable from it
        assert len(hidden) >= 2
        assert not RULE.decomposable(hidden)
