"""`collectguard ledger …`: verify the chain (and prove it against signed checkpoints), take a checkpoint, make a key."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collectguard.config import Settings

if TYPE_CHECKING:
    from collectguard.db.store import Store
    from collectguard.ledger.signing import PublicKey

app = typer.Typer(help="账本 The hash-chained ledger and its signed checkpoints.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="数据库 URL (default: $COLLECTGUARD_DB or sqlite:///collectguard.db)"),
]
KeyFileOption = Annotated[
    str | None,
    typer.Option("--key-file", help="检查点私钥文件 checkpoint key file (default: $COLLECTGUARD_CHECKPOINT_KEY)"),
]


def _store(url: str | None) -> Store:
    from collectguard.db.store import Store
    from collectguard.privacy.keys import Keyring

    # The ledger holds no encrypted personal data: whoever verifies it needs no data key, so none is read.
    return Store(url or Settings.from_env().db_url, keyring=Keyring.generate())


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """GmSSL prints a trace of its own to the process's stderr when an SM2 signature does not verify; a forged
    checkpoint is reported by this command in words, so the trace is dropped (a one-threaded command only)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _trusted_keys(given: list[str] | None, key_file: str | None) -> dict[str, PublicKey]:
    """--public-key files, else COLLECTGUARD_CHECKPOINT_PUBLIC_KEY (files separated like PATH), else the public half
    of the signing key file."""
    from collectguard.ledger.signing import public_keys

    settings = Settings.from_env()
    keys = public_keys(os.pathsep.join(given)) if given else public_keys(settings.checkpoint_public_key)
    if not keys and (key_file or settings.checkpoint_key):
        keys = public_keys(key_file or settings.checkpoint_key)
    if not keys:
        raise _fail("错误 error: 请用 --public-key（或 COLLECTGUARD_CHECKPOINT_PUBLIC_KEY）指定可信的检查点公钥 / "
                    "name the trusted checkpoint public key with --public-key (or COLLECTGUARD_CHECKPOINT_PUBLIC_KEY)", 2)
    return keys


