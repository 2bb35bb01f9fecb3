"""Load the demo world into a database and print its summary as JSON.

    python -m collectguard.demo sqlite:///demo.db [--debtors 10000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from collectguard.demo.world import load_demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m collectguard.demo", description="加载演示数据 / load the demo world")
    parser.add_argument("url", help="database URL, e.g. sqlite:///demo.db")
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    summary = load_demo(args.url, seed=args.seed, debtors=args.debtors)
    print(json.dumps(dataclasses.asdict(summary), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
