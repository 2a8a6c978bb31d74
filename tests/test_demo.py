"""The demo data set, read back from the xlsx files it writes: the rules it must show are there."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scoring.demo import PERIODS, write_demo
from scoring.model import load_model

MODEL = load_model()
SCORES = {a.label: a.score for a in MODEL.survey.answer if not a.unknown}
SPELLINGS = {s: a.label for a in MODEL.survey.answer for s in (a.label, *a.aliases)}
ITEMS = [i.name for i in MODEL.survey.item]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out)
    return out


def read(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, engine="calamine")


def cells(path: Path) -> dict[str, list[list]]:
    """Every sheet's cell values, header row included, blanks as None."""
    sheets = pd.read_excel(path, header=None, sheet_name=None, engine="calamine")
    return {name: df.astype(object).where(df.notna(), None).values.tolist() for name, df in sheets.items()}


def indicator_files(demo: Path, period: str) -> list[Path]:
    return sorted(demo.glob(f"{period}_indicators_*.xlsx"))


def test_same_seed_same_cells(demo, tmp_path):
    again = write_demo(tmp_path)
    assert sorted(p.name for p in again) == sorted(p.name for p in demo.glob("*.xlsx"))
    for path in again:
        assert cells(path) == cells(demo / path.name), path.name


def test_roster_and_files(demo):
    units = read(demo / "units.xlsx")
    assert list(units.columns) == ["单位编码", "单位名称", "单位类型", "考核组别"]
    assert len(units) == 36 and units["单位编码"].is_unique and units["单位名称"].is_unique
    assert units.groupby(["单位类型", "考核组别"]).size().to_dict() == {
        ("乡镇街道", "城区街道"): 12, ("乡镇街道", "农业乡镇"): 12, ("市直部门", "市直部门"): 12}
    assert set(units["考核组别"]) == {g.name for g in MODEL.group}
    for period in PERIODS:
        for kind in ("survey", "compliance", "reverse"):
            assert (demo / f"{period}_{kind}.xlsx").exists()
        assert len(indicator_files(demo, period)) >= 2
    assert sum(p.stat().st_size for p in demo.iterdir()) < 10_000_000


@pytest.mark.parametrize("period", PERIODS)
def test_survey(demo, period):
    df = read(demo / f"{period}_survey.xlsx")
    assert list(df.columns) == ["问卷编号", "单位编码", "受访者类别", "调查方式", "答题时长", *ITEMS]
    per_unit = df.groupby("单位编码")["问卷编号"].nunique()
    assert len(per_unit) == 36 and per_unit.between(80, 150).all()
    assert set(df["受访者类别"]) == set(MODEL.survey.respondent_groups)
    assert set(df["调查方式"]) == {"电话", "入户", "网络"}
    answers = df[ITEMS].stack().dropna()
    assert answers.isin(list(SPELLINGS)).all(), "only the scale and its aliases"
    assert (~answers.isin([a.label for a in MODEL.survey.answer])).sum() >= 1, "a Likert variant"
    assert 0 < df[ITEMS].isna().sum().sum() < 20
    labels = df[ITEMS].apply(lambda c: c.map(SPELLINGS))
    assert 0.01 < (labels == "不了解").to_numpy().mean() < 0.08
    # the bad rows the screens must catch: a duplicated id, a few straight-liners, but rare
    assert df["问卷编号"].duplicated().sum() >= 1
    scores = labels.apply(lambda c: c.map(SCORES))
    straight = (scores.notna().sum(axis=1) >= MODEL.survey.straight_lining_min_items) & (scores.nunique(axis=1) == 1)
    assert 2 <= straight.sum() < 0.04 * len(df)
    # the two careless respondents answered in seconds, the genuine ones (all-满意 too) in minutes
    fast = df["答题时长"] < MODEL.survey.straight_lining_seconds_per_item * len(ITEMS)
    assert 2 <= fast.sum() <= 4 and (fast <= straight).all() and df.loc[straight & ~fast, "答题时长"].min() > 60


def test_satisfaction_is_plausible_and_moves(demo):
    means = {}
    for period in PERIODS:
        df = read(demo / f"{period}_survey.xlsx")
        scores = df[ITEMS].apply(lambda c: c.map(SPELLINGS).map(SCORES))
        means[period] = scores.mean(axis=1).groupby(df["单位编码"]).mean()
    means = pd.DataFrame(means)
    assert means.stack().between(60, 98).all()
    assert (means.max(axis=1) - means.min(axis=1)).max() > 5, "some unit drifts over the quarters"


@pytest.mark.parametrize("period", PERIODS)
def test_indicators_merge_cleanly_and_respect_applies_to(demo, period):
    units = read(demo / "units.xlsx").set_index("单位编码")
    names = {i.name: i.code for i in (*MODEL.indicators.values(), *MODEL.burden_measures.values())}
    seen: dict[tuple[str, str], str] = {}
    missing = 0
    for path in indicator_files(demo, period):
        df = read(path)
        assert list(df.columns[:2]) == ["单位编码", "单位名称"]
        assert set(df.columns[2:]) <= set(names), path.name
        for _, row in df.iterrows():
            utype = units.at[row["单位编码"], "单位类型"]
            assert row["单位名称"] == units.at[row["单位编码"], "单位名称"]
            for col in df.columns[2:]:
                key = (row["单位编码"], names[col])
                assert key not in seen, f"{key} in {seen.get(key)} and {path.name}"
                seen[key] = path.name
                burden = MODEL.burden_measures.get(names[col])
                applies = utype in burden.applies_to if burden else MODEL.applies(names[col], utype)
                if not applies:
                    assert pd.isna(row[col]), f"{col} does not apply to {utype}"
                elif pd.isna(row[col]):
                    missing += 1
    assert {code for _, code in seen} == set(MODEL.indicators) | set(MODEL.burden_measures), "every indicator is provided"
    assert 1 <= missing <= 2


