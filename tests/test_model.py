"""The model file: typed loading and validation that reports every problem at once."""

import tomllib

import pytest

from scoring.model import ModelError, default_model_toml, load_model, model_from_dict


def default_dict():
    return tomllib.loads(default_model_toml().decode("utf-8"))


def problems(data):
    with pytest.raises(ModelError) as err:
        model_from_dict(data)
    return [str(p) for p in err.value.problems]


def test_default_model_loads():
    m = load_model()
    assert m.weights == {"mass": 0.4, "performance": 0.4, "compliance": 0.2}
    assert 10 <= len(m.scored_indicators) <= 16
    assert 5 <= len(m.compliance.item) <= 8
    assert m.tier_labels() == ["优秀", "良好", "一般", "较差"]
    assert all(m.is_formalism(c) for c in ("FOR01", "FOR02"))


def test_round_trip_through_toml():
    m = load_model()
    again = model_from_dict(tomllib.loads(m.to_toml()))
    assert again == m


def test_every_problem_reported_at_once():
    d = default_dict()
    d["dimensions"]["mass"] = 0.5  # sums to 1.1
    d["performance"]["indicator"][0]["weight"] = 0.7  # ECO.FIN children sum to 1.1
    d["performance"]["indicator"][-1]["weight"] = 0.1  # formalism indicator with a weight
    found = problems(d)
    assert any("dimensions" in p for p in found)
    assert any("ECO.FIN" in p for p in found)
    assert any("FOR02" in p and "formalism" in p for p in found)
    assert len(found) >= 3


def test_unknown_keys_and_missing_method_params_rejected():
    d = default_dict()
    d["model"]["colour"] = "red"
    d["performance"]["indicator"][2].pop("target")  # ECO03 uses target
    found = problems(d)
    assert any("colour" in p and "unknown key" in p for p in found)
    assert any("ECO03" in p and "target" in p for p in found)


def test_negative_weight_rejected():
    d = default_dict()
    d["dimensions"]["compliance"] = -0.2
    d["dimensions"]["mass"] = 0.8
    assert any("compliance" in p for p in problems(d))


def test_formalism_named_indicator_needs_an_explicit_reason():
    d = default_dict()
    d["performance"]["indicator"][0]["name"] = "召开会议次数"
    found = problems(d)
    assert any("ECO01" in p and "substantive" in p for p in found)
    d["performance"]["indicator"][0]["substantive"] = "counts council hearings required by law"
    assert model_from_dict(d).indicators["ECO01"].substantive


def test_unit_type_specific_siblings_checked_per_type():
    d = default_dict()
    # DUTY (departments only) children: DEP01 0.6, DEP02 0.4 -> break it
    for i in d["performance"]["indicator"]:
        if i["code"] == "DEP02":
            i["weight"] = 0.5
    assert any("DUTY" in p and "市直部门" in p for p in problems(d))


def test_toml_syntax_error_is_readable(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text("[model\nname=1", encoding="utf-8")
    with pytest.raises(ModelError) as err:
        load_model(bad)
    assert "TOML" in str(err.value)


def test_copies_recompute_derived_views():
    m = load_model()
    assert m.weights["mass"] == 0.4
    changed = m.model_copy(update={"dimensions": m.dimensions.model_copy(update={"mass": 0.5, "compliance": 0.1})})
    assert changed.weights == {"mass": 0.5, "performance": 0.4, "compliance": 0.1}
    assert m.weights["mass"] == 0.4


def test_model_strings_are_capped_and_may_not_start_like_a_formula_or_hold_control_characters():
    """Every string of a model is shown in the dashboard and written into workbooks (issue 10 §3):
    a leading = + - @, a control or invisible character, or an overlong text is a located problem."""
    data = tomllib.loads(default_model_toml().decode("utf-8"))
    data["model"]["name"] = "示范\u202e模型"
    data["survey"]["item"][0]["name"] = '=HYPERLINK("http://host/x","点此")'
    data["grades"]["tier"][0]["label"] = "@优秀"
    data["group"][0]["name"] = "组" * 201
    data["survey"]["respondent_groups"] = {"+群众": 0.55, "企业": 0.15, "服务对象": 0.30}
    with pytest.raises(ModelError) as err:
        model_from_dict(data)
    where = {p.where: p.message_en for p in err.value.problems}
    assert "control or invisible" in where["model.name"]
    assert "formula" in where["survey.item[0].name"] and "formula" in where["grades.tier[0].label"]
    assert "too long" in where["group[0].name"]
    assert "formula" in where["survey.respondent_groups.+群众 (key)"]
    ok = tomllib.loads(default_model_toml().decode("utf-8"))
    ok["model"]["name"] = "![b](http://host/beacon) 与 $x^2$"  # markup is shown as text, not refused
    model_from_dict(ok)
