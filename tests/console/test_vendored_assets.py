"""The console's browser libraries are vendored from the npm registry (scripts/vendor-assets.sh), never fetched
from a CDN: each file is the one recorded in VENDOR.json (SHA-256), its licence ships beside it, and the package
data of the wheel carries them."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "src" / "collectguard" / "console" / "static" / "vendor"


def test_each_vendored_file_matches_its_recorded_hash_and_ships_its_licence():
    manifest = json.loads((VENDOR / "VENDOR.json").read_text("utf-8"))
    assert set(manifest) == {"htmx.min.js", "echarts.min.js"}
    for name, meta in manifest.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == meta["sha256"], name
        licence = (VENDOR / meta["licence"]).read_text("utf-8")
        assert {"0BSD": "Zero-Clause BSD", "Apache-2.0": "Apache License"}[meta["licence_name"]] in licence
        assert meta["npm_integrity"].startswith("sha512-")


def test_the_package_data_carries_the_static_files():
    pyproject = tomllib.loads((VENDOR.parents[4] / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["collectguard"]
    assert "console/static/**/*" in patterns
