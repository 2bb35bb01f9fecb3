"""`collectguard complaints …`. SKELETON: filled by the complaints helper."""

from __future__ import annotations

import typer

app = typer.Typer(help="投诉 Complaints: intake, investigation, answers, signals, agency reports.", no_args_is_help=True)
