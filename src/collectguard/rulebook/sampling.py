"""Reproducible stratified samples for inspections (art. 12(二); OVERSIGHT.md item 4). Pure: no database, no clock.

An inspector works through a random sample of a period's attempts (or of its recordings), stratified by agency,
collector and channel; the inspection's seed is in the ledger so that anyone can draw the same sample again.

- **Strata**: (agency, collector, channel); agency None is the institution's own (in-house) collectors.
- **Allocation** (largest remainder, Hamilton): when the size allows one per stratum, each stratum gets one and
  the rest is shared in proportion to what each stratum has beyond its first; otherwise the whole size is shared
  in proportion to the strata's populations (so the largest strata are represented). Remainders are ranked by
  size, then by population, then in an order drawn from the seed (never by name, so no stratum is favoured).
- **Choice within a stratum**: its candidates sorted by id, then a partial Fisher–Yates shuffle driven by
  `random.Random(n)` where n is the SHA-256 of the seed and the stratum's key. Only `Random.random()` is called:
  the one output Python guarantees to repeat for the same seed across versions. Nothing depends on the order of
  the input, on set or dict order, on `hash()` or on the machine.
- **The seed** is a number: an int, or the same number written in hexadecimal (`secrets.token_hex(16)`); 255,
  "ff", "FF" and "00ff" draw the same sample. `Sample.seed` is its canonical form (lower-case hex, no leading
  zeros), which draws it again.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from collections.abc import Iterable
from dataclasses import dataclass

#: At most 256 bits of seed (64 hexadecimal digits); secrets.token_hex(16) gives 128.
SEED_MAX_HEX = 64
HEX = frozenset(string.hexdigits)

#: (agency or None for in-house, collector, channel)
StratumKey = tuple[str | None, str, str]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One attempt that may be sampled. `agency` None: an in-house collector of the institution."""

    id: str
    agency: str | None
    collector: str
    channel: str
    recording: bool = False

    @property
    def stratum(self) -> StratumKey:
        return (self.agency, self.collector, self.channel)


@dataclass(frozen=True, slots=True)
class Stratum:
    agency: str | None
    collector: str
    channel: str
    population: int
    sampled: int

    @property
    def key(self) -> StratumKey:
        return (self.agency, self.collector, self.channel)


@dataclass(frozen=True, slots=True)
class Sample:
    """`chosen` in stratum order then by id; `strata` every stratum of the population in the same order."""

    seed: str
    size: int
    recordings: bool
    population: int
    chosen: tuple[Candidate, ...]
    strata: tuple[Stratum, ...]


def canonical_seed(seed: int | str) -> str:
    """The seed as lower-case hexadecimal without leading zeros ("0" for zero). ValueError when it is not a
    whole number from 0 below 16**64, or not 1 to 64 hexadecimal digits."""
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise ValueError("种子须为整数或十六进制字符串 / the seed must be an integer or a hexadecimal string")
    if isinstance(seed, str):
        if not 0 < len(seed) <= SEED_MAX_HEX or not set(seed) <= HEX:
            raise ValueError(f"种子须为 1 至 {SEED_MAX_HEX} 位十六进制数字 / the seed must be 1 to {SEED_MAX_HEX} "
                             "hexadecimal digits")
        seed = int(seed, 16)
    if not 0 <= seed < 16**SEED_MAX_HEX:
        raise ValueError(f"种子须在 0 与 16^{SEED_MAX_HEX} 之间 / the seed must be from 0 below 16^{SEED_MAX_HEX}")
    return format(seed, "x")


def _digest(seed: str, purpose: str, key: StratumKey) -> bytes:
    """SHA-256 of an unambiguous text of the seed, the purpose and the stratum (JSON: None is null, no name can
    run into the next)."""
    text = json.dumps(["collectguard-sample-v1", seed, purpose, *key], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).digest()


def _order(key: StratumKey) -> tuple[bool, str, str, str]:
    """Strata in a fixed order: in-house first, then by agency, collector and channel."""
    agency, collector, channel = key
    return (agency is not None, agency or "", collector, channel)


def allocate(populations: dict[StratumKey, int], size: int, seed: int | str) -> dict[StratumKey, int]:
    """How many to draw from each stratum (see the module's docstring). Every stratum is a key of the answer;
    the counts add up to min(size, total) and none exceeds its population."""
    if size < 0:
        raise ValueError("样本量不得为负 / the sample size must not be negative")
    if any(n <= 0 for n in populations.values()):
        raise ValueError("每层至少一个候选 / every stratum has at least one candidate")
    hexseed = canonical_seed(seed)
    total = sum(populations.values())
    size = min(size, total)
    if size == total:
        return dict(populations)
    base = 1 if size >= len(populations) else 0
    weights = {k: n - base for k, n in populations.items()}
    rest = size - base * len(populations)
    whole = sum(weights.values())  # > 0 whenever rest > 0
    alloc: dict[StratumKey, int] = {}
    remainder: dict[StratumKey, int] = {}
    for k, w in weights.items():
        q, remainder[k] = divmod(rest * w, whole) if whole else (0, 0)
        alloc[k] = base + q
    left = size - sum(alloc.values())  # fewer than the strata with a remainder: each gets at most one more
    tie = {k: _digest(hexseed, "order", k) for k in populations}
    ranked = sorted(populations, key=lambda k: (-remainder[k], -populations[k], tie[k], _order(k)))
    for k in ranked[:left]:
        alloc[k] += 1
    return alloc


def _choose(members: list[Candidate], k: int, rng: random.Random) -> list[Candidate]:
    """k of `members` (sorted by id) by a partial Fisher–Yates shuffle that calls only rng.random()."""
    pool = list(members)
    n = len(pool)
    for i in range(k):
        j = i + min(int(rng.random() * (n - i)), n - i - 1)
        pool[i], pool[j] = pool[j], pool[i]
    return sorted(pool[:k], key=lambda c: c.id)


def draw(candidates: Iterable[Candidate], size: int, seed: int | str, *, recordings: bool = False) -> Sample:
    """A stratified random sample of min(size, population) candidates; with `recordings` only candidates with a
    recording are the population. The same candidates (in any order), size and seed give the same sample.
    ValueError: a negative size, a seed that is not a number (see canonical_seed), an id given twice."""
    hexseed = canonical_seed(seed)
    if size < 0:
        raise ValueError("样本量不得为负 / the sample size must not be negative")
    strata: dict[StratumKey, list[Candidate]] = {}
    seen: set[str] = set()
    for c in candidates:
        if c.id in seen:
            raise ValueError(f"候选 {c.id} 重复 / candidate {c.id} given twice")
        seen.add(c.id)
        if recordings and not c.recording:
            continue
        strata.setdefault(c.stratum, []).append(c)
    keys = sorted(strata, key=_order)
    alloc = allocate({k: len(strata[k]) for k in keys}, size, hexseed)
    chosen: list[Candidate] = []
    counts: list[Stratum] = []
    for k in keys:
        members = sorted(strata[k], key=lambda c: c.id)
        rng = random.Random(int.from_bytes(_digest(hexseed, "choose", k), "big"))
        chosen.extend(_choose(members, alloc[k], rng))
        counts.append(Stratum(agency=k[0], collector=k[1], channel=k[2], population=len(members), sampled=alloc[k]))
    population = sum(s.population for s in counts)
    return Sample(seed=hexseed, size=size, recordings=recordings, population=population, chosen=tuple(chosen),
                  strata=tuple(counts))
