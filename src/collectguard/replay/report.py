"""回放报告（HTML）/ The replay's HTML report (`collectguard replay --report FILE.html`).

One self-contained page: the vendored ECharts (console/static/vendor/echarts.min.js) and the stylesheet are inlined,
the figures travel as one JSON block, and nothing is fetched from the network (the page's Content-Security-Policy
allows no source at all; its two inline scripts run by their SHA-256 hashes). Charts: violations by rule (with the
article and title from the rulebook profile), by agency, by collector (top 20), by local day and by local hour of
day (the quiet hours shaded); a summary header (calls, judged, unmatched, denied, denial rate, unmatched reasons,
malformed rows) and the worst calls (most rules failed, then earliest).

Pure: `figures(result, profile)` computes the numbers, `render_html` writes the page; no I/O besides reading the
vendored script once. Every string from a log is escaped (HTML text and attributes by `html.escape`, the JSON block
with `<`, `>` and `&` as \\u escapes, so a `</script>` in a collector id stays text); party numbers are masked
(privacy.masking.mask_phone), as are long digit runs in the malformed rows' messages.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from collectguard.privacy.masking import mask_phone
from collectguard.replay.model import ReplayResult, Verdict
from collectguard.rulebook.profile import Profile, load_profile

__all__ = ["RuleMeta", "figures", "render_html", "rule_meta"]

TOP_COLLECTORS = 20
WORST_CALLS = 50
ERRORS_SHOWN = 20

# Reasons a row is unmatched (FORMAT.md "Meaning"); an unknown code is shown as it is.
UNMATCHED_ZH = {
    "unknown-collector": "未知催收员",
    "unknown-tool-number": "主叫号码不是登记的催收工具",
    "unknown-party-number": "被叫号码不是债务人或联系人",
    "unknown-debt": "日志所列债务不存在",
    "no-open-debt": "该机构下没有未结清的债务",
    "several-open-debts": "该机构下有多笔未结清债务，无法确定",
    "bad-channel-mode-or-purpose": "渠道、方式或目的无法识别",
    "unmatched": "未能匹配",
}

PALETTE = ["#2f6fde", "#d9480f", "#2b8a3e", "#ae3ec9", "#f08c00", "#1098ad", "#e64980", "#5c7cfa", "#868e96",
           "#74b816"]
OK_COLOUR, BAD_COLOUR, RATE_COLOUR = "#2b8a3e", "#c92a2a", "#b35900"


@dataclass(frozen=True)
class RuleMeta:
    """A rule as the report names it: id, article (as the profile writes it and in Chinese form), titles."""

    id: str
    article: str
    article_zh: str
    title_zh: str
    title_en: str


def _article_zh(article: str) -> str:
    """"9" → 第9条, "15(二)" → 第15条(二), "17(二), 18(一)" → 第17条(二), 18(一); anything else as it is."""
    found = re.match(r"^(\d+)(.*)$", article)
    return f"第{found.group(1)}条{found.group(2)}" if found else article


def rule_meta(rule_id: str, profile: Profile) -> RuleMeta:
    """The profile's words for a rule id (a rule, else an obligation); an id it does not know stays bare."""
    try:
        rule = profile.rule(rule_id)
        return RuleMeta(rule_id, rule.article, _article_zh(rule.article), rule.message_zh, rule.message_en)
    except KeyError:
        pass
    duty = profile.obligations.get(rule_id)
    if duty is not None:
        return RuleMeta(rule_id, duty.article, _article_zh(duty.article), duty.title_zh, duty.title_en)
    return RuleMeta(rule_id, "", "", "", "")


# -- the numbers --------------------------------------------------------------------------------------------------
def _collector(v: Verdict) -> str:
    return v.collector or v.call.collector


def _rate(denied: int, judged: int) -> float:
    return round(100.0 * denied / judged, 1) if judged else 0.0


def _local_time(v: Verdict) -> str:
    start = v.call.start
    offset = start.strftime("%z")
    zone = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return start.strftime("%Y-%m-%d %H:%M:%S") + (f" {zone}" if zone else "")


_DIGITS = re.compile(r"\+?\d[\d\- ]{5,}\d")


def _mask_digits(text: str) -> str:
    """Long digit runs (phone numbers in a malformed row's message) masked as phone numbers."""
    return _DIGITS.sub(lambda m: mask_phone(m.group(0)) or "", text)


