"""Speech recognition adapter (语音转写): audio → the transcript input format.

ASR is a pluggable step before inspection. `Transcriber` is the interface; `SherpaOnnxTranscriber`
is loaded only when the optional `sherpa-onnx` package and a user-provided model directory exist
(`--model-dir` or env `COLLECTGUARD_ASR_MODEL_DIR`). WAV files are decoded with the standard
library (`wave`) into mono 16 kHz float samples; a stereo recording is split per channel (call
centres record the agent and the customer on separate channels), a mono one is cut at silences.
"""

from __future__ import annotations

import math
import os
import sys
import wave
from abc import ABC, abstractmethod
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectguard.qa.models import Call, Turn

TARGET_RATE = 16_000
MODEL_DIR_ENV = "COLLECTGUARD_ASR_MODEL_DIR"

HOW_TO_CONFIGURE = f"""\
未配置语音识别模型。请按以下步骤配置：
  1. 安装可选依赖：pip install sherpa-onnx
  2. 下载一个 sherpa-onnx 离线中文模型（如 paraformer-zh 或 sense-voice），解压到本地目录；
     目录中应含 tokens.txt 与 model.onnx / model.int8.onnx（或 encoder/decoder/joiner *.onnx）。
  3. 用 --model-dir 目录 指定，或设置环境变量 {MODEL_DIR_ENV}=目录。
No speech-recognition model is configured. To configure one:
  1. install the optional package: pip install sherpa-onnx
  2. download a sherpa-onnx offline Chinese model (e.g. paraformer-zh or sense-voice) and unpack it;
     the directory holds tokens.txt and model.onnx / model.int8.onnx (or encoder/decoder/joiner *.onnx).
  3. pass --model-dir DIR, or set the environment variable {MODEL_DIR_ENV}=DIR."""


class AsrUnavailable(RuntimeError):
    """No usable ASR backend / 语音识别不可用 (the message says how to configure one)."""


