"""Signed checkpoints prove the ledger against whoever can write the database: a rewrite with every later hash
and the head recomputed, or a deleted tail with the head moved back, passes the hash chain alone — and is found
against the checkpoints, naming the checkpoint and the record. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from pathlib import Path

import httpx
import pytest

from collectguard.db.store import Store
from collectguard.ledger import checkpoints as cps
from collectguard.ledger.checkpoints import Checkpoint, CheckpointRefused
from collectguard.ledger.export import CheckpointConfig, Checkpointer, CheckpointSchedule, DeliveryError
from collectguard.ledger.service import verify
from collectguard.ledger.signing import SigningKey
from collectguard.notices import signing as hmac_signing
from tests.factories import at
from tests.ledger.tampering import fill, rewrite, truncate

NOW = at("2026-05-20 18:00")


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate("sm2")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The checkpoint directory (the SQLite database lives beside it, in tmp_path)."""
    path = tmp_path / "checkpoints"
    path.mkdir()
    return path


def _take(store: Store, key: SigningKey, folder: Path, previous: Checkpoint | None = None) -> Checkpoint:
    with store.read() as s:
        cp = cps.take(s, key, previous=previous, now=NOW)
    assert cp is not None
    assert cps.write(folder, cp) is not None
    return cp


def _check(store: Store, folder: Path, *keys: SigningKey) -> tuple[bool, cps.CheckpointReport]:
    with store.read() as s:
        chain = verify(s)
        return chain.ok, cps.check(s, folder, {k.key_id: k.public for k in keys}, chain)


def test_an_intact_ledger_contains_every_checkpoint(store, key, folder):
    fill(store, 12)
    first = _take(store, key, folder)
    fill(store, 3, first=12)
    second = _take(store, key, folder, first)
    assert (first.seq, first.count, second.seq, second.count) == (12, 12, 15, 15)
    chain_ok, report = _check(store, folder, key)
    assert chain_ok and report.ok and report.checked == 2 and report.newest == second


def test_a_rewrite_with_every_later_hash_and_the_head_recomputed_is_found(store, key, folder):
    fill(store, 12)
    cp = _take(store, key, folder)
    fill(store, 3, first=12)
    rewrite(store, 5, lambda payload: payload.update(connected=True, duration_s=300))
    chain_ok, report = _check(store, folder, key)
    assert chain_ok, "the hash chain alone cannot see a recomputed rewrite: this is what checkpoints are for"
    [problem] = report.problems
    assert problem.name == cp.file_name and problem.seq == 12
    assert "record 12" in problem.message_en and "from 1 to 12 was rewritten" in problem.message_en
    assert "第 12 条" in problem.message_zh


def test_a_rewrite_is_narrowed_to_between_two_checkpoints(store, key, folder):
    fill(store, 10)
    first = _take(store, key, folder)
    fill(store, 10, first=10)
    second = _take(store, key, folder, first)
    rewrite(store, 14, lambda payload: payload.update(connected=True))
    _, report = _check(store, folder, key)
    [problem] = report.problems
    assert problem.name == second.file_name and "from 11 to 20" in problem.message_en


def test_a_truncated_tail_with_the_head_moved_back_is_found(store, key, folder):
    fill(store, 12)
    cp = _take(store, key, folder)
    truncate(store, 9)
    chain_ok, report = _check(store, folder, key)
    assert chain_ok, "the hash chain alone cannot see a truncation with the head moved back"
    [problem] = report.problems
    assert problem.name == cp.file_name and problem.seq == 12
    assert "had 12 records; it now has 9" in problem.message_en and "truncated" in problem.message_en


def test_forged_altered_renamed_and_foreign_checkpoint_files_are_reported(store, key, folder):
    fill(store, 12)
    real = _take(store, key, folder)
    # altered: another hash under the real signature, filed under the name its content calls for
    altered = Checkpoint(real.seq, "ab" * 32, real.count, real.taken_at, real.alg, real.key_id, real.signature)
    (folder / altered.file_name).write_text(altered.to_json())
    # signed by a key nobody trusts
    with store.read() as s:
        foreign = cps.take(s, SigningKey.generate("sm2"), previous=None, now=NOW)
    assert foreign is not None
    (folder / "checkpoint-000000000001-0000000000000000.json").write_text(foreign.to_json())
    # renamed: a real, valid checkpoint filed under a name that claims another record
    (folder / "checkpoint-000000000003-1111111111111111.json").write_text(real.to_json())
    (folder / "checkpoint-garbage.json").write_text("{not json")
    _, report = _check(store, folder, key)
    by_file = {p.name: p.message_en for p in report.problems}
    assert "signature invalid" in by_file[altered.file_name]
    assert "not among the trusted public keys" in by_file["checkpoint-000000000001-0000000000000000.json"]
    assert "renamed" in by_file["checkpoint-000000000003-1111111111111111.json"]
    assert "not a readable checkpoint" in by_file["checkpoint-garbage.json"]
    assert report.checked == 1 and len(report.problems) == 4