def figures(result: ReplayResult, profile: Profile | None = None, *, worst: int = WORST_CALLS) -> dict[str, Any]:
    """Everything the page shows, as plain data (the summary of FORMAT.md plus hours, rates and the worst calls)."""
    profile = profile or load_profile()
    summary = result.summary()
    by_hour = [{"judged": judged, "denied": denied} for judged, denied in result.tally.by_hour]
    rules = sorted(summary["by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))
    metas = {rid: rule_meta(rid, profile) for rid, _ in rules}
    collectors = sorted(summary["by_collector"].items(),
                        key=lambda kv: (-kv[1]["denied"], -kv[1]["judged"], kv[0]))
    bad = sorted(result.denied, key=lambda v: (-len(v.rules), v.call.start, v.call.order, v.call.line))[:max(0, worst)]
    files = result.tally.files
    return {
        "calls": summary["calls"], "judged": summary["judged"], "unmatched": summary["unmatched"],
        "denied": summary["denied"], "rate": _rate(summary["denied"], summary["judged"]),
        "errors": len(result.errors),
        "profile": profile.label,
        "by_rule": [{"rule": rid, "count": n, **_meta_dict(metas[rid])} for rid, n in rules],
        "by_agency": [{"agency": k, **row, "rate": _rate(row["denied"], row["judged"])}
                      for k, row in sorted(summary["by_agency"].items(),
                                           key=lambda kv: (-kv[1]["denied"], -kv[1]["judged"], kv[0]))],
        "by_collector": [{"collector": k, **row, "rate": _rate(row["denied"], row["judged"])}
                         for k, row in collectors[:TOP_COLLECTORS]],
        "collectors_total": len(collectors),
        "by_day": [{"day": k, **row, "rate": _rate(row["denied"], row["judged"])}
                   for k, row in summary["by_day"].items()],
        "by_hour": [{"hour": h, **row, "rate": _rate(row["denied"], row["judged"])} for h, row in enumerate(by_hour)],
        "unmatched_reasons": sorted(summary["unmatched_reasons"].items(), key=lambda kv: (-kv[1], kv[0])),
        "worst": [{
            "where": f"{v.call.file}:{v.call.line}" if len(files) > 1 else str(v.call.line),
            "uniqueid": v.call.uniqueid, "start": _local_time(v), "collector": _collector(v),
            "agency": v.agency or "in-house", "party": mask_phone(v.call.party_number) or "",
            "rules": list(v.rules),
        } for v in bad],
        "worst_total": summary["denied"],
        "error_rows": [{"file": f, "line": n, "message": _mask_digits(m)} for f, n, m in result.errors[:ERRORS_SHOWN]],
        "rules": {rid: _meta_dict(m) for rid, m in metas.items()},
        "quiet": _quiet_hours(profile),
    }


def _quiet_hours(profile: Profile) -> list[int]:
    """The local hours of day (0–23) that the quiet hours touch, for the hour chart's shading."""
    quiet = profile.quiet_hours
    if quiet.all_day:
        return list(range(24))
    first, last = quiet.start.hour, (quiet.end.hour - (0 if quiet.end.minute else 1)) % 24
    return [h % 24 for h in range(first, first + ((last - first) % 24) + 1)]


def _meta_dict(m: RuleMeta) -> dict[str, str]:
    return {"article": m.article, "article_zh": m.article_zh, "title_zh": m.title_zh, "title_en": m.title_en}


# -- the charts (ECharts options; the page's script adds the tooltips) ---------------------------------------------
def _stacked(categories: list[str], rows: list[dict[str, Any]], *, horizontal: bool, rate: bool) -> dict[str, Any]:
    value_axis: Any = {"type": "value", "minInterval": 1}
    category_axis: dict[str, Any] = {"type": "category", "data": categories}
    series: list[dict[str, Any]] = [
        {"name": "合规 allowed", "type": "bar", "stack": "calls", "color": OK_COLOUR,
         "data": [r["judged"] - r["denied"] for r in rows]},
        {"name": "违规 denied", "type": "bar", "stack": "calls", "color": BAD_COLOUR,
         "data": [r["denied"] for r in rows]},
    ]
    if horizontal:
        category_axis["inverse"] = True
        category_axis["axisLabel"] = {"width": 150, "overflow": "truncate"}
        option: dict[str, Any] = {"xAxis": value_axis, "yAxis": category_axis,
                                  "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True}}
    else:
        option = {"xAxis": category_axis, "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True}}
        if rate:
            value_axis = [value_axis, {"type": "value", "name": "违规率 %", "min": 0, "max": 100,
                                       "splitLine": {"show": False}}]
            series.append({"name": "违规率 denial rate %", "type": "line", "yAxisIndex": 1, "color": RATE_COLOUR,
                           "data": [r["rate"] for r in rows], "symbolSize": 6})
        option["yAxis"] = value_axis
    option.update({"legend": {"top": 0}, "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
                   "series": series})
    return option


def _spans(hours: list[int]) -> list[tuple[int, int]]:
    """Sorted hours as runs: [0..7, 22, 23] → (0, 7), (22, 23)."""
    spans: list[tuple[int, int]] = []
    for h in sorted(set(hours)):
        if spans and spans[-1][1] == h - 1:
            spans[-1] = (spans[-1][0], h)
        else:
            spans.append((h, h))
    return spans


def charts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ECharts option of each chart, by element id."""
    rules = data["by_rule"]
    hours = [f"{h:02d}" for h in range(24)]
    hour_chart = _stacked(hours, data["by_hour"], horizontal=False, rate=False)
    shade = {"silent": True, "itemStyle": {"color": "rgba(89,99,110,0.10)"},
             "label": {"show": True, "position": "insideTop", "color": "#59636e", "fontSize": 11},
             "data": []}
    shade["data"] = [[{"name": "静默 quiet", "xAxis": f"{a:02d}"}, {"xAxis": f"{b:02d}"}]
                     for a, b in _spans(data["quiet"])]
    hour_chart["series"][0]["markArea"] = shade
    return {
        "chart-rules": {
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {"type": "category", "inverse": True,
                      "data": [f"{r['rule']}  {r['article_zh']}".rstrip() for r in rules],
                      "axisLabel": {"width": 260, "overflow": "truncate"}},
            "grid": {"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "series": [{"name": "违规通话 calls failing", "type": "bar", "color": BAD_COLOUR,
                        "label": {"show": True, "position": "right"},
                        "data": [r["count"] for r in rules]}],
        },
        "chart-agencies": _stacked([a["agency"] for a in data["by_agency"]], data["by_agency"],
                                   horizontal=True, rate=False),
        "chart-collectors": _stacked([c["collector"] for c in data["by_collector"]], data["by_collector"],
                                     horizontal=True, rate=False),
        "chart-days": _stacked([d["day"] for d in data["by_day"]], data["by_day"], horizontal=False, rate=True),
        "chart-hours": hour_chart,
    }


# -- the page -----------------------------------------------------------------------------------------------------
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _json_for_script(value: object) -> str:
    """JSON that cannot end its <script> element or open a comment: <, > and & as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@cache
def _echarts() -> str:
    text = (resources.files("collectguard") / "console" / "static" / "vendor" / "echarts.min.js").read_text("utf-8")
    lowered = text.lower()
    if "</script" in lowered or "<!--" in lowered:  # would end (or confuse) the inline <script>
        raise ValueError("echarts.min.js 含有 </script 或 <!--，不能内联 / cannot be inlined")
    return text


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


_CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--bg:#f3f4f6;--brand:#17325c;--accent:#2f6fde;
--ok:#2b8a3e;--warn:#b35900;--bad:#c92a2a;--radius:8px;
font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,Helvetica,Arial,sans-serif}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.55;font-size:14px}
.topbar{height:52px;background:var(--brand);color:#fff;display:flex;align-items:center;
justify-content:space-between;padding:0 20px}
.brand{font-weight:700;font-size:16px}.brand-en{font-weight:400;opacity:.75;margin-left:6px}
.content{padding:20px 24px 48px;max-width:1400px;margin:0 auto}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:0 0 10px}h2 .en{font-weight:400;color:var(--muted);font-size:13px}
.muted{color:var(--muted)}.small{font-size:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:var(--radius);padding:16px 18px;margin-bottom:16px}
.grid{display:grid;gap:16px}.grid.two{grid-template-columns:repeat(2,minmax(0,1fr))}
.kpis{display:grid;gap:12px;grid-template-columns:repeat(6,minmax(0,1fr));margin:14px 0 16px}
@media (max-width:1000px){.grid.two{grid-template-columns:1fr}.kpis{grid-template-columns:repeat(2,1fr)}}
.kpi{background:#fff;border:1px solid var(--line);border-radius:var(--radius);padding:14px 16px}
.kpi .label{color:var(--muted);font-size:12px}.kpi .value{font-size:26px;font-weight:700;line-height:1.2}
.kpi.bad .value{color:var(--bad)}.kpi.warn .value{color:var(--warn)}.kpi.ok .value{color:var(--ok)}
.chart{width:100%;height:320px}.chart.tall{height:460px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #eceff2;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#fdecec;color:var(--bad);
margin:1px 4px 1px 0;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:var(--soft);
padding:1px 4px;border-radius:4px;word-break:break-all}
.empty{color:var(--muted);padding:24px 0;text-align:center}
"""

# The page's own script: one chart per element with an option in the JSON block; tooltips built here, escaped.
_INIT = """(function(){"use strict";
var data=JSON.parse(document.getElementById("replay-data").textContent);
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return{"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c];});}
function ruleTip(ps){var p=ps[0],r=data.figures.by_rule[p.dataIndex];if(!r){return "";}
return "<b>"+esc(r.rule)+"</b> "+esc(r.article_zh)+"<br>"+esc(r.title_zh)+"<br><span style='color:#59636e'>"
+esc(r.title_en)+"</span><br>违规通话 calls: <b>"+esc(p.value)+"</b>";}
function axisTip(ps){var out=["<b>"+esc(ps[0].axisValueLabel!==undefined?ps[0].axisValueLabel:ps[0].name)+"</b>"];
ps.forEach(function(p){out.push(p.marker+esc(p.seriesName)+": <b>"+esc(p.value)+"</b>");});return out.join("<br>");}
var font="'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif";
Object.keys(data.charts).forEach(function(id){var el=document.getElementById(id);if(!el){return;}
var option=data.charts[id];option.animation=false;option.textStyle={fontFamily:font};
option.color=data.palette;option.tooltip=option.tooltip||{};option.tooltip.formatter=id==="chart-rules"?ruleTip:axisTip;
var chart=echarts.init(el,null,{renderer:"canvas"});chart.setOption(option,true);el.setAttribute("data-chart-ready","1");
window.addEventListener("resize",function(){chart.resize();});});
document.documentElement.setAttribute("data-report-ready","1");})();"""


def _kpi(label_zh: str, label_en: str, value: object, kind: str = "") -> str:
    return (f'<div class="kpi {kind}"><div class="label">{_e(label_zh)} {_e(label_en)}</div>'
            f'<div class="value">{_e(value)}</div></div>')


def _card(title_zh: str, title_en: str, body: str, *, cls: str = "") -> str:
    return (f'<section class="card {cls}"><h2>{_e(title_zh)} <span class="en">{_e(title_en)}</span></h2>'
            f"{body}</section>")


def _chart(ident: str, rows: int, *, tall: bool = False) -> str:
    if not rows:
        return '<div class="empty">无数据 no data</div>'
    return f'<div class="chart{" tall" if tall else ""}" id="{_e(ident)}"></div>'


def _rows(cells: Iterable[str]) -> str:
    return "".join(cells)


def _rule_badges(rule_ids: list[str], rules: dict[str, dict[str, str]]) -> str:
    out = []
    for rid in rule_ids:
        meta = rules.get(rid, {})
        tip = " ".join(x for x in (meta.get("article_zh", ""), meta.get("title_zh", ""), meta.get("title_en", "")) if x)
        label = f"{rid} {meta.get('article_zh', '')}".strip()
        out.append(f'<span class="badge" title="{_e(tip)}">{_e(label)}</span>')
    return "".join(out)


def render_html(result: ReplayResult, *, title: str, profile: Profile | None = None,
                worst: int = WORST_CALLS) -> str:
    """The report page, self-contained (no network), every string escaped and every party number masked."""
    profile = profile or load_profile()
    data = figures(result, profile, worst=worst)
    options = charts(data)
    payload = {"figures": {"by_rule": data["by_rule"]}, "charts": options, "palette": PALETTE}
    json_block = _json_for_script(payload)
    echarts_js = _echarts()
    csp = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src {_hash(echarts_js)} {_hash(_INIT)}")

    kpis = "".join([
        _kpi("通话", "calls", data["calls"]),
        _kpi("已判定", "judged", data["judged"]),
        _kpi("未匹配", "unmatched", data["unmatched"], "warn" if data["unmatched"] else ""),
        _kpi("违规通话", "denied", data["denied"], "bad" if data["denied"] else "ok"),
        _kpi("违规率", "denial rate", f"{data['rate']:.1f}%", "bad" if data["denied"] else "ok"),
        _kpi("格式错误行", "malformed rows", data["errors"], "warn" if data["errors"] else ""),
    ])

    reasons = data["unmatched_reasons"]
    reasons_html = (
        "<table><thead><tr><th>原因 reason</th><th>说明</th><th class=\"num\">通话 calls</th></tr></thead><tbody>"
        + _rows(f"<tr><td><code>{_e(code)}</code></td><td>{_e(UNMATCHED_ZH.get(code, ''))}</td>"
                f'<td class="num">{n}</td></tr>' for code, n in reasons)
        + "</tbody></table>") if reasons else '<div class="empty">全部匹配 every call matched</div>'

    rule_table = (
        "<table><thead><tr><th>规则 rule</th><th>条款 article</th><th>说明 title</th>"
        "<th class=\"num\">违规通话 calls</th></tr></thead><tbody>"
        + _rows(f"<tr><td><code>{_e(r['rule'])}</code></td><td>{_e(r['article_zh'])}</td>"
                f"<td>{_e(r['title_zh'])}<br><span class=\"muted small\">{_e(r['title_en'])}</span></td>"
                f'<td class="num">{r["count"]}</td></tr>' for r in data["by_rule"])
        + "</tbody></table>") if data["by_rule"] else ""

    worst_rows = _rows(
        f'<tr><td class="num">{_e(w["where"])}</td><td><code>{_e(w["uniqueid"])}</code></td>'
        f'<td style="white-space:nowrap">{_e(w["start"])}</td><td>{_e(w["collector"])}</td><td>{_e(w["agency"])}</td>'
        f'<td style="white-space:nowrap">{_e(w["party"])}</td><td>{_rule_badges(w["rules"], data["rules"])}</td></tr>'
        for w in data["worst"])
    worst_html = (
        '<table class="worst"><thead><tr><th class="num">行 line</th><th>uniqueid</th><th>开始（当地）start</th>'
        "<th>催收员 collector</th><th>机构 agency</th><th>被叫 party</th><th>违反规则 rules</th></tr></thead>"
        f"<tbody>{worst_rows}</tbody></table>"
        f'<p class="muted small">显示 {len(data["worst"])} / {data["worst_total"]} 通违规通话（违反规则最多者优先，'
        f'其次最早）· showing {len(data["worst"])} of {data["worst_total"]} denied calls, most rules first, then '
        "earliest</p>") if data["worst"] else '<div class="empty">没有违规通话 no denied calls</div>'

    errors_html = ""
    if data["errors"]:
        errors_html = _card("格式错误行", "malformed rows", (
            "<table><thead><tr><th>文件 file</th><th class=\"num\">行 line</th><th>错误 message</th></tr></thead><tbody>"
            + _rows(f"<tr><td><code>{_e(r['file'])}</code></td><td class=\"num\">{r['line']}</td>"
                    f"<td>{_e(r['message'])}</td></tr>" for r in data["error_rows"])
            + f"</tbody></table><p class=\"muted small\">显示 {len(data['error_rows'])} / {data['errors']} · "
            f"showing {len(data['error_rows'])} of {data['errors']}</p>"))

    collectors_note = (f'<p class="muted small">违规最多的前 {len(data["by_collector"])} 名（共 '
                       f'{data["collectors_total"]} 名）· top {len(data["by_collector"])} of '
                       f'{data["collectors_total"]} collectors by denied calls</p>')
    body = "".join([
        '<header class="topbar"><span class="brand">CollectGuard 催收合规网关<span class="brand-en">replay report'
        "</span></span><span class=\"small\">通话日志回放 · call-log replay</span></header>",
        '<main class="content">',
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted small">规则配置 profile <code>{_e(data["profile"])}</code> · 每通电话按其开始时刻由规则引擎判定'
        " · every call judged by the rulebook as of its start</p>",
        f'<div class="kpis">{kpis}</div>',
        _card("按规则的违规", "violations by rule", _chart("chart-rules", len(data["by_rule"]), tall=True) + rule_table),
        '<div class="grid two">',
        _card("按机构", "by agency", _chart("chart-agencies", len(data["by_agency"]))),
        _card("按催收员", "by collector", _chart("chart-collectors", len(data["by_collector"]), tall=True)
              + collectors_note),
        "</div>",
        '<div class="grid two">',
        _card("按日（当地）", "by local day", _chart("chart-days", len(data["by_day"]))),
        _card("按时段（当地小时）", "by local hour of day", _chart("chart-hours", data["judged"])),
        "</div>",
        _card("最严重的违规通话", "worst calls", worst_html),
        _card("未匹配原因", "unmatched reasons", reasons_html),
        errors_html,
        "</main>",
    ])
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"{body}"
        f'<script type="application/json" id="replay-data">{json_block}</script>'
        f"<script>{echarts_js}</script><script>{_INIT}</script>"
        "</body></html>\n"
    )
