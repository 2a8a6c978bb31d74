"""Every string the dashboard shows, in Chinese (the default) and English: the one table.

Pages call `t(key, lang, **values)`; a missing key is a bug and raises, so the tests find it.
Data (unit, indicator and item names) stays as the user entered it and is not translated here.
"""

from __future__ import annotations

from scoring.flags import Flag, FlagCode, NoteCode

TEXT: dict[str, tuple[str, str]] = {
    # ---- navigation and sidebar
    "nav.home": ("首页", "Home"),
    "nav.import": ("数据导入", "Import data"),
    "nav.rankings": ("排名总览", "Rankings"),
    "nav.unit": ("单位详情", "Unit breakdown"),
    "nav.weights": ("权重分析", "Weight analysis"),
    "nav.audit": ("统计审查", "Statistical audit"),
    "nav.reverse": ("基层评议", "Reverse evaluation"),
    "nav.model": ("模型设置", "Model settings"),
    "nav.accounts": ("账户与审计", "Accounts and audit"),
    "nav.login": ("登录", "Sign in"),
    "sidebar.lang": ("语言", "Language"),
    "sidebar.period": ("考核季度", "Quarter"),
    "sidebar.model": ("导入使用的模型：{name}（版本 {version}）", "Imports use the model: {name} (version {version})"),
    "sidebar.signed_in": ("当前账户：{name}（{roles}）", "Signed in: {name} ({roles})"),
    "sidebar.sign_out": ("退出登录", "Sign out"),
    "sidebar.published": ("{period} 已发布第 {version} 版 · {at} · 发布人 {who} · 模型 {model}（{model_version}）",
                          "{period}: version {version} published {at} by {who} · model {model} ({model_version})"),
    # ---- roles and permissions
    "role.admin": ("管理员", "Administrator"),
    "role.officer": ("考核办", "Assessment officer"),
    "role.analyst": ("分析", "Analyst"),
    "role.leader": ("领导", "Leader"),
    "role.unit": ("被考核单位", "Assessed unit"),
    "common.denied": ("您的账户无权查看此页面。", "Your account may not open this page."),
    # ---- sign in
    "login.title": ("三维考评 · 登录", "Sanwei · Sign in"),
    "login.username": ("账户名", "Account"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.sso": ("使用统一身份认证登录", "Sign in with the office's identity provider"),
    "login.sso_out": ("退出统一身份认证，换一个身份", "Sign out of the identity provider to use another identity"),
    "login.or": ("或使用本系统账户登录：", "or with a Sanwei account:"),
    "login.no_accounts": ("此系统还没有任何账户。请管理员在服务器上创建第一个管理员账户（不会有默认密码）：",
                          "This store has no account yet. An administrator creates the first one on the server "
                          "(there is no default password):"),
    "login.demo": ("示范环境：选择一个示范账户直接体验（每个浏览器标签页可以用不同的角色）。",
                   "Demo store: pick a demo account to try it (each browser tab can use a different role)."),
    "login.demo_as": ("以“{name}”身份进入", "Enter as {name}"),
    # ---- accounts and audit
    "acc.title": ("账户与审计", "Accounts and audit"),
    "acc.tab_list": ("账户", "Accounts"),
    "acc.tab_add": ("新建账户", "New account"),
    "acc.tab_edit": ("修改账户", "Change an account"),
    "acc.tab_audit": ("审计日志", "Audit log"),
    "acc.display": ("显示名称", "Display name"),
    "acc.roles": ("角色", "Roles"),
    "acc.unit": ("绑定单位编码（仅被考核单位账户）", "Unit code (unit accounts only)"),
    "acc.sso": ("统一身份认证标识（邮箱或 subject，可选）", "Single sign-on identity (e-mail or subject, optional)"),
    "acc.password": ("初始密码（至少 10 个字符）", "Initial password (at least 10 characters)"),
    "acc.new_password": ("新密码", "New password"),
    "acc.add": ("创建账户", "Create the account"),
    "acc.added": ("已创建账户“{name}”", "Created account {name}"),
    "acc.pick": ("账户", "Account"),
    "acc.save_roles": ("保存角色", "Save the roles"),
    "acc.set_password": ("重设密码", "Reset the password"),
    "acc.disable": ("停用账户", "Disable the account"),
    "acc.enable": ("重新启用", "Enable the account"),
    "acc.done": ("已保存", "Saved"),
    "col.account": ("账户", "Account"),
    "col.display_name": ("名称", "Name"),
    "col.roles": ("角色", "Roles"),
    "col.unit_id": ("单位编码", "Unit code"),
    "col.sso": ("统一身份认证", "Single sign-on"),
    "col.disabled": ("已停用", "Disabled"),
    "col.last_login": ("上次登录", "Last sign-in"),
    "col.action": ("操作", "Action"),
    "col.detail": ("详情", "Detail"),
    "col.reason_given": ("理由", "Reason"),
    "col.published_by": ("发布人", "Published by"),
    "common.no_published": ("还没有已发布的季度。请先在“数据导入”上传并发布一个季度的数据。",
                            "No quarter has been published yet. Upload and publish a quarter on “Import data” first."),
    "common.none": ("无", "None"),
    # ---- dimensions and parts of a total
    "dim.mass": ("群众评价", "Mass evaluation"),
    "dim.performance": ("实绩数据", "Performance data"),
    "dim.compliance": ("过程合规", "Process compliance"),
    "part.mass": ("群众评价", "Mass evaluation"),
    "part.performance": ("实绩数据", "Performance data"),
    "part.compliance": ("过程合规", "Process compliance"),
    "part.bonus": ("加分", "Bonus"),
    "part.deduction": ("扣分", "Deduction"),
    "part.clip": ("截取到 0–100", "Clipped to 0–100"),
    "part.total": ("总分", "Total"),
    # ---- flags, statuses, kinds, severities
    "flag.veto": ("一票否决", "Veto"),
    "flag.low_sample": ("样本不足", "Low sample"),
    "flag.reverse_suppressed": ("评议不足不显示", "Reverse result suppressed"),
    "flag.reverse_below_floor": ("基层评议低于底线", "Reverse evaluation below floor"),
    "flag.bonus_capped": ("加分封顶", "Bonus capped"),
    "flag.clipped": ("总分截取", "Total clipped"),
    "flag.incomplete": ("数据不全", "Incomplete"),
    "flag.quota": ("等次名额调整", "Grade quota applied"),
    "flag.uncategorised": ("部分问卷无受访者类别", "Respondents without a category"),
    "flag.unweighted": ("未按受访者类别加权", "Not weighted by respondent category"),
    "list.sep": ("、", ", "),
    "w.no_ranked": ("本季度没有完整参评的单位，无法进行权重分析。", "No unit of this quarter is complete: there is nothing to re-rank."),
    "status.pass": ("通过", "Pass"),
    "status.partial": ("部分", "Partial"),
    "status.fail": ("未通过", "Fail"),
    "kind.units": ("单位名录", "Units"),
    "kind.survey": ("群众评价", "Survey"),
    "kind.indicators": ("实绩数据", "Indicators"),
    "kind.compliance": ("过程合规", "Compliance"),
    "kind.reverse": ("基层评议", "Reverse ratings"),
    "kind.unknown": ("无法识别", "Not recognised"),
    "sev.error": ("错误", "Error"),
    "sev.warning": ("警告", "Warning"),
    # ---- column headers
    "col.rank": ("排名", "Rank"),
    "col.rank_overall": ("总排名", "Overall rank"),
    "col.rank_group": ("组内排名", "Rank in group"),
    "col.rank_change": ("名次变化", "Rank change"),
    "col.unit_name": ("单位", "Unit"),
    "col.group": ("考核组别", "Group"),
    "col.total": ("总分", "Total"),
    "col.mass": ("群众评价", "Mass"),
    "col.performance": ("实绩数据", "Performance"),
    "col.compliance": ("过程合规", "Compliance"),
    "col.grade": ("等次", "Grade"),
    "col.change": ("名次变化", "Change"),
    "col.delta_total": ("分数变化", "Score change"),
    "col.veto": ("一票否决", "Veto"),
    "col.flag_codes": ("提示", "Flags"),
    "col.category": ("类别", "Category"),
    "col.name": ("指标", "Indicator"),
    "col.raw": ("原始值", "Raw value"),
    "col.unit": ("单位", "Unit of measure"),
    "col.score": ("得分", "Score"),
    "col.weight": ("权重", "Weight"),
    "col.contribution": ("对总分贡献", "Contribution to total"),
    "col.rule": ("计分规则", "Scoring rule"),
    "col.note": ("说明", "Note"),
    "col.group_mean": ("组内平均", "Group mean"),
    "col.gap": ("高出/低于组内", "Above/below group"),
    "col.item": ("考核项", "Item"),
    "col.status": ("结果", "Result"),
    "col.earned": ("得分", "Earned"),
    "col.possible": ("满分", "Possible"),
    "col.column": ("列名", "Column"),
    "col.points": ("计分", "Points"),
    "col.reason": ("规则", "Rule"),
    "col.file": ("文件", "File"),
    "col.period": ("季度", "Quarter"),
    "col.n_raters": ("评议单位数", "Raters"),
    "col.result": ("评议得分", "Score"),
    "col.official_rank": ("正式排名", "Official rank"),
    "col.official_score": ("正式总分", "Official total"),
    "col.official_grade": ("正式等次", "Official grade"),
    "col.interval": ("排名区间 (5%–95%)", "Rank interval (5–95%)"),
    "col.p_same_grade": ("保持等次概率", "P(grade kept)"),
    "col.p_top": ("进入前 {k} 名概率", "P(top {k})"),
    "col.badge": ("稳健性", "Robustness"),
    "col.up_name": ("超越者", "Overtakes"),
    "col.down_name": ("被超越者", "Overtaken"),
    "col.where": ("位置", "Where"),
    "col.message": ("问题", "Problem"),
    "col.severity": ("级别", "Severity"),
    "col.sheet": ("工作表", "Sheet"),
    "col.cell": ("单元格", "Cell"),
    "col.header": ("表头", "Header"),
    "col.value": ("值", "Value"),
    "col.expected": ("应为", "Expected"),
    "col.suggestions": ("建议", "Suggestions"),
    "col.version": ("版本", "Version"),
    "col.published": ("已发布", "Published"),
    "col.created_by": ("导入人", "Imported by"),
    "col.created_at": ("导入时间", "Imported at"),
    "col.model": ("模型版本", "Model version"),
    "col.rows": ("数据行数", "Rows"),
    "col.published_at": ("发布时间", "Published at"),
    "col.who": ("操作人", "By"),
    "col.at": ("时间", "At"),
    "col.files": ("文件", "Files"),
    "col.warnings": ("警告数", "Warnings"),
    "col.dimension": ("维度", "Dimension"),
    "col.code": ("编码", "Code"),
    "col.tree": ("指标体系", "Indicator tree"),
    "col.effective": ("占实绩权重", "Share of performance"),
    "col.method": ("计分方法", "Method"),
    "col.direction": ("方向", "Direction"),
    "col.satisfactory": ("满意值", "Satisfactory"),
    "col.unacceptable": ("不允许值", "Unacceptable"),
    "col.target": ("目标值", "Target"),
    "col.applies_to": ("适用类型", "Applies to"),
    "col.formalism": ("形式主义（不计分）", "Formalism (no points)"),
    "col.label_en": ("英文名称", "English label"),
    "col.min": ("分数下限", "Minimum score"),
    "col.quota": ("名额比例", "Quota"),
    "col.answer": ("答案", "Answer"),
    "col.unknown": ("不计入（不了解）", "Not an answer (unknown)"),
    "col.aliases": ("同义写法", "Aliases"),
    # ---- charts
    "chart.units": ("单位数", "Units"),
    "chart.grades": ("等次分布", "Grade distribution"),
    "chart.points": ("分", "Points"),
    "chart.contributions": ("总分构成（按维度加权贡献）", "Totals by weighted dimension contribution"),
    "chart.this_unit": ("本单位", "This unit"),
    "chart.group_mean": ("组内平均", "Group mean"),
    "chart.vs_group": ("三个维度得分与组内平均", "Dimension scores vs group mean"),
    "chart.waterfall": ("从 0 到总分：各部分贡献", "From 0 to the total: contributions"),
    "chart.answers": ("各题答案分布", "Answers per survey item"),
    "chart.trend": ("历季总分与排名", "Score and rank by quarter"),
    "chart.reverse": ("各部门基层评议得分", "Reverse-evaluation score per department"),
    "chart.rank_shift": ("假设权重下的名次变化（正数为上升）", "Rank change under the what-if weights (up is positive)"),
    "chart.sweep": ("单维度权重扫描：名次随权重变化", "One-at-a-time sweep: rank against weight"),
    "chart.caterpillar": ("蒙特卡洛名次区间（5%–95%，按正式排名）", "Monte Carlo rank intervals (5–95%, by official rank)"),
    "chart.ternary": ("权重三角图：各点排名第一的单位", "Weight simplex: who ranks first at each point"),
    "chart.ternary_unit": ("权重三角图：所选单位的名次", "Weight simplex: the chosen unit's rank"),
    "chart.sobol": ("Sobol 敏感性指数（对平均名次变动）", "Sobol indices (on the mean rank shift)"),
    "chart.tree": ("指标体系与权重", "Indicator tree and weights"),
    "chart.effective": ("名义权重与有效权重（按与实绩得分相关性）", "Nominal vs effective weight (by correlation with the performance score)"),
    "chart.sobol_methods": ("各项假设的 Sobol 指数（对平均名次变动）", "Sobol indices of each assumption (on the mean rank shift)"),
    "chart.corr": ("{node}：下级{method}相关矩阵", "{node}: {method} correlations of its children"),
    "chart.corr_level": ("第 {depth} 级节点之间的{method}相关矩阵", "{method} correlations between the level-{depth} nodes"),
    "reverse.floor": ("底线 {floor:g} 分", "Floor {floor:g}"),
    # ---- home
    "home.title": ("{period} 三维考评结果", "{period} three-dimension assessment"),
    "home.subtitle": ("已发布结果 · 模型：{model}（版本 {version}）", "Published result · model: {model} (version {version})"),
    "home.units": ("参评单位", "Units assessed"),
    "home.ranked": ("参与排名", "Ranked"),
    "home.incomplete_help": ("{n} 个单位数据不全，列出原因但不排名、不评等次", "{n} units are incomplete: listed with the reason, not ranked or graded"),
    "home.mean_total": ("平均总分", "Mean total"),
    "home.veto": ("一票否决", "Veto cases"),
    "home.movers": ("名次变化最大（对比 {prev}）", "Biggest movers (vs {prev})"),
    "home.risers": ("上升最多", "Biggest risers"),
    "home.fallers": ("下降最多", "Biggest fallers"),
    "home.veto_cases": ("一票否决", "Veto cases"),
    "home.no_veto": ("本季度没有一票否决。", "No veto this quarter."),
    "home.model_title": ("考评模型怎么算", "How the model scores"),
    "home.model_text": (
        "每个单位的总分 = **群众评价 {mass}%** + **实绩数据 {performance}%** + **过程合规 {compliance}%**，"
        "再加上加分、减去扣分，截取在 0–100 分之间。\n\n"
        "- **群众评价**：第三方调查和随机访谈，满意 100、比较满意 80、基本满意 60、不满意 0；"
        "“不了解”不计入分母，单独统计。部门还要接受乡镇街道的匿名“基层评议”。\n"
        "- **实绩数据**：经济发展、民生改善、安全稳定等硬指标，按功效系数、目标完成率等方法在同一考核组别内打分。\n"
        "- **过程合规**：只看必要的程序正义——重大决策民主程序、规范性文件合法性审查、信息公开、审计整改等。\n\n"
        "等次：{tiers}。发生一票否决事项的单位保留分数和名次，等次定为最低档。",
        "Each unit's total = **mass evaluation {mass}%** + **performance data {performance}%** + **process compliance "
        "{compliance}%**, plus bonus and minus deductions, clipped to 0–100.\n\n"
        "- **Mass evaluation**: third-party surveys and random interviews; satisfied 100, fairly satisfied 80, "
        "basically satisfied 60, dissatisfied 0; “don't know” is left out of the denominator and counted. Departments "
        "are also rated anonymously by the towns and streets they serve.\n"
        "- **Performance data**: hard indicators (economy, livelihoods, safety…), scored within each comparison group "
        "by efficacy coefficient, target completion and similar methods.\n"
        "- **Process compliance**: only necessary procedural justice — democratic procedure for major decisions, "
        "legality review of normative documents, information disclosure, audit rectification.\n\n"
        "Grades: {tiers}. A unit with a veto event keeps its score and rank; its grade is set to the lowest tier."),
    "home.formalism": (
        "**台账厚度、会议次数不得分。** 台账页数、材料数量、会议次数、发文数量、拍照留痕、工作群打卡等指标衡量的是"
        "“做了多少形式”，不是“干成了什么”。按照 2024 年整治形式主义为基层减负的规定，这些不作为评判工作的标准："
        "模型里它们的权重固定为 0，上传表格中出现的此类列会被识别出来，标为“不计分”并注明规则。",
        "**Ledger thickness and meeting counts earn no points.** Ledger pages, amounts of material, meetings held, "
        "documents issued, photos as proof of work and chat check-ins measure how much paperwork was done, not what was "
        "achieved. Under the 2024 rules on reducing the burden on grassroots units they are not standards for judging "
        "work: their weight in the model is fixed at 0, and any such column in an upload is recognised and shown as "
        "“earns no points”, with the rule quoted."),
    # ---- import
    "imp.title": ("数据导入", "Import data"),
    "imp.caption": ("使用模型：{name}（版本 {version}）。上传一个季度的全部表格；没有错误才能保存，保存为草稿后发布才对领导可见。",
                    "Model: {name} (version {version}). Upload all spreadsheets of one quarter; only an import without "
                    "errors can be stored, and a stored draft is seen by leaders once published."),
    "imp.period": ("季度", "Quarter"),
    "imp.files": ("上传表格（可多选：单位名录、群众评价、实绩数据、过程合规、基层评议）",
                  "Spreadsheets (several at once: units, survey, indicators, compliance, reverse ratings)"),
    "imp.files_help": ("支持 .xlsx 和 .csv；表头可用中文或英文。没有上传单位名录时，使用已发布的单位名录。",
                       ".xlsx and .csv; headers in Chinese or English. Without a units file, the published roster is used."),
    "imp.bad_period": ("季度格式应为 2026Q3 这样的“年份Q季度”。", "The quarter must look like 2026Q3."),
    "imp.validate": ("读取并校验", "Read and validate"),
    "imp.reading": ("正在读取文件…", "Reading files…"),
    "imp.reading_file": ("读取 {name}（{i}/{n}）", "Reading {name} ({i}/{n})"),
    "imp.checking": ("核对单位、答案和指标…", "Checking units, answers and indicators…"),
    "imp.done": ("完成", "Done"),
    "imp.checked": ("校验完成：{e} 个错误，{w} 个警告", "Validated: {e} errors, {w} warnings"),
    "imp.preview": ("文件预览", "File preview"),
    "imp.preview_caption": ("识别为：{kind} · 工作表 {sheet} · {rows} 行数据（显示前 20 行，行号为 Excel 行号）",
                            "Recognised as: {kind} · sheet {sheet} · {rows} data rows (first 20 shown, numbered as in Excel)"),
    "imp.unreadable": ("无法读取此文件，原因见下方校验报告。", "This file cannot be read; see the validation report below."),
    "imp.report": ("校验报告", "Validation report"),
    "imp.errors": ("错误", "Errors"),
    "imp.warnings": ("警告", "Warnings"),
    "imp.files_n": ("文件数", "Files"),
    "imp.clean": ("没有发现问题。", "No problems found."),
    "imp.severity": ("级别", "Severity"),
    "imp.file": ("文件", "File"),
    "imp.report_download": ("下载校验报告（Excel）", "Download the report (Excel)"),
    "imp.blocked": ("存在错误，不能保存。请按报告修改表格后重新上传；已保存的数据不会改变。",
                    "There are errors, so nothing can be stored. Fix the files as the report says and upload again; "
                    "stored data is unchanged."),
    "imp.store": ("保存为草稿", "Store as draft"),
    "imp.stored": ("已保存 {period} 第 {version} 版（草稿）。发布后领导即可看到。", "Stored {period} version {version} (draft). Publish it for leaders to see."),
    "imp.versions": ("版本与发布", "Versions and publishing"),
    "imp.pick_version": ("版本", "Version"),
    "imp.publish": ("发布此版本…", "Publish this version…"),
    "imp.confirm_title": ("确认发布", "Confirm publishing"),
    "imp.confirm_text": ("将 {period} 第 {version} 版发布给所有领导和被考核单位查看（当前发布：{current}）。发布理由会随版本保存并显示。",
                         "Publish {period} version {version} to every leader and assessed unit (published now: {current}). "
                         "The reason is kept with the version and shown."),
    "imp.rollback_text": ("这是回退到较早的版本，理由须写明为什么回退。", "This rolls the result back to an older version: say why."),
    "imp.reason": ("发布理由（必填）", "Reason (required)"),
    "imp.confirm": ("确认发布", "Publish"),
    "imp.cancel": ("取消", "Cancel"),
    "imp.none_published": ("尚未发布", "none"),
    "imp.published": ("已发布 {period} 第 {version} 版。", "Published {period} version {version}."),
    "imp.history": ("导入记录", "Import history"),
    "imp.templates": ("空白模板下载", "Blank templates"),
    # ---- rankings
    "rank.title": ("{period} 排名总览", "{period} rankings"),
    "rank.caption": ("名次变化对比上一个已发布季度 {prev}；点击一行查看单位详情。",
                     "Change is against the previous published quarter {prev}; click a row for the unit breakdown."),
    "rank.caption_first": ("这是第一个已发布季度，没有名次变化。", "This is the first published quarter: no change to show."),
    "rank.group": ("考核组别", "Comparison group"),
    "rank.all": ("全部", "All"),
    "rank.grades": ("等次", "Grades"),
    "rank.search": ("查找单位", "Find a unit"),
    "rank.search_hint": ("名称或编码", "Name or code"),
    "rank.flagged": ("只看有提示的", "Flagged only"),
    "rank.change_help": ("▲ 上升、▼ 下降、— 不变（对比上季度总排名）", "▲ up, ▼ down, — unchanged (overall rank vs last quarter)"),
    "rank.click_hint": ("共 {n} 个单位。选中一行即打开该单位详情。", "{n} units. Select a row to open the unit."),
    "rank.download": ("下载排名（Excel）", "Download rankings (Excel)"),
    "rank.sheet": ("排名", "Ranking"),
    # ---- unit
    "unit.pick": ("选择单位", "Unit"),
    "unit.not_in_period": ("本单位不在这个季度的考核结果中。", "Your unit is not in this quarter's result."),
    "unit.detail": ("显示每个指标", "Show every indicator"),
    "unit.tab_ind": ("实绩指标", "Indicators"),
    "unit.tab_survey": ("群众评价", "Survey"),
    "unit.tab_comp": ("过程合规", "Compliance"),
    "unit.tab_excl": ("不计分项", "No points"),
    "unit.tab_trend": ("历季趋势", "Trend"),
    "unit.strengths": ("优势（高于组内平均最多）", "Strengths (furthest above the group)"),
    "unit.weaknesses": ("短板（低于组内平均最多）", "Weaknesses (furthest below the group)"),
    "unit.no_survey": ("本季度没有该单位的有效问卷。", "No valid survey responses for this unit this quarter."),
    "unit.n_valid": ("有效样本", "Valid respondents"),
    "unit.n_unknown": ("“不了解”次数", "“Don't know” answers"),
    "unit.mean": ("平均分", "Mean"),
    "unit.ci": ("{level:.0%} 置信区间", "{level:.0%} confidence interval"),
    "unit.sat_rate": ("满意率", "Satisfaction rate"),
    "unit.excl_caption": ("以下列出现在上传表格中，但衡量的是形式而非实绩，一律不计分。",
                          "These columns were in the uploads but measure formality, not results: they earn no points."),
    "unit.no_points": ("不计分", "Earns no points"),
    # ---- weights
    "w.title": ("{period} 权重分析", "{period} weight analysis"),
    "w.tab_live": ("实时调整权重", "Live re-weighting"),
    "w.tab_analysis": ("敏感性分析", "Sensitivity analysis"),
    "w.reset": ("恢复正式权重", "Reset to official"),
    "w.official_banner": ("当前为正式权重，排名与已发布结果一致。", "Official weights: the ranking equals the published result."),
    "w.whatif_banner": (
        "**假设分析，不是正式结果。** 权重 群众评价 {m:.0%} / 实绩数据 {p:.0%} / 过程合规 {c:.0%} 下，"
        "{moved} 个单位名次变化，{graded} 个单位等次变化。",
        "**What-if, not the published result.** Under mass {m:.0%} / performance {p:.0%} / compliance {c:.0%}, "
        "{moved} units change rank and {graded} change grade."),
    # ---- sensitivity
    "sens.intro": ("名次是事实，还是 40/40/20 这组权重的产物？以下在正式权重附近随机抽样权重、逐一扫描各维度权重，并给出整张权重三角图。",
                   "Is a rank a fact or an artefact of 40/40/20? Below: random weights around the official ones, "
                   "one-at-a-time sweeps, and the whole weight simplex."),
    "sens.method": ("抽样方式", "Sampling"),
    "sens.uniform": ("均匀 ±Δ", "Uniform ±Δ"),
    "sens.dirichlet": ("狄利克雷 κ", "Dirichlet κ"),
    "sens.delta": ("Δ（百分点）", "Δ (percentage points)"),
    "sens.kappa": ("κ（越大越集中）", "κ (larger = tighter)"),
    "sens.n": ("样本数 N", "Samples N"),
    "sens.k": ("前 k 名", "Top k"),
    "sens.sampling": ("正在抽样计算…", "Sampling…"),
    "sens.mars": ("平均名次变动", "Mean absolute rank shift"),
    "sens.spearman": ("与正式排名的 Spearman 相关", "Spearman vs official ranking"),
    "sens.robust_n": ("稳健单位", "Robust units"),
    "sens.seconds": ("计算耗时", "Compute time"),
    "sens.robust": ("稳健", "Robust"),
    "sens.sensitive": ("敏感", "Sensitive"),
    "sens.median": ("抽样名次中位数", "Median sampled rank"),
    "sens.nominal": ("正式名次", "Official rank"),
    "sens.sweep": ("单维度权重扫描", "One-at-a-time sweep"),
    "sens.dimension": ("扫描维度", "Dimension swept"),
    "sens.units": ("显示的单位", "Units shown"),
    "sens.weight_of": ("{dim} 权重（其余按比例）", "Weight of {dim} (others in proportion)"),
    "sens.official_mark": ("正式 {w:.0%}", "official {w:.0%}"),
    "sens.official": ("正式权重", "Official weights"),
    "sens.ternary": ("权重三角图", "Weight simplex"),
    "sens.ternary_unit": ("查看单位", "Unit"),
    "sens.sobol": ("Sobol 敏感性指数", "Sobol indices"),
    "sens.sobol_caption": ("S1：单独改变该维度权重引起的变动占比；ST：含与其他权重交互的总占比。",
                           "S1: share of the variation due to that weight alone; ST: including its interactions."),
    "sens.download": ("下载完整分析（Excel）", "Download the analysis (Excel)"),
    "sens.methods": ("方法选择的不确定性", "Uncertainty over method choices"),
    "sens.methods_intro": ("除权重外，名次还取决于计分方法、聚合方式、异常值处理和缺失值处理。选择要变动的假设，每个样本在各选项中随机抽取"
                           "（权重按上方 Δ 抽样），给出名次区间和各假设的 Sobol 指数。",
                           "Besides the weights, a rank depends on the scoring methods, the aggregation rule, outlier treatment and "
                           "the missing-value policy. Choose the assumptions to vary: each sample draws one option of each (the "
                           "weights within the Δ above), giving rank intervals and each assumption's Sobol indices."),
    "sens.methods_ind": ("变动计分方法的指标（极差 / 标准分 / 位次）", "Indicators whose method varies (min-max / z-score / rank)"),
    "sens.methods_agg": ("算术/几何聚合", "Arithmetic / geometric"),
    "sens.methods_treat": ("异常值处理 开/关", "Outlier treatment on / off"),
    "sens.methods_missing": ("缺失值处理方式", "Missing-value policies"),
    "sens.methods_run": ("运行方法不确定性分析", "Run the method-choice analysis"),
    "sens.methods_caption": ("{n} 个蒙特卡洛样本，另加 Sobol 设计；计算耗时 {ms:.0f} ms。",
                             "{n} Monte Carlo samples plus the Sobol design; computed in {ms:.0f} ms."),
    "missing.reweight": ("按比例分配权重", "reweight"),
    "missing.zero": ("按 0 分计", "zero"),
    "missing.group_mean": ("组内平均", "group mean"),
    "missing.group_median": ("组内中位数", "group median"),
    "missing.previous": ("沿用上季度数值", "previous quarter"),
    # ---- statistical audit
    "audit.title": ("{period} 统计审查", "{period} statistical audit"),
    "audit.intro": ("调整权重之前，先看指标是否测量了指标体系声称的内容：覆盖率与缺失、偏度与峰度（异常值）、节点内相关性、"
                    "Cronbach α、主成分，以及各指标的有效权重。相关性按已报送数值的得分计算（不含补齐值）。",
                    "Before changing weights, check that the indicators measure what the tree claims: coverage and "
                    "missing data, skewness and kurtosis (outliers), correlations within each node, Cronbach's α, "
                    "principal components and each indicator's effective weight. Correlations use the scores of "
                    "reported values (no imputed ones)."),
    "audit.scope": ("审查范围", "Units audited"),
    "audit.all_units": ("全部单位", "All units"),
    "audit.settings": ("本季度模型的数据处理：异常值 {outliers}；缺失值 {missing}；聚合 {aggregation}。",
                       "Data treatment in this quarter's model: outliers {outliers}; missing values {missing}; "
                       "aggregation {aggregation}."),
    "audit.rule": ("异常值规则（COINr）：组内 |偏度| ≥ {skew:g} 且峰度 ≥ {kurtosis:g}（均为样本修正值，峰度为超额峰度）。",
                   "Outlier rule (COINr's): |skewness| ≥ {skew:g} and kurtosis ≥ {kurtosis:g} (bias-corrected; excess kurtosis)."),
    "audit.n_outliers": ("有异常值的指标", "Indicators with outliers"),
    "audit.n_negative": ("负相关指标对", "Negatively correlated pairs"),
    "audit.n_duplicates": ("近似重复指标对（|r| > 0.92）", "Near-duplicate pairs (|r| > 0.92)"),
    "audit.low_alpha": ("最低 Cronbach α", "Lowest Cronbach's α"),
    "audit.indicators": ("指标数据质量", "Indicator data"),
    "audit.correlations": ("相关性", "Correlations"),
    "audit.node": ("节点", "Node"),
    "audit.method": ("相关系数", "Correlation"),
    "audit.pearson": ("Pearson", "Pearson"),
    "audit.spearman": ("Spearman", "Spearman"),
    "audit.by_node": ("节点内", "Within a node"),
    "audit.by_level": ("同级节点之间", "Between nodes of a level"),
    "audit.level": ("层级", "Level"),
    "audit.pairs": ("需要关注的指标对（负相关或近似重复）", "Pairs to look at (negative or near-duplicate)"),
    "audit.against": ("与上级、实绩得分和总分的相关性", "Against the parent, the performance score and the total"),
    "audit.nodes": ("节点一致性：Cronbach α 与第一主成分解释方差", "Node consistency: Cronbach's α and the first principal component"),
    "audit.effective_title": ("有效权重", "Effective weights"),
    "audit.effective_caption": ("有效权重 = 指标得分与实绩得分 Pearson 相关系数的平方，归一化后与名义权重（指标体系权重，按报送单位平均）比较："
                                "比值远离 1 说明指标对排名的实际影响与设定权重不符。",
                                "Effective weight = the squared Pearson correlation of the indicator's scores with the performance "
                                "score, normalised, next to its nominal share (the tree's weights, averaged over the units reporting "
                                "it): a ratio far from 1 means the indicator moves the ranking more or less than its weight says."),
    "audit.nominal": ("名义权重", "Nominal share"),
    "audit.effective": ("有效权重", "Effective share"),
    "audit.download": ("下载统计审查（Excel）", "Download the audit (Excel)"),
    "audit.none": ("无", "none"),
    "audit.negative": ("负相关", "negative"),
    "audit.near_duplicate": ("近似重复", "near-duplicate"),
    "col.coverage": ("覆盖率", "Coverage"),
    "col.missing_share": ("缺失比例", "Missing"),
    "col.n_units": ("适用单位数", "Units"),
    "col.n_reported": ("报送数", "Reported"),
    "col.mean": ("均值", "Mean"),
    "col.sd": ("标准差", "SD"),
    "col.skewness": ("偏度", "Skewness"),
    "col.kurtosis": ("峰度", "Kurtosis"),
    "col.outlier_flag": ("异常值", "Outliers"),
    "col.groups_flagged": ("触发规则的组别", "Groups flagged"),
    "col.n_beyond_iqr": ("超出 1.5×IQR 的值", "Beyond 1.5×IQR"),
    "col.a_name": ("指标 A", "A"),
    "col.b_name": ("指标 B", "B"),
    "col.r": ("相关系数", "r"),
    "col.corr_method": ("类型", "Type"),
    "col.kind": ("问题", "Issue"),
    "col.node_name": ("节点", "Node"),
    "col.pearson_parent": ("与上级 (Pearson)", "vs parent (Pearson)"),
    "col.spearman_parent": ("与上级 (Spearman)", "vs parent (Spearman)"),
    "col.pearson_performance": ("与实绩得分 (Pearson)", "vs performance (Pearson)"),
    "col.pearson_total": ("与总分 (Pearson)", "vs total (Pearson)"),
    "col.spearman_total": ("与总分 (Spearman)", "vs total (Spearman)"),
    "col.n_children": ("下级数", "Children"),
    "col.n_complete": ("完整单位数", "Complete units"),
    "col.alpha": ("Cronbach α", "Cronbach's α"),
    "col.pca_first_share": ("第一主成分解释方差", "First component's variance share"),
    "col.nominal_share": ("名义权重", "Nominal share"),
    "col.effective_share": ("有效权重", "Effective share"),
    "col.ratio": ("有效/名义", "Effective / nominal"),
    # ---- reverse
    "rev.title": ("{period} 基层评议上级", "{period} reverse evaluation"),
    "rev.none": ("本季度没有基层评议数据。", "No reverse-evaluation data this quarter."),
    "rev.caption": ("乡镇街道匿名评议市直部门（{criteria}）。少于 {k} 个评议单位的结果不显示；评议结果占部门群众评价的 {share:.0%}，"
                    "低于 {floor:g} 分的部门不得评为最高等次。",
                    "Towns and streets rate the departments anonymously ({criteria}). Results from fewer than {k} raters "
                    "are suppressed; the result is {share:.0%} of a department's mass evaluation, and below {floor:g} the "
                    "department cannot get the top grade."),
    "rev.departments": ("被评部门", "Departments rated"),
    "rev.suppressed": ("样本不足不显示", "Suppressed"),
    "rev.below": ("低于底线", "Below the floor"),
    "rev.hidden": ("样本不足，不显示（少于 {k} 个评议单位）", "Too few raters, not shown (fewer than {k})"),
    "rev.capped": ("低于 {floor:g} 分，不得评为最高等次", "Below {floor:g}: cannot get the top grade"),
    "rev.privacy": ("评议单位身份只用于统计数量，不保存。", "Raters are only counted; who rated is never stored."),
    # ---- model
    "model.title": ("模型设置", "Model settings"),
    "model.version": ("模型版本", "Model version"),
    "model.official": ("正式模型（随程序发布）", "Official model (ships with Sanwei)"),
    "model.caption": ("{name} · 版本 {version}。导入数据时使用已启用的版本（当前：{active}）。分析人员的修改保存为草稿，"
                      "由考核办启用；原有版本不会被覆盖。",
                      "{name} · version {version}. Imports use the activated version (now: {active}). Analysts save "
                      "edits as drafts, which an officer activates; no version is ever overwritten."),
    "model.unit_type": ("查看的单位类型", "Unit type shown"),
    "model.dimensions": ("维度权重", "Dimension weights"),
    "model.grades": ("等次", "Grades"),
    "model.tree": ("实绩指标体系", "Performance indicator tree"),
    "model.tree_caption": ("权重为同级之间的相对权重，同级之和须为 1；形式主义指标权重必须为 0。",
                           "Weights are relative to siblings and must sum to 1; formalism indicators must have weight 0."),
    "model.scale": ("群众评价答案量表", "Survey answer scale"),
    "model.invalid": ("模型有 {n} 处问题，不能保存：", "The model has {n} problems and cannot be saved:"),
    "model.valid": ("模型校验通过。", "The model is valid."),
    "model.save": ("保存为模型草稿", "Save as a model draft"),
    "model.saved": ("已保存模型草稿 #{id}：考核办启用后才用于计分", "Saved model draft #{id}: it scores once an officer activates it"),
    "model.label": ("版本名称（如 2027.1 调整群众评价权重）", "Version name (e.g. 2027.1 mass weight raised)"),
    "model.note": ("修改说明", "What it changes"),
    "model.activate": ("启用此模型版本…", "Activate this model version…"),
    "model.activate_reason": ("启用理由（必填，写入审计日志）", "Reason (required, kept in the audit log)"),
    "model.activated": ("已启用模型 #{id}，此后导入的数据按它计分", "Activated model #{id}: imports from now on are scored with it"),
    "model.is_active": ("这是当前启用的模型。", "This is the active model."),
    "model.download": ("下载模型文件", "Download the model file"),
    "model.upload": ("上传模型文件", "Upload a model file"),
    "model.upload_ok": ("模型“{name}”校验通过。", "Model “{name}” is valid."),
    "model.save_upload": ("保存为模型草稿", "Save as a model draft"),
}


# What each flag and note says, with its parameters (scoring.flags.PARAMS); a flag's short label is TEXT["flag.<code>"].
FLAG_TEXT: dict[FlagCode | NoteCode, tuple[str, str]] = {
    FlagCode.LOW_SAMPLE: ("有效样本 {n} 份，低于 {min} 份", "valid sample {n} below the minimum {min}"),
    FlagCode.UNCATEGORISED: ("{n} 份问卷的受访者类别缺失或不在模型中，未计入类别加权均值",
                             "{n} respondents without a model respondent category left out of the weighted mean"),
    FlagCode.UNWEIGHTED: ("问卷没有受访者类别，按全部受访者简单平均", "no respondent categories: plain mean over all respondents"),
    FlagCode.REVERSE_SUPPRESSED: ("评议单位不足 {k} 个，结果不显示、不计入", "fewer than {k} raters: result suppressed"),
    FlagCode.REVERSE_BELOW_FLOOR: ("基层评议 {score:.2f} 分，低于 {floor:g} 分，不得评为{tier}",
                                   "reverse evaluation {score:.2f} below {floor:g}: cannot be graded {tier}"),
    FlagCode.BONUS_CAPPED: ("加分 {bonus:g} 超过上限 {cap:g}", "bonus {bonus:g} capped at {cap:g}"),
    FlagCode.CLIPPED: ("合计 {raw:.2f} 截取到 [0, 100]", "total {raw:.2f} clipped to [0, 100]"),
    FlagCode.INCOMPLETE: ("缺少{dimensions}，不排名、不评等次", "missing {dimensions}: not ranked or graded"),
    FlagCode.VETO: ("一票否决（{reason}）", "veto: {reason}"),
    FlagCode.QUOTA: ("超出等次名额，调整为{tier}", "beyond the tier quota: {tier}"),
    NoteCode.NO_SPREAD: ("组内无差异，全部满分", "no spread in the comparison group: full marks"),
    NoteCode.MISSING_ZERO: ("缺失，按 0 分计", "missing: scored 0"),
    NoteCode.MISSING_GROUP_MEAN: ("缺失，按组内平均 {value:.2f} 分计", "missing: group mean {value:.2f}"),
    NoteCode.MISSING_REWEIGHTED: ("缺失，权重按比例分给同级指标", "missing: its weight is shared among its siblings"),
    NoteCode.DEDUCTIONS_FLOORED: ("扣分超过 100，保底 0 分", "deductions beyond 100: floored at 0"),
    NoteCode.MISSING_GROUP_MEDIAN: ("缺失，按组内中位数 {value:.2f} 分计", "missing: group median {value:.2f}"),
    NoteCode.MISSING_PREVIOUS: ("缺失，沿用 {period} 的数值 {value:g} 计分", "missing: scored on its {period} value {value:g}"),
    NoteCode.WINSORISED: ("异常值缩尾处理：{value:g} → {treated:g}（组内偏度 {skew:.2f}、峰度 {kurtosis:.2f}）",
                          "outlier winsorised: {value:g} → {treated:g} (group skewness {skew:.2f}, kurtosis {kurtosis:.2f})"),
    NoteCode.LOG_TRANSFORMED: ("组内分布严重偏斜（偏度 {skew:.2f}、峰度 {kurtosis:.2f}），{value:g} 按对数变换值 {treated:.4g} 计分",
                               "skewed in its group (skewness {skew:.2f}, kurtosis {kurtosis:.2f}): {value:g} scored on "
                               "its log transform {treated:.4g}"),
}


def flag_label(code: str, lang: str = "zh") -> str:
    """A flag's short label; an unknown code (from a newer library) shows as itself, never an error."""
    entry = TEXT.get(f"flag.{code}")
    return entry[1 if lang == "en" else 0] if entry else code


def flag_text(flag: Flag, lang: str = "zh") -> str:
    """What a flag says in `lang`: its template filled with its parameters, data values in the
    language's form (`x_en` for English when given, dimension codes by their names)."""
    if "text_zh" in flag.params:  # a flag stored before flags were codes: its words as they were
        return flag.params["text_en" if lang == "en" else "text_zh"]
    params = {k: v for k, v in flag.params.items() if not k.endswith("_en")}
    if lang == "en":
        params.update({k.removesuffix("_en"): v for k, v in flag.params.items() if k.endswith("_en") and v})
    if "dimensions" in params:
        params["dimensions"] = join((t(f"dim.{d}", lang) for d in params["dimensions"]), lang)
    return FLAG_TEXT[flag.code][1 if lang == "en" else 0].format(**params)


def notes_text(notes, lang: str = "zh") -> str:
    """The words of a breakdown row's notes (its `note` and `treatment`; None skipped), joined."""
    return "；".join(flag_text(n, lang) for n in notes if isinstance(n, Flag)) if lang != "en" else \
        "; ".join(flag_text(n, lang) for n in notes if isinstance(n, Flag))


def flag_json(flag: Flag) -> dict:
    """The JSON contract's form of a flag: code, parameters and the words in both languages."""
    return {**flag.as_json(), "zh": flag_text(flag, "zh"), "en": flag_text(flag, "en")}


def join(items, lang: str = "zh") -> str:
    """A list in running text: 、 in Chinese, a comma in English."""
    return t("list.sep", lang).join(map(str, items))


def t(key: str, lang: str = "zh", **values) -> str:
    """The UI string `key` in `lang` ("zh" or "en"), formatted with `values`."""
    text = TEXT[key][1 if lang == "en" else 0]
    return text.format(**values) if values else text
