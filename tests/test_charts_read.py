"""Charts that read at 1280 px (issue 15 §6), as figures; tests/e2e/test_issue15_e2e.py measures them in the browser."""

import pandas as pd

from scoring import charts


def test_counts_and_ranks_tick_in_whole_numbers():
    counts = pd.DataFrame({"grade": ["优秀", "良好"], "count": [1, 0]})
    fig = charts.grade_bar(counts, ["优秀", "良好"], {"优秀": "优秀", "良好": "良好"}, "zh")
    assert fig.layout.yaxis.dtick == 1  # one unit found: ticks 0, 1, not 0.2 steps
    trend = pd.DataFrame({"period": ["2026Q1", "2026Q2", "2026Q3"], "total": [80.0, 82.0, 85.0],
                          "rank_overall": [16, 5, 9], "grade": ["良好"] * 3})
    y2 = charts.trend_chart(trend, "en").layout.yaxis2
    assert y2.dtick == 3 and float(y2.dtick).is_integer() and y2.range[0] > y2.range[1]  # rank 1 on top


def test_the_monte_carlo_chart_explains_its_colours():
    df = pd.DataFrame({"unit_name": ["甲", "乙"], "rank": [1, 2], "rank_median": [1, 2], "rank_p05": [1, 1],
                       "rank_p95": [1, 3], "robust": [True, False]})
    names = [tr.name for tr in charts.caterpillar(df, "zh").data]
    assert names == ["抽样名次中位数（稳健）", "抽样名次中位数（敏感）", "正式名次"]


def test_the_floor_label_sits_beside_the_bars():
    df = pd.DataFrame({"unit_name": ["甲"], "score": [55.0], "suppressed": [False], "below_floor": [True]})
    [label] = charts.reverse_bar(df, 60, "zh").layout.annotations
    assert (label.xref, label.x, label.xanchor) == ("paper", 1, "left") and label.text == "底线 60 分"
