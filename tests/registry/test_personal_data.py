"""Personal data is encrypted at rest, found by keyed hash, shown masked, and rotated without downtime."""

from __future__ import annotations

from sqlalchemy import text
from typer.testing import CliRunner

from collectguard.cli import app
from collectguard.db.store import Store
from collectguard.privacy.keys import Keyring
from collectguard.registry import models as m
from collectguard.registry.personal import find_debtors, masked_personal, read_personal
from tests.factories import build


def test_names_and_numbers_are_ciphertext_in_the_database(store):
    build(store)
    with store.engine.connect() as conn:
        name, phone = conn.execute(text("SELECT name, phone FROM debtors WHERE id = 'd1'")).one()
    assert name.startswith("cg1.") and "张" not in name
    assert phone.startswith("cg1.") and "13800138000" not in phone
    with store.transaction() as s:
        d = s.get(m.Debtor, "d1")
        assert read_personal(d) == {"name": "张三", "phone": "13800138000", "id_number": None, "address": None}
        assert masked_personal(d)["phone"] == "138****8000" and masked_personal(d)["name"] == "张*"


def test_exact_lookup_by_keyed_hash(store):
    build(store)
    with store.transaction() as s:
        assert [d.id for d in find_debtors(s, phone="+86 138 0013 8000")] == ["d1"]
        assert find_debtors(s, phone="13900000000") == []


def test_rotation_reencrypts_everything_and_old_rows_stay_readable(tmp_path, sqlite_template):
    db = tmp_path / "rot.db"
    db.write_bytes(sqlite_template.read_bytes())
    key_file = tmp_path / "keys.json"
    Keyring.generate().save(key_file)
    url = f"sqlite:///{db}"
    store = Store(url, keyring=Keyring.from_file(key_file))
    build(store)
    with store.engine.begin() as conn:  # a row written before encryption at rest
        conn.execute(text("INSERT INTO debtors (id, name, phone, timezone, status) VALUES ('old', '王五', '13700137000', 'Asia/Shanghai', 'normal')"))
    store.dispose()
    result = CliRunner().invoke(app, ["keys", "rotate", "--db", url, "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    assert "k2" in result.output and "re-encrypted 2 rows" in result.output
    rotated = Keyring.from_file(key_file)
    assert rotated.current.key_id == "k2" and set(rotated.keys) == {"k1", "k2"}
    store = Store(url, keyring=rotated)
    with store.engine.connect() as conn:
        tokens = [r[0] for r in conn.execute(text("SELECT phone FROM debtors ORDER BY id"))]
    assert all(t.startswith("cg1.k2.") for t in tokens)
    with store.transaction() as s:
        assert read_personal(s.get(m.Debtor, "old"))["name"] == "王五"
        assert read_personal(s.get(m.Debtor, "d1"))["phone"] == "13800138000"
    store.dispose()


def test_keys_init_writes_an_aes_or_sm4_key_file_once(tmp_path):
    path = tmp_path / "k.json"
    ok = CliRunner().invoke(app, ["keys", "init", "--key-file", str(path), "--alg", "aes-256-gcm"])
    assert ok.exit_code == 0, ok.output
    assert Keyring.from_file(path).current.alg == "aes-256-gcm"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = CliRunner().invoke(app, ["keys", "init", "--key-file", str(path)])
    assert again.exit_code == 1 and "already exists" in again.output