def test_an_empty_or_missing_checkpoint_directory_proves_nothing_and_says_so(store, key, folder):
    fill(store, 3)
    _, report = _check(store, folder, key)
    assert not report.ok and "no checkpoints" in report.problems[0].message_en
    _, missing = _check(store, folder / "typo", key)
    assert [p.message_en for p in missing.problems] == [f"checkpoint directory {folder / 'typo'} does not exist"]


def test_checkpoint_files_are_written_once_read_only_and_never_overwritten(store, key, folder):
    fill(store, 4)
    cp = _take(store, key, folder)
    path = folder / cp.file_name
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    before = path.read_bytes()
    later = Checkpoint(cp.seq, cp.hash, cp.count, at("2026-05-21 09:00"), cp.alg, cp.key_id, cp.signature)
    assert cps.write(folder, later) is None
    assert path.read_bytes() == before
    assert Checkpoint.parse(before.decode()) == cp


def test_no_checkpoint_is_signed_over_a_rewritten_or_truncated_ledger(store, key, folder):
    fill(store, 12)
    cp = _take(store, key, folder)
    fill(store, 2, first=12)
    rewrite(store, 3, lambda payload: payload.update(connected=True))
    with store.read() as s, pytest.raises(CheckpointRefused, match="record 12 no longer has the hash"):
        cps.take(s, key, previous=cp, now=NOW)
    truncate(store, 8)
    with store.read() as s, pytest.raises(CheckpointRefused, match="truncated"):
        cps.take(s, key, previous=cp, now=NOW)


def test_nothing_is_signed_for_an_empty_or_unchanged_ledger(store, key, folder):
    with store.read() as s:
        assert cps.take(s, key, previous=None, now=NOW) is None
    fill(store, 2)
    cp = _take(store, key, folder)
    with store.read() as s:
        assert cps.take(s, key, previous=cp, now=NOW) is None


def test_ed25519_is_the_alternative(store, folder):
    ed = SigningKey.generate("ed25519")
    fill(store, 5)
    cp = _take(store, ed, folder)
    assert cp.alg == "ed25519" and len(cp.signature) == 128
    truncate(store, 4)
    _, report = _check(store, folder, ed)
    assert [p.seq for p in report.problems] == [5]


def test_the_checkpointer_continues_from_the_directorys_newest_checkpoint(store, key, folder):
    config = CheckpointConfig(key=key, directory=folder)
    fill(store, 3)
    first = Checkpointer(store, config, clock=lambda: NOW).run_once()
    assert first is not None and first.path == folder / first.checkpoint.file_name
    again = Checkpointer(store, config, clock=lambda: NOW)  # another worker, or the next CLI run
    assert again.run_once() is None
    fill(store, 2, first=3)
    second = again.run_once()
    assert second is not None and second.checkpoint.seq == 5
    rewrite(store, 1, lambda payload: payload.update(connected=True))
    with pytest.raises(CheckpointRefused):
        Checkpointer(store, config, clock=lambda: NOW).run_once()
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.checkpoint.file_name,
                                                                 second.checkpoint.file_name])


def test_after_rotating_the_key_the_old_keys_newest_checkpoint_is_continued_from(store, key, folder):
    fill(store, 3)
    assert Checkpointer(store, CheckpointConfig(key=key, directory=folder), clock=lambda: NOW).run_once()
    fill(store, 2, first=3)
    new_key = SigningKey.generate("ed25519")
    with pytest.raises(cps.CheckpointError, match="not a trusted one"):
        Checkpointer(store, CheckpointConfig(key=new_key, directory=folder), clock=lambda: NOW).run_once()
    rotated = CheckpointConfig(key=new_key, directory=folder, trusted=(key.public,))
    taken = Checkpointer(store, rotated, clock=lambda: NOW).run_once()
    assert taken is not None and taken.checkpoint.seq == 5 and taken.checkpoint.key_id == new_key.key_id
    _, report = _check(store, folder, key, new_key)
    assert report.ok and report.checked == 2
    _, only_new = _check(store, folder, new_key)
    assert [p.seq for p in only_new.problems] == [3]


