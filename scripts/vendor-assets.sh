#!/usr/bin/env bash
# Vendor the console's browser libraries from the npm registry (no CDN at run time): HTMX for partial page
# updates, Apache ECharts for charts. Each file is copied with its licence, and its version, npm integrity and
# SHA-256 are written to VENDOR.json, which tests/console/test_vendored_assets.py checks.
#   scripts/vendor-assets.sh            # the pinned versions below
set -euo pipefail
HTMX_VERSION=2.0.11     # the 2.x line: hx-* attributes as documented at htmx.org/docs (4.x changes inheritance)
ECHARTS_VERSION=6.1.0
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/src/collectguard/console/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$HTMX_VERSION" "echarts@$ECHARTS_VERSION" > packs.txt
mkdir -p htmx echarts "$out"
tar xzf "htmx.org-$HTMX_VERSION.tgz" -C htmx
tar xzf "echarts-$ECHARTS_VERSION.tgz" -C echarts
cp htmx/package/dist/htmx.min.js "$out/htmx.min.js"
cp htmx/package/LICENSE "$out/htmx.LICENSE"
cp echarts/package/dist/echarts.min.js "$out/echarts.min.js"
cp echarts/package/LICENSE "$out/echarts.LICENSE"
cp echarts/package/NOTICE "$out/echarts.NOTICE" 2>/dev/null || true
cp echarts/package/licenses/LICENSE-d3 "$out/echarts.LICENSE-d3"
integrity() { npm view "$1" dist.integrity; }
python3 - "$out" "$HTMX_VERSION" "$(integrity "htmx.org@$HTMX_VERSION")" "$ECHARTS_VERSION" \
  "$(integrity "echarts@$ECHARTS_VERSION")" <<'PY'
import hashlib, json, pathlib, sys
out, hv, hi, ev, ei = sys.argv[1:]
out = pathlib.Path(out)
def sha(name): return hashlib.sha256((out / name).read_bytes()).hexdigest()
doc = {
    "htmx.min.js": {"package": "htmx.org", "version": hv, "npm_integrity": hi, "licence": "htmx.LICENSE",
                    "licence_name": "0BSD", "sha256": sha("htmx.min.js")},
    "echarts.min.js": {"package": "echarts", "version": ev, "npm_integrity": ei, "licence": "echarts.LICENSE",
                       "licence_name": "Apache-2.0", "sha256": sha("echarts.min.js")},
}
(out / "VENDOR.json").write_text(json.dumps(doc, indent=2) + "\n")
PY
echo "vendored into $out:"; ls -l "$out"
