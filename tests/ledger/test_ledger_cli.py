"""`collectguard ledger keygen | checkpoint | verify --checkpoints` through Typer's CliRunner, on SQLite and
PostgreSQL: a key outside the database, checkpoints written once, and verification that names the checkpoint
and record a rewrite or truncation contradicts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collectguard.cli import app
from tests.ledger.tampering import fill, rewrite, truncate

ENV = ("COLLECTGUARD_CHECKPOINT_KEY", "COLLECTGUARD_CHECKPOINT_DIR", "COLLECTGUARD_CHECKPOINT_WEBHOOK",
       "COLLECTGUARD_CHECKPOINT_WEBHOOK_SECRET", "COLLECTGUARD_CHECKPOINT_PUBLIC_KEY")


@pytest.fixture
def cli(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def keys(cli, tmp_path) -> tuple[Path, Path]:
    key_file, public = tmp_path / "keys" / "cp.json", tmp_path / "keys" / "cp.pub.json"  # the folder is made
    made = cli("ledger", "keygen", "--key-file", str(key_file))
    assert made.exit_code == 0, made.output
    assert "sm2" in made.output and str(public) in made.output
    return key_file, public


def test_keygen_writes_a_private_key_0600_and_a_public_key_and_never_overwrites(cli, keys, tmp_path):
    key_file, public = keys
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    doc = json.loads(public.read_text())
    assert set(doc) == {"alg", "key_id", "public_key"} and doc["alg"] == "sm2"
    assert cli("ledger", "keygen", "--key-file", str(key_file)).exit_code == 1
    ed = cli("ledger", "keygen", "--key-file", str(tmp_path / "ed.json"), "--alg", "ed25519")
    assert ed.exit_code == 0 and json.loads((tmp_path / "ed.pub.json").read_text())["alg"] == "ed25519"


def test_checkpoint_then_verify_against_it(cli, keys, store, db_url, tmp_path):
    key_file, public = keys
    folder = tmp_path / "checkpoints"
    fill(store, 8)
    taken = cli("ledger", "checkpoint", "--db", db_url, "--key-file", str(key_file), "--dir", str(folder))
    assert taken.exit_code == 0, taken.output
    assert "record 8" in taken.output
    [file] = folder.iterdir()
    assert file.name.startswith("checkpoint-000000000008-") and stat.S_IMODE(file.stat().st_mode) == 0o444
    again = cli("ledger", "checkpoint", "--db", db_url, "--key-file", str(key_file), "--dir", str(folder))
    assert again.exit_code == 0 and "nothing new" in again.output
    ok = cli("ledger", "verify", "--db", db_url, "--checkpoints", str(folder), "--public-key", str(public))
    assert ok.exit_code == 0, ok.output
    assert "8 records" in ok.output and "1 signed, newest record 8" in ok.output
    as_json = json.loads(cli("ledger", "verify", "--db", db_url, "--checkpoints", str(folder),
                             "--public-key", str(public), "--json").output)
    assert as_json["ok"] and as_json["checkpoints"]["checked"] == 1


def test_verify_with_checkpoints_finds_a_recomputed_rewrite_and_a_truncation(cli, keys, store, db_url, tmp_path):
    key_file, public = keys
    folder = str(tmp_path / "checkpoints")
    fill(store, 10)
    assert cli("ledger", "checkpoint", "--db", db_url, "--key-file", str(key_file), "--dir", folder).exit_code == 0
    rewrite(store, 4, lambda payload: payload.update(connected=True))
    plain = cli("ledger", "verify", "--db", db_url)
    assert plain.exit_code == 0, "the chain alone passes a recomputed rewrite"
    found = cli("ledger", "verify", "--db", db_url, "--checkpoints", folder, "--public-key", str(public))
    assert found.exit_code == 1
    assert "checkpoint-000000000010-" in found.output and "record 10" in found.output and "rewritten" in found.output
    refused = cli("ledger", "checkpoint", "--db", db_url, "--key-file", str(key_file), "--dir", folder)
    assert refused.exit_code == 1 and "REFUSED" in refused.output
    truncate(store, 7)
    cut = cli("ledger", "verify", "--db", db_url, "--checkpoints", folder, "--key-file", str(key_file), "--json")
    doc = json.loads(cut.stdout)
    assert cut.exit_code == 1 and doc["ok"] is False and doc["count"] == 7
    assert doc["checkpoints"]["problems"][0]["seq"] == 10 and "truncated" in doc["checkpoints"]["problems"][0]["message_en"]


def test_a_forged_checkpoint_file_fails_verification(cli, keys, store, db_url, tmp_path):
    key_file, public = keys
    folder = tmp_path / "checkpoints"
    fill(store, 5)
    assert cli("ledger", "checkpoint", "--db", db_url, "--key-file", str(key_file), "--dir", str(folder)).exit_code == 0
    [real] = folder.iterdir()
    doc = json.loads(real.read_text())
    doc["seq"] = doc["count"] = 3  # claims another record under the real signature
    forged = folder / f"checkpoint-000000000003-{doc['hash'][:16]}.json"
    forged.write_text(json.dumps(doc))
    result = cli("ledger", "verify", "--db", db_url, "--checkpoints", str(folder), "--public-key", str(public))
    assert result.exit_code == 1
    assert f"{forged.name} (seq 3): signature invalid" in result.output


def test_verify_with_checkpoints_needs_a_trusted_key_and_checkpoint_needs_a_key(cli, store, db_url, tmp_path):
    fill(store, 2)
    no_key = cli("ledger", "verify", "--db", db_url, "--checkpoints", str(tmp_path))
    assert no_key.exit_code == 2 and "--public-key" in no_key.output
    no_signing_key = cli("ledger", "checkpoint", "--db", db_url, "--dir", str(tmp_path / "c"))
    assert no_signing_key.exit_code == 2 and "--key-file" in no_signing_key.output


def test_settings_name_the_key_and_directory(cli, keys, store, db_url, tmp_path, monkeypatch):
    key_file, public = keys
    folder = tmp_path / "from-env"
    monkeypatch.setenv("COLLECTGUARD_CHECKPOINT_KEY", str(key_file))
    monkeypatch.setenv("COLLECTGUARD_CHECKPOINT_DIR", str(folder))
    monkeypatch.setenv("COLLECTGUARD_CHECKPOINT_PUBLIC_KEY", str(public))
    fill(store, 3)
    assert cli("ledger", "checkpoint", "--db", db_url).exit_code == 0
    assert cli("ledger", "verify", "--db", db_url, "--checkpoints", str(folder)).exit_code == 0
