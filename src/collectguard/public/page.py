"""The public HTML page of an institution (arts. 13, 23): its entrusted agencies and its complaint channels and
process, Chinese first with English beside it, inline CSS, no script. Every text from the database is escaped
(`html.escape`); nothing else is shown."""

from __future__ import annotations

from html import escape

from collectguard.public.schemas import PublicAgencies, PublicComplaints

CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",Helvetica,Arial,sans-serif;margin:0;
background:#f6f7f9;color:#1f2328;line-height:1.6}
main{max-width:860px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .6em;border-bottom:2px solid #d0d7de;
padding-bottom:.2em}
.en{color:#57606a;font-size:.92em;margin-left:.5em}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin:16px 0}
table{border-collapse:collapse;width:100%}.tel{white-space:nowrap}th,td{text-align:left;padding:8px;border-bottom:1px solid #eaeef2;
vertical-align:top}
section>h2:first-child{margin-top:0}th{background:#f6f8fa;font-weight:600}ol{padding-left:1.4em}li{margin:.3em 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}dt{font-weight:600}dd{margin:0}
.muted{color:#57606a}footer{margin-top:32px;font-size:.85em;color:#57606a}
"""


def _bi(zh: str, en: str) -> str:
    return f'{escape(zh)}<span class="en" lang="en">{escape(en)}</span>'


def _text(value: str | None) -> str:
    return escape(value) if value else '<span class="muted">—</span>'


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n'
            f'</body>\n</html>\n')


def _agencies(data: PublicAgencies) -> str:
    if not data.agencies:
        rows = f'<tr><td colspan="3" class="muted">{_bi("目前未委托催收机构", "No agency is entrusted today")}</td></tr>'
    else:
        rows = "\n".join(
            f"<tr><td>{escape(a.name)}"
            + (f'<br><span class="muted">{_bi("转委托，上级机构：" + a.subcontractor_of, "subcontractor of " + a.subcontractor_of)}'
               f"</span>" if a.subcontractor_of else "")
            + f'</td><td class="tel">{_text(a.phone)}</td><td>{_text(a.address)}</td></tr>'
            for a in data.agencies)
    return (f'<section id="agencies">\n<h2>{_bi("合作催收机构", "Entrusted collection agencies")}</h2>\n'
            f'<p class="muted">{_bi(f"截至 {data.as_of}（{data.zone}）", f"as of {data.as_of} ({data.zone})")}</p>\n'
            f'<table>\n<thead><tr><th>{_bi("机构名称", "Name")}</th><th>{_bi("联系电话", "Phone")}</th>'
            f'<th>{_bi("地址", "Address")}</th></tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n</section>')


def _complaints(data: PublicComplaints) -> str:
    head = f'<section id="complaints">\n<h2>{_bi("投诉渠道与处理流程", "Complaint channels and process")}</h2>\n'
    if not data.published:
        return head + f'<p class="muted">{_bi("投诉渠道尚未公布", "Complaint channels are not yet published")}</p>\n</section>'
    channels = [("投诉电话", "Phone", "、".join(escape(p) for p in data.phones)),
                ("电子邮箱", "E-mail", "、".join(escape(e) for e in data.emails)),
                ("通信地址", "Postal address", escape(data.address or "")),
                ("网页表单", "Web form", escape(data.web_form_url or "")),
                ("服务时间", "Service hours", escape(data.service_hours or ""))]
    items = "\n".join(f"<dt>{_bi(zh, en)}</dt><dd>{value}</dd>" for zh, en, value in channels if value)
    steps = "\n".join(
        f"<li><strong>{_bi(s.title_zh, s.title_en)}</strong>"
        + (f"<br>{escape(s.note_zh)}" if s.note_zh else "")
        + (f'<br><span class="en" lang="en">{escape(s.note_en)}</span>' if s.note_en else "") + "</li>"
        for s in data.process)
    days = data.response_days
    return (head + f"<dl>\n{items}\n</dl>\n<h3>{_bi('处理流程', 'Process')}</h3>\n<ol>\n{steps}\n</ol>\n"
            f"<p>{_bi(f'自登记之日起 {days} 日内答复。', f'Every complaint is answered within {days} days of its registration.')}"
            f"</p>\n</section>")


def render(agencies: PublicAgencies, complaints: PublicComplaints) -> str:
    name = agencies.institution_name or agencies.institution
    body = (f'<header>\n<h1>{escape(name)}</h1>\n<p>{_bi("催收信息公示", "Collection disclosure")}'
            f'<span class="muted">（{_bi("第13条、第23条", "arts. 13 and 23")}）</span></p>\n</header>\n'
            f"{_agencies(agencies)}\n{_complaints(complaints)}\n"
            f'<footer>{_bi("本页由名单实时生成，名单变动即时更新。", "This page is generated live from the name list and changes the moment it does.")}'
            f"</footer>")
    return _document(f"{name} · 催收信息公示 Collection disclosure", body)


def not_found(institution: str) -> str:
    body = (f'<h1>{_bi("未找到该机构", "Institution not found")}</h1>\n'
            f'<p class="muted">{escape(institution)}</p>')
    return _document("未找到 Not found", body)
