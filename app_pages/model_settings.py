"""模型设置 Model: the indicator tree with weights; edit, validate, save as a new version, download, upload."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.model import Direction, Method, ModelError, model_from_dict, model_from_toml

L = ui.lang()
st.title(ui.tr("model.title"))
versions = dict(ui.model_versions())
path = st.selectbox(ui.tr("model.version"), list(versions)[::-1], key="model_file", format_func=versions.get)
model = ui.model_version(path)
active = ui.active_model()
st.caption(ui.tr("model.caption", name=model.model.name, version=model.model.version, active=active.model.version))

types = list(model.unit_types)
utype = st.segmented_control(ui.tr("model.unit_type"), types, default=types[0], key="model_type") or types[0]
tree = views.model_tree(model)
left, right = st.columns([2, 3])
left.plotly_chart(charts.sunburst(views.model_tree(model, utype), L), key="sunburst")
dims, tiers, scale = views.model_tables(model)
with right:
    st.markdown(f"**{ui.tr('model.dimensions')}**")
    dims.insert(0, "name", [ui.tr(f"dim.{d}") for d in dims["dimension"]])
    dims = st.data_editor(dims, hide_index=True, key=f"ed_dims_{path}", disabled=["name"], column_order=["name", "weight"],
                          column_config={"name": st.column_config.TextColumn(ui.tr("col.dimension")),
                                         "weight": st.column_config.NumberColumn(ui.tr("col.weight"), min_value=0.0,
                                                                                 max_value=1.0, step=0.01, format="%.2f")})
    st.markdown(f"**{ui.tr('model.grades')}**")
    tiers = st.data_editor(tiers, hide_index=True, key=f"ed_tiers_{path}", num_rows="dynamic",
                           column_config={"label": ui.tr("col.grade"), "label_en": ui.tr("col.label_en"),
                                          "min": st.column_config.NumberColumn(ui.tr("col.min"), min_value=0, max_value=100),
                                          "quota": st.column_config.NumberColumn(ui.tr("col.quota"), min_value=0.0, max_value=1.0)})

st.markdown(f"**{ui.tr('model.tree')}**")
st.caption(ui.tr("model.tree_caption"))
methods = [m.value for m in Method]
tree = st.data_editor(
    tree, hide_index=True, key=f"ed_tree_{path}", height=min(38 + 35 * len(tree), 640),
    column_order=["tree", "code", "weight", "effective", "method", "direction", "unit", "satisfactory", "unacceptable",
                  "target", "cap", "floor", "lower", "upper", "tolerance", "applies_to", "formalism"],
    disabled=["tree", "code", "effective", "applies_to", "formalism"],
    column_config={"tree": st.column_config.TextColumn(ui.tr("col.tree"), width="medium"),
                   "code": ui.tr("col.code"), "weight": st.column_config.NumberColumn(ui.tr("col.weight"), min_value=0.0, format="%.3f"),
                   "effective": st.column_config.NumberColumn(ui.tr("col.effective"), format="percent"),
                   "method": st.column_config.SelectboxColumn(ui.tr("col.method"), options=methods),
                   "direction": st.column_config.SelectboxColumn(ui.tr("col.direction"), options=[d.value for d in Direction]),
                   "unit": ui.tr("col.unit"), "satisfactory": ui.tr("col.satisfactory"),
                   "unacceptable": ui.tr("col.unacceptable"), "target": ui.tr("col.target"),
                   "applies_to": ui.tr("col.applies_to"), "formalism": ui.tr("col.formalism")})

with st.expander(ui.tr("model.scale")):
    scale = st.data_editor(scale, hide_index=True, key=f"ed_scale_{path}", num_rows="dynamic",
                           column_config={"label": ui.tr("col.answer"), "score": ui.tr("col.score"),
                                          "unknown": ui.tr("col.unknown"), "aliases": ui.tr("col.aliases")})

try:
    edited = model_from_dict(views.edited_model_data(model, dims, tree, tiers, scale), versions[path])
except ModelError as err:
    edited = None
    st.error(ui.tr("model.invalid", n=len(err.problems)))
    st.dataframe(views.problems_frame(err).rename(columns=ui.cols("where", "message")), hide_index=True, key="problems")
else:
    st.success(ui.tr("model.valid"), icon=":material/check_circle:")

c = st.columns(3)
if c[0].button(ui.tr("model.save"), type="primary", disabled=edited is None, key="model_save", icon=":material/save:"):
    st.toast(ui.tr("model.saved", name=ui.save_model(edited)))
    st.rerun()
c[1].download_button(ui.tr("model.download"), (edited or model).to_toml(), file_name=f"model-{(edited or model).model.version}.toml",
                     mime="application/toml", key="model_download", icon=":material/download:")
with c[2].popover(ui.tr("model.upload"), icon=":material/upload:"):
    up = st.file_uploader(ui.tr("model.upload"), type=["toml"], key="model_upload", label_visibility="collapsed")
    if up is not None:
        try:
            new = model_from_toml(up.getvalue(), up.name)
        except ModelError as err:
            st.error(ui.tr("model.invalid", n=len(err.problems)))
            st.dataframe(views.problems_frame(err).rename(columns=ui.cols("where", "message")), hide_index=True)
        else:
            st.success(ui.tr("model.upload_ok", name=new.model.name))
            if st.button(ui.tr("model.save_upload"), key="model_save_upload"):
                st.toast(ui.tr("model.saved", name=ui.save_model(new)))