def test_the_servers_schedule_logs_a_refusal_and_keeps_running(store, key, folder, caplog):
    fill(store, 4)
    schedule = CheckpointSchedule(Checkpointer(store, CheckpointConfig(key=key, directory=folder), clock=lambda: NOW))
    asyncio.run(schedule.run())
    assert schedule.runs == 1 and len(list(folder.iterdir())) == 1
    truncate(store, 2)
    log = logging.getLogger("collectguard.ledger.checkpoints")
    log.addHandler(caplog.handler)
    try:
        asyncio.run(schedule.run())  # never raises: the server keeps serving, the error is logged
    finally:
        log.removeHandler(caplog.handler)
    assert schedule.runs == 1 and "refused" in caplog.text and "truncated" in caplog.text
    assert len(list(folder.iterdir())) == 1


def test_checkpoints_are_posted_signed_to_the_institutions_webhook(store, key):
    received: list[httpx.Request] = []
    answers = iter([500, 200, 200])

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(next(answers))

    client = httpx.Client(transport=httpx.MockTransport(receiver))
    config = CheckpointConfig(key=key, webhook_url="https://bank.example/ledger-checkpoints", webhook_secret="s3cret")
    checkpointer = Checkpointer(store, config, clock=lambda: NOW, http=client)
    fill(store, 3)
    with pytest.raises(DeliveryError, match="HTTP 500"):
        checkpointer.run_once()
    retried = checkpointer.run_once()  # nothing new: the one not delivered is posted again
    assert retried is not None and retried.posted and retried.checkpoint.seq == 3
    assert received[0].content == received[1].content
    request = received[1]
    assert hmac_signing.verify("s3cret", dict(request.headers), request.content, now=NOW.timestamp() + 5,
                               tolerance_s=10 ** 9)
    assert request.headers["X-CollectGuard-Event"] == "ledger.checkpoint"
    posted = Checkpoint.parse(request.content.decode())
    assert posted.signed_by({key.key_id: key.public}) and posted.seq == 3
    assert checkpointer.run_once() is None and len(received) == 2


def test_a_key_without_an_export_or_an_unsigned_webhook_is_refused(key):
    with pytest.raises(cps.CheckpointError, match="nowhere to export"):
        CheckpointConfig(key=key)
    with pytest.raises(cps.CheckpointError, match="WEBHOOK_SECRET"):
        CheckpointConfig(key=key, webhook_url="https://bank.example/cp")


@pytest.mark.parametrize("alg", ["sm2", "ed25519"])
def test_key_files_are_private_and_their_halves_must_match(tmp_path, alg):
    from collectguard.ledger.signing import CheckpointKeyError, PublicKey

    key = SigningKey.generate(alg)
    path = key.save(tmp_path / "cp.key.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "private_key" not in repr(key) and key.private_key.hex() not in repr(key)
    loaded = SigningKey.from_file(path)
    assert loaded.key_id == key.key_id and PublicKey.from_file(path) == key.public
    assert key.public.verify(b"m", loaded.sign(b"m")) and not key.public.verify(b"n", loaded.sign(b"m"))
    with pytest.raises(CheckpointKeyError, match="never overwritten"):
        key.save(path)
    os.chmod(path, 0o644)
    with pytest.raises(CheckpointKeyError, match="chmod 600"):
        SigningKey.from_file(path)
    other = SigningKey.generate(alg)
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps({**key.to_dict(), "private_key": other.private_key.hex()}))
    os.chmod(mixed, 0o600)
    with pytest.raises(CheckpointKeyError, match="do not belong together"):
        SigningKey.from_file(mixed)
    wrong_id = tmp_path / "wrong-id.json"
    wrong_id.write_text(json.dumps({**key.public.to_dict(), "key_id": "0" * 16}))
    with pytest.raises(CheckpointKeyError, match="does not match the public key"):
        PublicKey.from_file(wrong_id)
