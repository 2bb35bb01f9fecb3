"""`collectguard qa …` commands (filled in by the QA work)."""

import typer

app = typer.Typer(help="质检 Transcript quality inspection (art. 12(三)).", no_args_is_help=True)