@dataclass(frozen=True, slots=True)
class Audio:
    """Decoded audio: one float sample list per channel, in [-1, 1], at `rate` Hz."""

    channels: list[list[float]]
    rate: int

    @property
    def duration(self) -> float:
        return len(self.channels[0]) / self.rate if self.channels and self.rate else 0.0

    def mono(self) -> list[float]:
        if len(self.channels) == 1:
            return self.channels[0]
        n = len(self.channels)
        return [sum(frame) / n for frame in zip(*self.channels, strict=True)]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech: start and end in seconds within the recording."""

    start: float
    end: float
    samples: list[float]


class Transcriber(ABC):
    """Turns mono 16 kHz float samples of one utterance into text."""

    sample_rate: int = TARGET_RATE

    @abstractmethod
    def transcribe(self, samples: Sequence[float], sample_rate: int) -> str:
        """The recognised text of one utterance ('' when nothing was recognised)."""


# --- WAV decoding (stdlib only) ------------------------------------------------------------------

def _pcm_to_floats(raw: bytes, width: int) -> list[float]:
    if width == 1:  # unsigned 8-bit
        return [(b - 128) / 128.0 for b in raw]
    if width == 2:
        data = array("h")
        data.frombytes(raw)
        if sys.byteorder == "big":
            data.byteswap()
        return [s / 32768.0 for s in data]
    if width == 3:
        return [
            int.from_bytes(raw[i:i + 3], "little", signed=True) / 8_388_608.0 for i in range(0, len(raw) - 2, 3)
        ]
    if width == 4:
        data = array("i")
        data.frombytes(raw)
        if sys.byteorder == "big":
            data.byteswap()
        return [s / 2_147_483_648.0 for s in data]
    raise ValueError(f"不支持的采样位宽 unsupported sample width: {width} bytes")


def resample(samples: Sequence[float], rate: int, target: int = TARGET_RATE) -> list[float]:
    """Linear-interpolation resampling (adequate for speech recognition input)."""
    if rate == target or not samples:
        return list(samples)
    n_out = max(1, int(round(len(samples) * target / rate)))
    step = rate / target
    last = len(samples) - 1
    out = []
    for i in range(n_out):
        pos = i * step
        j = int(pos)
        if j >= last:
            out.append(samples[last])
            continue
        frac = pos - j
        out.append(samples[j] * (1 - frac) + samples[j + 1] * frac)
    return out


def read_wav(path: Path, target_rate: int = TARGET_RATE) -> Audio:
    """Decode a PCM WAV file into per-channel float samples at `target_rate`."""
    try:
        with wave.open(str(path), "rb") as wav:
            n_channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path}: 不是可解码的 PCM WAV 文件 / not a decodable PCM WAV file: {exc}") from exc
    interleaved = _pcm_to_floats(raw, width)
    channels = [interleaved[c::n_channels] for c in range(n_channels)]
    return Audio([resample(ch, rate, target_rate) for ch in channels], target_rate)


# --- segmentation on silence ---------------------------------------------------------------------

def split_on_silence(samples: Sequence[float], rate: int, *, frame_s: float = 0.03, threshold: float = 0.02,
                     min_silence_s: float = 0.5, min_speech_s: float = 0.2, pad_s: float = 0.1) -> list[Segment]:
    """Cut speech at silences (RMS energy per frame below `threshold` for `min_silence_s`)."""
    frame = max(1, int(rate * frame_s))
    voiced: list[bool] = []
    for i in range(0, len(samples), frame):
        chunk = samples[i:i + frame]
        rms = math.sqrt(sum(x * x for x in chunk) / len(chunk)) if chunk else 0.0
        voiced.append(rms >= threshold)
    segments: list[Segment] = []
    min_gap = max(1, int(min_silence_s / frame_s))
    start: int | None = None
    silent = 0
    for idx, v in enumerate(voiced + [False] * min_gap):
        if v:
            if start is None:
                start = idx
            silent = 0
        elif start is not None:
            silent += 1
            if silent >= min_gap:
                end = idx - silent + 1
                if (end - start) * frame_s >= min_speech_s:
                    s = max(0, int((start * frame_s - pad_s) * rate))
                    e = min(len(samples), int((end * frame_s + pad_s) * rate))
                    segments.append(Segment(round(s / rate, 2), round(e / rate, 2), list(samples[s:e])))
                start = None
                silent = 0
    return segments


# --- audio → Call ---------------------------------------------------------------------------------

def transcribe_audio(audio: Audio, transcriber: Transcriber, call_id: str, *, audience: str = "debtor",
                     agent_channel: int = 0, mono_speaker: str = "agent") -> Call:
    """One call from one recording: stereo → agent channel + other party, mono → `mono_speaker`."""
    other = "debtor" if audience == "debtor" else "contact"
    labelled: list[tuple[str, Segment]] = []
    if len(audio.channels) >= 2:
        for channel, samples in enumerate(audio.channels[:2]):
            speaker = "agent" if channel == agent_channel else other
            labelled.extend((speaker, seg) for seg in split_on_silence(samples, audio.rate))
    else:
        labelled.extend((mono_speaker, seg) for seg in split_on_silence(audio.channels[0], audio.rate))
    labelled.sort(key=lambda item: item[1].start)
    turns = []
    for speaker, seg in labelled:
        text = transcriber.transcribe(seg.samples, audio.rate).strip()
        if text:
            turns.append(Turn(speaker=speaker, text=text, start=seg.start, end=seg.end))  # type: ignore[arg-type]
    if not turns:
        turns.append(Turn(speaker=mono_speaker, text="", start=0.0, end=round(audio.duration, 2)))  # type: ignore[arg-type]
    return Call(id=call_id, audience=audience, turns=turns)  # type: ignore[arg-type]


# --- sherpa-onnx backend -------------------------------------------------------------------------

def model_dir_from(option: Path | None) -> Path | None:
    """The configured model directory: the option, else env `COLLECTGUARD_ASR_MODEL_DIR`."""
    if option is not None:
        return option
    env = os.environ.get(MODEL_DIR_ENV, "").strip()
    return Path(env) if env else None


def _first(directory: Path, *patterns: str) -> Path | None:
    for pattern in patterns:
        found = sorted(directory.glob(pattern))
        if found:
            return found[0]
    return None


class SherpaOnnxTranscriber(Transcriber):
    """sherpa-onnx offline recogniser (paraformer, SenseVoice or transducer model directory)."""

    def __init__(self, model_dir: Path, num_threads: int = 2) -> None:
        try:
            import sherpa_onnx  # type: ignore[import-not-found]
        except ImportError as exc:
            raise AsrUnavailable("未安装 sherpa-onnx / sherpa-onnx is not installed.\n" + HOW_TO_CONFIGURE) from exc
        if not model_dir.is_dir():
            raise AsrUnavailable(f"模型目录不存在 model directory not found: {model_dir}\n" + HOW_TO_CONFIGURE)
        tokens = model_dir / "tokens.txt"
        if not tokens.is_file():
            raise AsrUnavailable(f"模型目录缺少 tokens.txt / no tokens.txt in {model_dir}\n" + HOW_TO_CONFIGURE)
        encoder = _first(model_dir, "encoder*.int8.onnx", "encoder*.onnx")
        decoder = _first(model_dir, "decoder*.int8.onnx", "decoder*.onnx")
        joiner = _first(model_dir, "joiner*.int8.onnx", "joiner*.onnx")
        single = _first(model_dir, "model.int8.onnx", "model.onnx")
        recognizer: Any
        if encoder and decoder and joiner:
            recognizer = sherpa_onnx.OfflineRecognizer.from_transducer(
                encoder=str(encoder), decoder=str(decoder), joiner=str(joiner), tokens=str(tokens),
                num_threads=num_threads,
            )
        elif single and "sense" in model_dir.name.lower():
            recognizer = sherpa_onnx.OfflineRecognizer.from_sense_voice(
                model=str(single), tokens=str(tokens), num_threads=num_threads, use_itn=True, language="zh",
            )
        elif single:
            recognizer = sherpa_onnx.OfflineRecognizer.from_paraformer(
                paraformer=str(single), tokens=str(tokens), num_threads=num_threads,
            )
        else:
            raise AsrUnavailable(f"无法识别的模型目录 unrecognised model directory: {model_dir}\n" + HOW_TO_CONFIGURE)
        self._recognizer = recognizer

    def transcribe(self, samples: Sequence[float], sample_rate: int) -> str:
        stream = self._recognizer.create_stream()
        stream.accept_waveform(sample_rate, list(samples))
        self._recognizer.decode_stream(stream)
        return str(stream.result.text)


def load_transcriber(model_dir: Path | None) -> Transcriber:
    """The sherpa-onnx transcriber for the configured model directory, or `AsrUnavailable`."""
    directory = model_dir_from(model_dir)
    if directory is None:
        raise AsrUnavailable(HOW_TO_CONFIGURE)
    return SherpaOnnxTranscriber(directory)
