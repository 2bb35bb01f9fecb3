"""`collectguard retention …`. SKELETON: filled by the retention helper."""

from __future__ import annotations

import typer

app = typer.Typer(help="保存与删除 Retention: the purge of personal data past retention, the deletion log.", no_args_is_help=True)
