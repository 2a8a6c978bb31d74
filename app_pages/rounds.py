"""网上评议 Online rating rounds (officers): create a round and print its ballots, open and close it,
watch participation, see the results once it is closed and feed them into a quarter's scoring."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import streamlit as st

import ui
from scoring import ballot_sheets, views
from scoring.auth import Permission
from scoring.inputs import next_period
from scoring.rounds import RoundStatus
from scoring.text import SanweiError

service = ui.require(Permission.MANAGE_ROUNDS)
L = ui.lang()
SHEETS = "_round_sheets"  # (round id, zip bytes, ballots): the only copy of fresh tokens, this session only

st.title(ui.t("rounds.title"), anchor=False)
roster = ui.store().roster()
names = dict(zip(roster["unit_id"], roster["unit_name"], strict=True)) if len(roster) else {}


def name(unit_id: str) -> str:
    return names.get(unit_id) or unit_id


def base_url() -> str:
    """This dashboard's address as the browser sees it: where the printed links point."""
    parts = urlsplit(st.context.url or "")
    path = parts.path.rsplit("/", 1)[0] if parts.path.endswith("/rounds") else parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}" if parts.netloc else "http://localhost:8501"


def offer_sheets(rnd_period: str, closes_on: date, tokens: dict, url: str, round_id: int) -> None:
    data = ballot_sheets.sheets_zip(rnd_period, closes_on, tokens, names, url, L)
    st.session_state[SHEETS] = (round_id, data, sum(map(len, tokens.values())))


def show_sheets(round_id: int, where: str) -> None:
    fresh = st.session_state.get(SHEETS)
    if fresh and fresh[0] == round_id:
        st.success(ui.t("rounds.created", id=round_id, n=fresh[2]), icon=":material/print:")
        st.download_button(ui.t("rounds.download"), fresh[1], file_name=f"sanwei_round_{round_id}_ballots.zip",
                           mime="application/zip", on_click="ignore", icon=":material/download:",
                           key=f"sheets_{where}_{round_id}")


tab_list, tab_new = st.tabs([ui.t("rounds.tab_list"), ui.t("rounds.tab_new")])
with tab_new:
    model = ui.active_model()
    if not names or model.reverse is None:
        st.info(ui.t("rounds.no_roster"))
    else:
        rated = list(roster.loc[roster["unit_type"].isin(model.reverse.applies_to), "unit_id"])
        others = [u for u in roster["unit_id"] if u not in rated]
        st.caption(ui.t("rounds.criteria", criteria=ui.join(model.name_in(c, L) for c in model.reverse.criteria),
                        scale=ui.join(model.name_in(a.label, L) for a in model.survey.answer)))
        with st.form("new_round"):
            period = st.text_input(ui.t("rounds.period"), value=next_period(None))
            depts = st.multiselect(ui.t("rounds.departments"), list(names), default=rated, format_func=name, select_all=False)
            raters = st.multiselect(ui.t("rounds.raters"), list(names), default=others, format_func=name, select_all=False)
            c = st.columns(3)
            ballots = c[0].number_input(ui.t("rounds.ballots"), 1, 500, 10)
            opens = c[1].date_input(ui.t("rounds.opens"), date.today())
            closes = c[2].date_input(ui.t("rounds.closes"), date.today() + timedelta(days=14))
            per_unit = st.checkbox(ui.t("rounds.per_unit"), value=True)
            url = st.text_input(ui.t("rounds.base_url"), value=base_url())
            create = st.form_submit_button(ui.t("rounds.create"), type="primary", icon=":material/qr_code_2:")
        if create:
            try:
                spec = service.round_spec(period.strip(), depts, {u: int(ballots) for u in raters}, opens, closes,
                                          per_unit)
                round_id, tokens = service.create_round(spec)
            except SanweiError as err:
                st.error(err.get(L))
            else:
                offer_sheets(spec.period, spec.closes_on, tokens, url, round_id)
                st.session_state["round_pick"] = round_id
        if (fresh := st.session_state.get(SHEETS)) is not None:
            show_sheets(fresh[0], "new")

