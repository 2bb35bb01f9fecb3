"""组织化“反催收”信号 Signals of organised "anti-collection" (art. 27): pure detection, no I/O.

A complaint is *flagged for a person to review*, never rejected: every signal here is a hint that a complaint may
be mass-produced by a black or grey "anti-collection" (反催收) business, not proof. Genuine debtors share a family
phone, copy a neighbour's wording, or ask for instalments in good faith; a reviewer decides (signal_store.review).

Three kinds of signal, each computed from a complaint's *features* (keyed hashes and a keyed MinHash signature —
never the clear values, which stay encrypted in the complaints table):

1. a shared value — the same proxy (代理人, by the keyed hash of the normalised name), phone, e-mail or payment
   account across at least `min_debtors` distinct debtors (default 3, this complaint's debtor included) among the
   complaints received in the `window_days` before it (default 90) at the same institution. A complaint without a
   debtor counts as a debtor of its own.
2. a near-duplicate text — MinHash (datasketch, 128 permutations) over character 3-grams of the text after NFKC,
   whitespace, punctuation, symbols and digits removed (so swapped amounts, dates and phone numbers, spacing and
   punctuation do not matter; a changed name changes only the few 3-grams around it); two texts are near-duplicates
   when the estimated Jaccard similarity is >= `jaccard` (default 0.7). The same `min_debtors` applies: one debtor
   complaining twice in the same words is not mass production. Texts of fewer than `min_shingles` 3-grams (default
   8, about ten characters) are too short to compare and never match. The shingles are hashed with a key (blake2b
   keyed by the store's lookup key), so a stored signature cannot be tested against guessed words.
   Candidates come from LSH bands (`band_keys`, the band layout of datasketch's MinHashLSH for the threshold):
   the store keeps each complaint's band keys beside its signature and looks candidates up by equality; `lsh_index`
   rebuilds datasketch's in-memory index from stored signatures (the clusters view and a re-banding after a
   threshold change use it).
3. phrases of the trade — requests to stop paying (停止还款, 不用还了 …), "停息挂账" offers, paid services (代理退息,
   征信修复, 债务优化, 反催收 …) and the copy-paste threat to complain to the regulator. Advice to stop paying
   (不用还了, 别还了) is strong; a debtor's own statement that they stopped paying (我已停止还款) is not. Matching is done on the
   text after NFKC with whitespace and in-word symbols removed (停-息 挂 账 still matches) but clause punctuation
   kept as a boundary; a negation just before a phrase in the same clause (我不会停止还款, 从未要求停息挂账) does not match, nor a
   longer word that merely contains it (不用还要 …). A mention of the regulator alone is a citizen's right and
   never raises the signal: it counts only beside another phrase. A *strong* phrase (停息挂账, 代理退息, 征信修复 …)
   raises it alone.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]  # no type information shipped

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
SHINGLE = 3
SIGNATURE_BYTES = NUM_PERM * 4  # uint32 little-endian


@dataclass(frozen=True)
class Thresholds:
    """When a shared value or a near-duplicate text becomes a signal (stated on every flag)."""

    min_debtors: int = 3  # distinct debtors sharing it, this complaint's included
    window_days: int = 90  # complaints received in the window before this one
    jaccard: float = 0.7  # estimated Jaccard similarity of the texts' 3-gram sets
    min_shingles: int = 8  # shorter texts are not compared

    def describe(self) -> dict[str, Any]:
        return {"min_debtors": self.min_debtors, "window_days": self.window_days, "jaccard": self.jaccard,
                "min_shingles": self.min_shingles}


DEFAULT = Thresholds()


class Signal:
    """Names of the signals (stored in flags, shown in the console)."""

    PROXY = "shared_proxy"  # 同一代理人
    PHONE = "shared_phone"  # 同一电话
    EMAIL = "shared_email"  # 同一电子邮箱
    ACCOUNT = "shared_account"  # 同一收款账户
    TEXT = "near_duplicate_text"  # 文本高度雷同
    PHRASES = "phrases"  # 反催收话术

    SHARED = (PROXY, PHONE, EMAIL, ACCOUNT)
    ALL = (PROXY, PHONE, EMAIL, ACCOUNT, TEXT, PHRASES)
    # The complaint's field whose keyed hash a shared-value signal compares (the field NAME goes to the ledger).
    FIELD = {PROXY: "proxy", PHONE: "phone", EMAIL: "email", ACCOUNT: "account"}
    LABEL = {PROXY: ("同一代理人", "same proxy"), PHONE: ("同一电话", "same phone"),
             EMAIL: ("同一电子邮箱", "same e-mail"), ACCOUNT: ("同一收款账户", "same payment account"),
             TEXT: ("投诉文本高度雷同", "near-duplicate text"), PHRASES: ("反催收话术", "anti-collection phrases")}


# -- text normalisation and shingles ------------------------------------------------------------------------
_CLAUSE = frozenset("，。！？；：,.!?;:、\n")


def _category(ch: str) -> str:
    return unicodedata.category(ch)


def clean_for_shingles(text: str) -> str:
    """NFKC, lower-cased, without whitespace, punctuation, symbols or digits: what 3-grams are taken from."""
    out = []
    for ch in unicodedata.normalize("NFKC", text).lower():
        cat = _category(ch)
        if cat[0] in "PSZC" or cat == "Nd" or ch.isdigit() or ch.isspace():
            continue
        out.append(ch)
    return "".join(out)


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """The set of character k-grams of the cleaned text (a text shorter than k is one shingle, or none)."""
    clean = clean_for_shingles(text)
    if len(clean) < k:
        return {clean} if clean else set()
    return {clean[i:i + k] for i in range(len(clean) - k + 1)}


def _keyed_hash(key: bytes) -> Any:
    k = hashlib.blake2b(key, digest_size=32, person=b"cg-minhash").digest()

    def hashfunc(data: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(data, digest_size=4, key=k).digest(), "little")

    return hashfunc


def minhash(text: str, key: bytes) -> tuple[MinHash, int]:
    """The keyed MinHash of the text's 3-grams and how many 3-grams there were."""
    grams = shingles(text)
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=_keyed_hash(key),
                 permutations=_permutations())
    if grams:
        mh.update_batch([g.encode("utf-8") for g in sorted(grams)])
    return mh, len(grams)


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """The permutation parameters are the same for every signature (a fixed seed): made once."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def signature(text: str, key: bytes) -> tuple[bytes, int]:
    """The stored form: NUM_PERM uint32 minima, little-endian (not reversible), and the shingle count."""
    mh, count = minhash(text, key)
    return np.asarray(mh.hashvalues, dtype="<u4").tobytes(), count


def from_signature(sig: bytes) -> MinHash:
    if len(sig) != SIGNATURE_BYTES:
        raise ValueError("signature of the wrong length")
    values = np.frombuffer(sig, dtype="<u4").astype(np.uint32)
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values, permutations=_permutations())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures (share of equal minima)."""
    va, vb = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(va == vb)) / NUM_PERM