def test_formalism_columns_present_and_anti_correlated(demo):
    formalism = [i.name for i in MODEL.indicators.values() if MODEL.is_formalism(i.code)]
    assert {"台账页数", "会议次数"} <= set(formalism)
    frames = []
    for period in PERIODS:
        merged = None
        for path in indicator_files(demo, period):
            df = read(path).drop(columns="单位名称").set_index("单位编码")
            merged = df if merged is None else merged.join(df, how="outer")
        assert set(formalism) <= set(merged.columns)
        assert merged[formalism].notna().all().all()
        frames.append(merged)
    data = pd.concat(frames)
    for name in formalism:
        assert data[name].corr(data["信访积案化解率"]) < -0.1, f"{name} goes with weak units"


def test_compliance_veto_and_bonuses(demo):
    items = [i.name for i in MODEL.compliance.item]
    levels = set(MODEL.adjustments.bonus_levels)
    vetoes, bonuses = [], []
    for period in PERIODS:
        df = read(demo / f"{period}_compliance.xlsx")
        assert list(df.columns) == ["单位编码", *items, "加分", "扣分", "一票否决", "说明"]
        assert len(df) == 36
        counted = [i.name for i in MODEL.compliance.item if i.per_violation]
        statuses = df[[i for i in items if i not in counted]].stack()
        assert statuses.isin(["通过", "部分", "未通过"]).all()
        assert (statuses == "通过").mean() > 0.8
        assert df["扣分"].dropna().isin(list(MODEL.adjustments.deduction_levels.values())).all()
        vetoes += [(period, u, r) for u, r in df[["单位编码", "一票否决"]].dropna().itertuples(index=False)]
        bonuses += df["加分"].dropna().tolist()
    assert ("2026Q2", "XZ03", "发生较大生产安全事故") in vetoes
    assert ("2026Q3", "JD05", "拆迁安置改革试点引发集体上访") in vetoes
    assert all(set(b.split("、")) <= levels for b in bonuses)
    assert any("、" in b for b in bonuses), "a practice promoted at two levels"
    accidents = read(demo / "2026Q2_indicators_yingji.xlsx").set_index("单位编码").at["XZ03", "生产安全事故起数"]
    assert accidents >= 1


def test_reverse_suppression_and_low_department(demo):
    units = read(demo / "units.xlsx")
    towns = set(units.loc[units["单位类型"] == "乡镇街道", "单位编码"])
    depts = set(units.loc[units["单位类型"] == "市直部门", "单位名称"])
    suppressed, low = set(), set()
    for period in PERIODS:
        df = read(demo / f"{period}_reverse.xlsx")
        assert list(df.columns) == ["评议单位", "被评部门", *MODEL.reverse.criteria]
        assert set(df["评议单位"]) <= towns and set(df["被评部门"]) == depts
        answers = df[list(MODEL.reverse.criteria)]
        assert answers.stack().isin(list(SPELLINGS)).all()
        raters = df.groupby("被评部门")["评议单位"].nunique()
        suppressed |= {(period, d) for d, n in raters.items() if n < MODEL.reverse.min_raters}
        score = answers.apply(lambda c: c.map(SCORES)).mean(axis=1).groupby(df["被评部门"]).mean()
        low |= set(score[score < MODEL.reverse.excellent_floor].index)
    assert len(suppressed) == 1
    assert len(low) == 1



def test_committed_files_are_current(demo):
    """data/demo/ is what the generator writes; regenerate it after changing the model or the generator."""
    committed = Path(__file__).resolve().parent.parent / "data" / "demo"
    assert sorted(p.name for p in committed.glob("*.xlsx")) == sorted(p.name for p in demo.glob("*.xlsx"))
    for path in demo.glob("*.xlsx"):
        assert cells(committed / path.name) == cells(path), f"regenerate data/demo: {path.name} differs"


def test_burden_violations_and_exemptions(demo):
    """The 减负 and 容错纠错 rules at work (issue 13 §9, §10): departments report burden reduction
    (forms merged, meetings and documents cut against the plan) and count 精文简会 violations (a
    formalism-looking column the model scores because it marks it substantive); two quarters carry
    approved exemptions: a deduction, a veto and a violation item waived."""
    units = read(demo / "units.xlsx").set_index("单位编码")
    depts = units.index[units["单位类型"] == "市直部门"]
    item = next(i for i in MODEL.compliance.item if i.per_violation)
    assert item.substantive and __import__("scoring.formalism").formalism.match(item.name)
    violations = []
    for period in PERIODS:
        comp = read(demo / f"{period}_compliance.xlsx").set_index("单位编码")
        assert comp.loc[depts, item.name].notna().all() and comp.loc[~comp.index.isin(depts), item.name].isna().all()
        violations += comp.loc[depts, item.name].tolist()
        ducha = read(demo / f"{period}_indicators_ducha.xlsx").set_index("单位编码")
        burden = [m.name for m in MODEL.burden_measures.values()]
        assert ducha.loc[depts, burden].notna().all().all() and ducha.loc[~ducha.index.isin(depts), burden].isna().all().all()
    assert 0 < sum(v > 0 for v in violations) < len(violations) / 2
    files = sorted(p.name for p in demo.glob("*_exemptions.xlsx"))
    assert files == ["2026Q1_exemptions.xlsx", "2026Q3_exemptions.xlsx"]
    ex = read(demo / "2026Q3_exemptions.xlsx")
    assert list(ex.columns) == ["单位编码", "容错事项", "容错理由", "批准文号", "批准日期"]
    assert set(ex["容错事项"]) == {"一票否决", item.name} and ex["批准文号"].str.contains("示考容").all()