with tab_list:
    rounds = service.rounds()
    if not rounds:
        st.info(ui.t("rounds.none"))
        st.stop()
    by_id = {r.id: r for r in rounds}
    if st.session_state.get("round_pick") not in by_id:
        st.session_state["round_pick"] = rounds[0].id
    pick = st.selectbox(ui.t("rounds.pick"), list(by_id), key="round_pick", format_func=lambda i: ui.t(
        "rounds.label", id=i, period=by_id[i].period, status=ui.t(f"rounds.status.{by_id[i].status}")))
    rnd = by_id[pick]
    part = views.participation_rows(service.round_participation(rnd.id), roster)
    total = part.attrs["total"]
    st.caption(ui.t("rounds.summary", opens=rnd.opens_on.isoformat(), closes=rnd.closes_on.isoformat(),
                    n=len(rnd.departments), raters=len(rnd.raters), issued=total["issued"], cast=total["cast"],
                    mode=ui.t("rounds.mode.unit" if rnd.per_unit else "rounds.mode.ballot")))

    def act(fn, *args):
        try:
            return fn(*args)
        except SanweiError as err:
            st.error(err.get(L))
            return None

    c = st.columns(3)
    if rnd.status == RoundStatus.DRAFT and c[0].button(ui.t("rounds.open"), icon=":material/play_arrow:",
                                                       key="round_open"):
        if act(service.open_round, rnd.id):
            st.rerun()
    if rnd.status != RoundStatus.CLOSED:
        sure = c[1].checkbox(ui.t("rounds.close_confirm"), key="round_close_sure")
        if c[1].button(ui.t("rounds.close"), disabled=not sure, icon=":material/stop_circle:", key="round_close"):
            if act(service.close_round, rnd.id):
                st.rerun()
        if c[2].button(ui.t("rounds.reissue"), icon=":material/autorenew:", key="round_reissue"):
            if (tokens := act(service.reissue_tokens, rnd.id)) is not None:
                offer_sheets(rnd.period, rnd.closes_on, tokens, base_url(), rnd.id)
                st.success(ui.t("rounds.reissued", n=sum(map(len, tokens.values()))))
        show_sheets(rnd.id, "list")
    ui.table(part, ["unit_name", "issued", "cast", "rate"], config={"rate": "percent"}, fit=400, key="round_part")

    model = ui.active_model()
    k = model.reverse.min_raters if model.reverse else 1
    st.subheader(ui.t("rounds.results", k=k), anchor=False)
    if rnd.status != RoundStatus.CLOSED:
        st.info(ui.t("rounds.not_closed"))
        st.stop()
    res = act(service.round_results, rnd.id)
    if res is None:
        st.stop()
    res = res.reset_index()
    res["unit_name"] = [name(u) for u in res["unit_id"]]
    res["result"] = [ui.t("rev.hidden", k=k) if s else f"{v:.2f}" for s, v in zip(res["suppressed"], res["score"],
                                                                                   strict=True)]
    criteria = list(rnd.criteria)
    ui.table(res, ["unit_name", "n_raters", "n_ratings", "result", *criteria],
             labels={c: model.name_in(c, L) for c in criteria},
             config={c: "%.1f" for c in criteria}, fit=True, key="round_results")
    hidden = [name(u) for u, s in zip(res["unit_id"], res["suppressed"], strict=True) if s]
    st.caption(ui.t("rounds.shown", shown=len(res) - len(hidden), total=len(res), hidden=ui.join(hidden) or "—"))
    quarters = [q for q in rnd.quarters() if q in set(ui.store().periods()["period"])]
    if quarters:
        c = st.columns([1, 3])
        quarter = c[0].selectbox(ui.t("rounds.apply_period"), quarters, key="round_apply_period")
        if c[1].button(ui.t("rounds.apply"), icon=":material/input:", key="round_apply"):
            if (v := act(service.apply_round, rnd.id, quarter)) is not None:
                st.success(ui.t("rounds.applied", period=v.period, number=v.number, id=rnd.id))
