"""Speed benchmark of transcript inspection (质检扫描速度).

    python -m bench.qa_scan [--calls N] [--file FILE.jsonl]

Generates (or reads) a JSON Lines file, then measures in the same run:
  - baseline: reading + json-parsing every line;
  - scan: reading + validating (Pydantic, `Call.model_validate_json` on the raw line) + inspecting
    every call.
Prints calls/s and MB/s for both (wall clock, best of N) and the ratio; then the same scan figure in
CPU time of this process, which is the per-core throughput also when other processes share the box.
Single process, single core.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from collectguard.qa.inspector import Inspector
from collectguard.qa.models import Call

_OPENINGS = [
    "您好，我是{inst}委托的{agency}工作人员，工号{n}，本次通话全程录音。请问是{name}本人吗？",
    "喂，您好，这里是{inst}，通话已被录音。请问您是{name}吗？",
    "你好，我是贷后专员，请问是{name}吗？",
]
_MIDDLE = [
    "您的借款目前已经逾期{d}天，应还{amt}元，想跟您确认一下还款时间。",
    "如果您有困难，可以在官方App申请分期或延期。",
    "还款请认准官方App或对公账户，不要转给任何个人。",
    "逾期信息会按规定报送征信，可能影响您今后的信贷申请。",
    "您之前说这周五前还一部分，对吗？",
    "好的，我这边给您备注一下，有问题随时联系官方客服。",
]
_VIOLATIONS = [
    "你再拖着不还，我们就找几个人去你单位闹。",
    "你这种人就是社会的垃圾。",
    "把钱转到我个人支付宝，我帮你处理。",
    "你去别的平台借一笔先把我们这个还上。",
    "交五百块加急费，马上帮你消除逾期记录。",
    "你已经上了失信黑名单，高铁飞机都坐不了。",
]
_DEBTOR = ["是我。", "嗯，你说。", "我知道，最近手头紧。", "好的。", "能不能少还点？", "我下周发工资就还。"]


def generate(path: Path, calls: int, seed: int = 7) -> None:
    """Write `calls` synthetic transcripts (10–14 turns, ~15 % with a violation)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(calls):
            t = 0.0
            turns = []
            opening = rng.choice(_OPENINGS).format(
                inst="示例消费金融公司", agency="甲服务公司", n=rng.randint(1000, 9999), name="张三"
            )
            owed = rng.randint(300, 30000)
            lines = [opening] + [rng.choice(_MIDDLE).format(d=rng.randint(3, 120), amt=owed)
                                 for _ in range(rng.randint(4, 6))]
            if rng.random() < 0.15:
                lines.insert(rng.randint(1, len(lines)), rng.choice(_VIOLATIONS))
            for text in lines:
                for speaker, words in (("agent", text), ("debtor", rng.choice(_DEBTOR))):
                    dur = len(words) / 4.5
                    turns.append({"speaker": speaker, "start": round(t, 2), "end": round(t + dur, 2), "text": words})
                    t += dur + rng.uniform(0.3, 1.5)
            meta = {"overdue_amount": owed, "institution": "示例消费金融有限公司"}
            out.write(json.dumps({"id": f"bench-{i}", "audience": "debtor", "turns": turns, "meta": meta},
                                 ensure_ascii=False) + "\n")


def measure(path: Path, repeat: int = 3) -> dict[str, float]:
    data = path.read_bytes()
    size_mb = len(data) / 1_000_000
    lines = data.splitlines()
    n = len(lines)

    def baseline() -> None:
        with path.open("rb") as handle:
            for line in handle:
                json.loads(line)

    inspector = Inspector.default()
    inspector.inspect(Call.model_validate_json(lines[0]))  # warm up

    def scan() -> int:
        flagged = 0
        with path.open("rb") as handle:
            for line in handle:
                flagged += bool(inspector.inspect(Call.model_validate_json(line)))
        return flagged

    def best(fn: object) -> tuple[float, float]:
        """Best wall-clock and best CPU time of `repeat` runs."""
        wall, cpu = [], []
        for _ in range(repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()  # type: ignore[operator]
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        return min(wall), min(cpu)

    base_s, _base_cpu = best(baseline)
    scan_s, scan_cpu = best(scan)
    return {
        "scan_cpu_s": scan_cpu,
        "scan_cpu_calls_per_s": n / scan_cpu if scan_cpu else float("inf"),
        "calls": n,
        "mb": size_mb,
        "baseline_s": base_s,
        "scan_s": scan_s,
        "baseline_calls_per_s": n / base_s,
        "scan_calls_per_s": n / scan_s,
        "baseline_mb_per_s": size_mb / base_s,
        "scan_mb_per_s": size_mb / scan_s,
        "ratio": scan_s / base_s,
        "flagged": float(scan()),
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="质检扫描速度 / transcript inspection speed benchmark")
    parser.add_argument("--calls", type=int, default=5000, help="calls to generate (default 5000)")
    parser.add_argument("--file", type=Path, default=None, help="scan this JSON Lines file instead")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            path = Path(tmp) / "bench.jsonl"
            generate(path, args.calls)
        elif not path.is_file():  # a pipe or process substitution can be read only once
            copy = Path(tmp) / "input.jsonl"
            copy.write_bytes(path.read_bytes())
            path = copy
        r = measure(path, args.repeat)
    print(f"文件 file: {r['calls']:.0f} 通 calls, {r['mb']:.2f} MB (flagged {r['flagged']:.0f})")
    print(f"基线 baseline (read + json.loads): {r['baseline_calls_per_s']:,.0f} calls/s, {r['baseline_mb_per_s']:.1f} MB/s")
    print(f"扫描 scan (read + validate + inspect): {r['scan_calls_per_s']:,.0f} calls/s, {r['scan_mb_per_s']:.1f} MB/s")
    print(f"比值 ratio scan/baseline time: {r['ratio']:.1f}×  (target ≥ 2,000 calls/s per core)")
    print(f"扫描 CPU 时间 scan, CPU time of this process: {r['scan_cpu_calls_per_s']:,.0f} calls/s per core")
    return r


if __name__ == "__main__":
    main()
