"""The public HTML page of an institution (arts. 13, 23): its entrusted agencies and its complaint channels and
process, Chinese first with English beside it, in the console's look (its stylesheet, console/templates/public.html),
no script. Every text from the database is escaped by the template's autoescape; nothing else is shown."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

import collectguard.console
from collectguard.public.schemas import PublicAgencies, PublicComplaints

TEMPLATES = Path(collectguard.console.__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)
# The page's own policy: its stylesheet from the app, nothing else — no script, no frame, no form.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def render(agencies: PublicAgencies, complaints: PublicComplaints) -> str:
    name = agencies.institution_name or agencies.institution
    return ENV.get_template("public.html").render(name=name, agencies=agencies, complaints=complaints)


def not_found(institution: str) -> str:
    return ENV.get_template("public.html").render(missing=institution)
