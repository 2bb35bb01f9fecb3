"""The public HTML page of an institution (arts. 13, 23): its entrusted agencies, its complaint channels and
process and a complaint form, Chinese first with English beside it, in the console's look (its stylesheet,
console/templates/public.html), no script. Every text from the database or the visitor is escaped by the template's
autoescape; nothing else is shown. After the form: the same page with the acknowledgement (or what is wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

import collectguard.console
from collectguard.complaints.schemas import ComplaintAck
from collectguard.public.schemas import PublicAgencies, PublicComplaints

TEMPLATES = Path(collectguard.console.__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)
# The page's own policy: its stylesheet from the app, nothing else — no script, no frame; its one form posts to the
# app itself.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def render(agencies: PublicAgencies, complaints: PublicComplaints, *, form: dict[str, Any] | None = None,
           error: tuple[str, str] | None = None, ack: ComplaintAck | None = None) -> str:
    """The page; `form` (what the visitor typed) and `error` after a refused form, `ack` after a registered one."""
    name = agencies.institution_name or agencies.institution
    return ENV.get_template("public.html").render(name=name, agencies=agencies, complaints=complaints,
                                                  form=form or {}, error=error, ack=ack)


def not_found(institution: str) -> str:
    return ENV.get_template("public.html").render(missing=institution)
