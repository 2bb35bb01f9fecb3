"""The `collectguard` command line."""

from __future__ import annotations

import typer

from collectguard.qa.cli import app as qa_app

app = typer.Typer(
    help="催收合规网关 CollectGuard — compliance gate for consumer-credit collection (NIFA 2024).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(qa_app, name="qa")


def main() -> None:
    app()
