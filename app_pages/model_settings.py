"""模型设置 Model: the indicator tree with weights; analysts edit, validate and save drafts, officers
activate a version for scoring; download and upload the model file."""

import streamlit as st

import ui
from scoring import charts, model_edit
from scoring.auth import Permission
from scoring.model import Direction, Method, ModelError, model_from_dict, model_from_toml
from scoring.text import SanweiError

service = ui.require(Permission.VIEW_MODEL)
can_draft, can_activate = service.actor.can(Permission.DRAFT_MODEL), service.actor.can(Permission.ACTIVATE_MODEL)
L = ui.lang()
st.title(ui.t("model.title"))
if msg := st.session_state.pop("model_flash", None):
    st.success(msg, icon=":material/check_circle:")
versions = dict(ui.model_versions())
path = st.selectbox(ui.t("model.version"), list(versions)[::-1], key="model_file", format_func=versions.get)
model = ui.model_version(path)
active = ui.active_model()
st.caption(ui.t("model.caption", name=model.name_in(model.model.name, L), version=model.model.version,
                active=active.model.version))

types = list(model.unit_types)
utype = st.segmented_control(ui.t("model.unit_type"), types, default=types[0], key="model_type",
                             format_func=ui.md) or types[0]
tree = model_edit.model_tree(model)
left, right = st.columns([2, 3])
shown = model_edit.model_tree(model, utype)
left.plotly_chart(charts.sunburst(shown.assign(name=shown["name"].map(lambda n: model.name_in(n, L))), L), key="sunburst")
dims, tiers, scale = model_edit.model_tables(model)
with right:
    ui.label('model.dimensions')
    dims.insert(0, "name", [ui.t(f"dim.{d}") for d in dims["dimension"]])
    dims = st.data_editor(dims, hide_index=True, placeholder="", key=f"ed_dims_{path}", disabled=["name"], column_order=["name", "weight"],
                          column_config={"name": st.column_config.TextColumn(ui.t("col.dimension")),
                                         "weight": st.column_config.NumberColumn(ui.t("col.weight"), min_value=0.0,
                                                                                 max_value=1.0, step=0.01, format="%.2f")})
    ui.label('model.grades')
    tiers = st.data_editor(tiers, hide_index=True, placeholder="", key=f"ed_tiers_{path}", num_rows="dynamic",
                           column_config={"label": ui.t("col.grade"), "label_en": ui.t("col.label_en"),
                                          "min": st.column_config.NumberColumn(ui.t("col.min"), min_value=0, max_value=100),
                                          "quota": st.column_config.NumberColumn(ui.t("col.quota"), min_value=0.0, max_value=1.0)})

ui.label('model.tree')
st.caption(ui.t("model.tree_caption"))
methods = [m.value for m in Method]
tree = st.data_editor(
    tree, hide_index=True, placeholder="", key=f"ed_tree_{path}", height=ui.height(len(tree), 640),
    column_order=["tree", "code", "weight", "effective", "method", "direction", "unit", "satisfactory", "unacceptable",
                  "target", "cap", "floor", "lower", "upper", "tolerance", "applies_to", "formalism"],
    disabled=["tree", "code", "effective", "applies_to", "formalism"],
    column_config={"tree": st.column_config.TextColumn(ui.t("col.tree"), width="medium"),
                   "code": ui.t("col.code"), "weight": st.column_config.NumberColumn(ui.t("col.weight"), min_value=0.0, format="%.3f"),
                   "effective": st.column_config.NumberColumn(ui.t("col.effective"), format="percent"),
                   "method": st.column_config.SelectboxColumn(ui.t("col.method"), options=methods,
                                                              format_func=lambda m: ui.t(f"method.{m}")),
                   "direction": st.column_config.SelectboxColumn(ui.t("col.direction"), options=[d.value for d in Direction],
                                                                 format_func=lambda d: ui.t(f"direction.{d}")),
                   "unit": ui.t("col.unit"), "satisfactory": ui.t("col.satisfactory"),
                   "unacceptable": ui.t("col.unacceptable"), "target": ui.t("col.target"),
                   "applies_to": ui.t("col.applies_to"), "formalism": ui.t("col.formalism")})

with st.expander(ui.t("model.scale")):
    scale = st.data_editor(scale, hide_index=True, placeholder="", key=f"ed_scale_{path}", num_rows="dynamic",
                           column_config={"label": ui.t("col.answer"), "score": ui.t("col.score"),
                                          "unknown": ui.t("col.unknown"), "aliases": ui.t("col.aliases")})

try:
    edited = model_from_dict(model_edit.edited_model_data(model, dims, tree, tiers, scale), versions[path])
except ModelError as err:
    edited = None
    st.error(ui.t("model.invalid", n=len(err.problems)))
    ui.table(model_edit.problems_frame(err, L, model), ["where", "message"], key="problems")
else:
    st.success(ui.t("model.valid"), icon=":material/check_circle:")



def save(new) -> None:
    try:
        model_id = ui.save_model(new, st.session_state.get("model_label", ""), st.session_state.get("model_note", ""))
    except SanweiError as err:
        st.error(err.get(L), icon=":material/error:")
        return
    st.session_state["model_flash"] = ui.t("model.saved", id=model_id)
    st.rerun()


if can_draft:
    c = st.columns(2)
    c[0].text_input(ui.t("model.label"), key="model_label", max_chars=64)
    c[1].text_input(ui.t("model.note"), key="model_note", max_chars=300)
c = st.columns(4)
if can_draft and c[0].button(ui.t("model.save"), type="primary", disabled=edited is None, key="model_save",
                             icon=":material/save:"):
    save(edited)
if can_activate and path != ui.data.OFFICIAL:
    if ui.store().active_model_id() == path:
        c[3].caption(ui.t("model.is_active"))
    elif c[3].button(ui.t("model.activate"), key="model_activate", icon=":material/task_alt:"):
        st.session_state["model_activating"] = path
    if st.session_state.get("model_activating") == path:
        with st.container(border=True):  # activation is confirmed, with a reason for the audit log
            reason = st.text_area(ui.t("model.activate_reason"), key="model_reason", max_chars=500)
            if st.button(ui.t("model.activate"), type="primary", key="model_activate_ok"):  # the service checks the reason
                try:
                    service.activate_model(path, reason)
                except SanweiError as err:
                    st.error(err.get(L), icon=":material/error:")
                else:
                    del st.session_state["model_activating"], st.session_state["model_reason"]
                    st.session_state["model_flash"] = ui.t("model.activated", id=path)
                    st.rerun()
c[1].download_button(ui.t("model.download"), (edited or model).to_toml(), file_name=f"model-{(edited or model).model.version}.toml",
                     mime="application/toml", key="model_download", icon=":material/download:")
with c[2].popover(ui.t("model.upload"), icon=":material/upload:", disabled=not can_draft):
    up = ui.file_uploader(st, ui.t("model.upload"), ["toml"], "model_upload", label_visibility="collapsed")
    if up is not None:
        try:
            new = model_from_toml(up.getvalue(), up.name)
        except ModelError as err:
            st.error(ui.t("model.invalid", n=len(err.problems)))
            ui.table(model_edit.problems_frame(err, L, model), ["where", "message"])
        else:
            st.success(ui.t("model.upload_ok", name=new.model.name))
            if st.button(ui.t("model.save_upload"), key="model_save_upload"):
                save(new)
