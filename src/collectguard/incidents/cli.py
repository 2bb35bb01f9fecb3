"""`collectguard incidents …`. SKELETON: filled by the incidents helper."""

from __future__ import annotations

import typer

app = typer.Typer(help="事件 Incidents: personal-information incidents (24 h) and major risks (48 h), their reports.", no_args_is_help=True)