@app.command("verify")
def verify_command(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    checkpoints: Annotated[str | None, typer.Option(
        "--checkpoints", help="检查点目录 prove the chain contains every signed checkpoint in this directory")] = None,
    public_key: Annotated[list[str] | None, typer.Option(
        "--public-key", help="可信公钥文件 trusted public key file (repeatable; default: "
                             "$COLLECTGUARD_CHECKPOINT_PUBLIC_KEY, else the key file's public half)")] = None,
    key_file: KeyFileOption = None,
) -> None:
    """校验账本 Verify the hash chain, every indexed column against its hashed body, and (--checkpoints) that
    the ledger still contains every signed checkpoint: the count and head hash, or what is broken (exit 1)."""
    from collectguard.errors import CollectGuardError
    from collectguard.ledger.checkpoints import check
    from collectguard.ledger.service import verify

    try:
        keys = _trusted_keys(public_key, key_file) if checkpoints else {}
    except CollectGuardError as exc:
        raise _fail(f"错误 error: {exc}", 2) from None
    store = _store(db)
    try:
        with store.read() as session:
            result = verify(session)
            report = None
            if checkpoints:
                try:
                    with _quiet_native_stderr():
                        report = check(session, checkpoints, keys, result)
                except CollectGuardError as exc:
                    raise _fail(f"错误 error: {exc}", 2) from None
    finally:
        store.dispose()
    ok = result.ok and (report is None or report.ok)
    if as_json:
        doc: dict[str, Any] = result.as_dict()
        if report is not None:
            doc = {**doc, "ok": ok, "checkpoints": report.as_dict()}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        if result.ok:
            typer.echo(f"账本完好 ledger intact: {result.count} records, head {result.head_hash}")
        else:
            typer.echo(f"账本损坏 ledger BROKEN at record {result.broken_seq}: {result.reason} "
                       f"({result.count} records verified before it)", err=True)
        if report is not None:
            for problem in report.problems:
                typer.echo(f"检查点不符 CHECKPOINT FAILED: {problem}", err=True)
            if report.newest is not None:
                typer.echo(f"检查点 checkpoints: {report.checked} signed, newest record {report.newest.seq} "
                           f"(taken {report.newest.when}){' — all contained in the ledger' if report.ok else ''}")
    if not ok:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint_command(
    db: DbOption = None,
    key_file: KeyFileOption = None,
    directory: Annotated[str | None, typer.Option(
        "--dir", help="检查点目录 where the checkpoint file is written once (default: $COLLECTGUARD_CHECKPOINT_DIR)")] = None,
    webhook: Annotated[str | None, typer.Option(
        "--webhook", help="POST it here too, signed with $COLLECTGUARD_CHECKPOINT_WEBHOOK_SECRET "
                          "(default: $COLLECTGUARD_CHECKPOINT_WEBHOOK)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """签发检查点 Sign the ledger head now and export it (a file written once and/or a signed webhook); refused,
    exit 1, when the ledger no longer contains the newest checkpoint."""
    from collectguard.errors import CollectGuardError
    from collectguard.ledger.checkpoints import CheckpointRefused
    from collectguard.ledger.export import CheckpointConfig, Checkpointer, DeliveryError
    from collectguard.ledger.signing import SigningKey, public_keys

    settings = Settings.from_env()
    key_path = key_file or settings.checkpoint_key
    if not key_path:
        raise _fail("错误 error: 请用 --key-file 或 COLLECTGUARD_CHECKPOINT_KEY 指定检查点私钥 / "
                    "name the checkpoint key with --key-file or COLLECTGUARD_CHECKPOINT_KEY", 2)
    folder = directory or settings.checkpoint_dir
    try:
        config = CheckpointConfig(
            key=SigningKey.from_file(key_path), directory=Path(folder) if folder else None,
            webhook_url=webhook or settings.checkpoint_webhook, webhook_secret=settings.checkpoint_webhook_secret,
            trusted=tuple(public_keys(settings.checkpoint_public_key).values()))
    except CollectGuardError as exc:
        raise _fail(f"错误 error: {exc}", 2) from None
    store = _store(db)
    try:
        with _quiet_native_stderr():
            taken = Checkpointer(store, config).run_once()
    except CheckpointRefused as exc:
        raise _fail(f"拒绝签名 REFUSED: {exc}") from None
    except DeliveryError as exc:
        raise _fail(f"错误 error: {exc}（检查点文件已写入 the checkpoint file was written）") from None
    except CollectGuardError as exc:
        raise _fail(f"错误 error: {exc}") from None
    finally:
        store.dispose()
    if as_json:
        doc = {"checkpoint": taken.checkpoint.as_dict() if taken else None,
               "file": str(taken.path) if taken and taken.path else None, "posted": bool(taken and taken.posted)}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    elif taken is None:
        typer.echo("无新记录 nothing new to sign: the ledger is empty or unchanged since the newest checkpoint")
    else:
        cp = taken.checkpoint
        where = (f"written to {taken.path}" if taken.path else
                 f"already in {config.directory}" if config.directory else "not written to a file")
        typer.echo(f"已签检查点 checkpoint signed: record {cp.seq}, head {cp.hash}, {cp.alg} key {cp.key_id}; {where}"
                   + (f"; posted to {config.webhook_url}" if taken.posted else ""))


@app.command("keygen")
def keygen_command(
    key_file: Annotated[str, typer.Option("--key-file", help="where to write the private key (mode 0600, never overwritten)")],
    alg: Annotated[str, typer.Option("--alg", help="sm2 (default, GB/T 32918) or ed25519")] = "sm2",
    public_key_file: Annotated[str | None, typer.Option(
        "--public-key-file", help="where to write the public key (default: beside the key file, .pub.json)")] = None,
) -> None:
    """生成检查点密钥 Create a checkpoint signing key outside the database; give the public key to auditors."""
    from collectguard.errors import CollectGuardError
    from collectguard.ledger.signing import SigningKey

    public_path = Path(public_key_file) if public_key_file else Path(key_file).with_suffix(".pub.json")
    if public_path.exists():
        raise _fail(f"错误 error: {public_path} 已存在 already exists; it is never overwritten")
    try:
        key = SigningKey.generate(alg.lower())
        key.save(key_file)
    except CollectGuardError as exc:
        raise _fail(f"错误 error: {exc}") from None
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(json.dumps(key.public.to_dict(), indent=2, sort_keys=True) + "\n")
    typer.echo(f"已生成 created {key.alg} checkpoint key {key.key_id}: private {key_file} (0600), public {public_path}\n"
               f"公钥 public key: {key.public.public_key.hex()}\n"
               f"  export COLLECTGUARD_CHECKPOINT_KEY={key_file}")