@lru_cache(maxsize=8)
def _bands(jaccard: float) -> tuple[tuple[int, int], ...]:
    """datasketch's band layout (b bands of r rows) minimising false positives + negatives at the threshold."""
    return tuple(MinHashLSH(threshold=jaccard, num_perm=NUM_PERM).hashranges)


def band_keys(sig: bytes, jaccard: float = DEFAULT.jaccard) -> list[str]:
    """One key per LSH band (16 hex characters): two signatures that share a key are LSH candidates."""
    out = []
    for i, (start, end) in enumerate(_bands(jaccard)):
        digest = hashlib.blake2b(sig[start * 4:end * 4], digest_size=8, person=b"cg-band%d" % i).hexdigest()
        out.append(digest)
    return out


def lsh_index(signatures: Iterable[tuple[str, bytes]], jaccard: float = DEFAULT.jaccard) -> MinHashLSH:
    """datasketch's in-memory LSH index rebuilt from stored signatures (complaint id, signature)."""
    lsh = MinHashLSH(threshold=jaccard, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for ident, sig in signatures:
            session.insert(ident, from_signature(sig), check_duplication=False)
    return lsh


# -- phrases ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Phrase:
    id: str
    category: str  # stop_paying, interest_stop, paid_service, regulator
    pattern: str  # a regular expression over the phrase-normalised text
    strong: bool = False  # raises the signal alone
    negatable: bool = False  # a negation before it in the same clause cancels it


# Negations that turn a phrase around when they stand before it in the same clause: a word of these within the
# 6 characters before (我从未要求停息挂账, 并非申请停息挂账), or one of the single characters right before it (不停止还款).
NEGATION_WORDS = ("不会", "不能", "不想", "不要", "不是", "不再", "不曾", "没有", "并未", "从未", "从没", "未曾", "并非",
                  "拒绝", "无意")
NEGATION_CHARS = "不没未别非勿"
NEGATION_REACH = 6
PHRASES: tuple[Phrase, ...] = (
    Phrase("stop-paying", "stop_paying", r"(停止|暂停|停掉)(还款|还钱|还贷|扣款|代扣)", negatable=True),
    Phrase("no-need-to-pay", "stop_paying",
           r"(?<!是)(?<!是否)不(用|必|需要?)再?(还|还款|还钱)(了|啦)?(?![要有是在得会能给完清上吗嘛呢])", strong=True),
    Phrase("dont-pay", "stop_paying", r"(别|不要)再?(还|还款|还钱)(了|啦)(?![要有是在得会能吗嘛呢])", strong=True),
    Phrase("stop-interest", "interest_stop", r"停息(挂账|挂帐|分期)", strong=True, negatable=True),
    Phrase("interest-free-hold", "interest_stop", r"免息挂(账|帐)", strong=True, negatable=True),
    Phrase("agent-refund", "paid_service", r"代理(退息|退保|退费|减免|协商|维权)", strong=True, negatable=True),
    Phrase("credit-repair", "paid_service", r"(征信(修复|洗白|清除|铲单))|((修复|洗白|清除)征信)", strong=True,
           negatable=True),
    Phrase("debt-optimisation", "paid_service", r"债务(优化|规划|重组服务)", strong=True, negatable=True),
    Phrase("anti-collection", "paid_service", r"反催收", strong=True),
    Phrase("regulator-template", "regulator",
           r"(投诉|举报|反映)(至|到|给)?(中国)?(银保监会?|银监会?|国家金融监督管理总局|金融监管总局|金管局|人民银行|人行|央行|12378|消保)"),
    Phrase("regulator-threat", "regulator", r"(否则|不然|要不然)[^|]{0,12}(投诉|举报|曝光)"),
)
_COMPILED = tuple((p, re.compile(p.pattern)) for p in PHRASES)


def clean_for_phrases(text: str) -> str:
    """NFKC, lower-cased; whitespace and in-word symbols removed (停 息-挂·账 → 停息挂账), clause punctuation
    replaced by `|` (a phrase never spans two clauses); digits kept (12378)."""
    out = []
    for ch in unicodedata.normalize("NFKC", text).lower():
        if ch in _CLAUSE:
            out.append("|")
        elif ch.isspace() or _category(ch)[0] in "PSZC":
            continue
        else:
            out.append(ch)
    return "".join(out)


def phrases(text: str) -> list[str]:
    """The ids of the phrases found in the text, in PHRASES order."""
    clean = clean_for_phrases(text)
    return [p.id for p, rx in _COMPILED if any(not (p.negatable and _negated(clean, m.start()))
                                               for m in rx.finditer(clean))]


def _negated(clean: str, start: int) -> bool:
    before = clean[max(clean.rfind("|", 0, start) + 1, start - NEGATION_REACH):start]
    return bool(before) and (before[-1] in NEGATION_CHARS or any(w in before for w in NEGATION_WORDS))


def phrase_signal(found: Sequence[str]) -> bool:
    """Whether the phrases found raise the signal: a strong one, or two categories of which one is not the regulator
    (a mention of the regulator alone is a citizen's right)."""
    by_id = {p.id: p for p in PHRASES}
    chosen = [by_id[i] for i in found if i in by_id]
    if any(p.strong for p in chosen):
        return True
    cats = {p.category for p in chosen}
    return len(cats) >= 2 and cats != {"regulator"}


# -- features and the decision ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Features:
    """What detection knows of a complaint: keyed hashes (never clear values), a signature, phrase ids."""

    id: str
    debtor: str | None
    at: datetime
    keys: dict[str, str | None] = field(default_factory=dict)  # signal name → keyed hash (Signal.SHARED)
    signature: bytes | None = None
    shingles: int = 0
    phrases: tuple[str, ...] = ()

    @property
    def person(self) -> str:
        """Whom it counts as when counting distinct debtors: the debtor, or the complaint itself."""
        return self.debtor or f"complaint:{self.id}"


@dataclass(frozen=True)
class Raised:
    signal: str
    key: str | None  # the shared keyed hash, or None (text, phrases)
    shared_with: tuple[str, ...]  # the other complaints that share it, oldest first
    debtors: int  # distinct debtors sharing it, this complaint's included
    detail: dict[str, Any] = field(default_factory=dict)  # e.g. best similarity, phrase ids


def in_window(new: Features, other: Features, t: Thresholds) -> bool:
    return other.id != new.id and new.at - timedelta(days=t.window_days) <= other.at <= new.at


def detect(new: Features, candidates: Iterable[Features], t: Thresholds = DEFAULT) -> list[Raised]:
    """The signals the new complaint raises against candidate complaints (any: those out of the window, or the
    complaint itself, are ignored; candidates of other institutions must not be passed)."""
    pool = sorted({c.id: c for c in candidates if in_window(new, c, t)}.values(), key=lambda c: (c.at, c.id))
    raised: list[Raised] = []
    for signal in Signal.SHARED:
        key = new.keys.get(signal)
        if not key:
            continue
        sharing = [c for c in pool if c.keys.get(signal) == key]
        people = {new.person} | {c.person for c in sharing}
        if len(people) >= t.min_debtors:
            raised.append(Raised(signal, key, tuple(c.id for c in sharing), len(people)))
    if new.signature is not None and new.shingles >= t.min_shingles:
        close = [(c, similarity(new.signature, c.signature)) for c in pool
                 if c.signature is not None and c.shingles >= t.min_shingles]
        close = [(c, s) for c, s in close if s >= t.jaccard]
        people = {new.person} | {c.person for c, _ in close}
        if len(people) >= t.min_debtors:
            raised.append(Raised(Signal.TEXT, None, tuple(c.id for c, _ in close), len(people),
                                 {"similarity": round(max(s for _, s in close), 3)}))
    if phrase_signal(new.phrases):
        raised.append(Raised(Signal.PHRASES, None, (), 1, {"phrases": list(new.phrases)}))
    return raised
