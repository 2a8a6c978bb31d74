"""Editing the model on the model page: the tree shown, and edits validated like a model file."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import model_edit
from scoring.model import ModelError, load_model, model_from_dict

MODEL = load_model()


def test_model_tree():
    tree = model_edit.model_tree(MODEL)
    assert list(tree["code"][:3]) == ["ECO", "ECO.FIN", "ECO01"] and tree["tree"].iloc[2].startswith("\u3000\u3000")
    assert (tree.loc[tree["formalism"], "effective"] == 0).all()
    for utype in MODEL.unit_types:
        sub = model_edit.model_tree(MODEL, utype)
        assert np.isclose(sub.loc[sub["kind"] == "indicator", "effective"].sum(), 1.0)
    assert "DUTY" not in set(model_edit.model_tree(MODEL, "乡镇街道")["code"])


def test_edited_model_roundtrip_and_validation():
    dims, tiers, scale = model_edit.model_tables(MODEL)
    tree = model_edit.model_tree(MODEL)
    same = model_from_dict(model_edit.edited_model_data(MODEL, dims, tree, tiers, scale))
    assert same.model_dump() == MODEL.model_dump()
    tree.loc[tree["code"] == "ECO01", "weight"] = 0.9
    dims.loc[dims["dimension"] == "mass", "weight"] = 0.5
    tiers.loc[0, "min"] = 70  # below 良好: tiers must strictly decrease
    with pytest.raises(ModelError) as err:
        model_from_dict(model_edit.edited_model_data(MODEL, dims, tree, tiers, scale))
    assert {p.where for p in err.value.problems} >= {"dimensions", "performance.ECO.FIN [乡镇街道]", "grades.tier"}
    problems = model_edit.problems_frame(err.value, "zh", MODEL)
    assert model_edit.problems_frame(err.value, "en", MODEL)["message"].str.contains("[a-z]").all()
    # located in words, not raw paths (issue 15 §5)
    assert {"维度权重", "实绩数据 › 财政收入（ECO.FIN） [乡镇街道]", "等次 › tier"} <= set(problems["where"])
    en = set(model_edit.problems_frame(err.value, "en", MODEL)["where"])
    assert "performance data › Fiscal revenue (ECO.FIN) [乡镇街道]" in en
    tree.loc[tree["code"] == "FOR01", "weight"] = 0.1
    with pytest.raises(ModelError) as err:
        model_from_dict(model_edit.edited_model_data(MODEL, dims, tree, tiers, scale))
    assert any("形式主义" in m for m in model_edit.problems_frame(err.value)["message"])


def test_edited_scale_and_tiers():
    dims, tiers, scale = model_edit.model_tables(MODEL)
    scale.loc[scale["label"] == "比较满意", "score"] = 75
    scale.loc[scale["label"] == "满意", "aliases"] = "非常满意，很满意、超满意"
    tiers.loc[1, "min"] = 85
    m = model_from_dict(model_edit.edited_model_data(MODEL, dims, model_edit.model_tree(MODEL), tiers, scale))
    assert m.survey.lookup["超满意"].label == "满意" and m.survey.lookup["较满意"].score == 75
    assert m.grades.tier[1].min == 85
