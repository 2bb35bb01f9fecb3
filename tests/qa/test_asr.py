"""ASR plumbing: stdlib WAV decoding, resampling, segmentation, and audio → transcript with a fake backend."""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collectguard.cli import app
from collectguard.qa import asr
from collectguard.qa.asr import (
    SherpaOnnxTranscriber,
    Transcriber,
    read_wav,
    split_on_silence,
    transcribe_audio,
)


def write_wav(path: Path, channels: list[list[float]], rate: int, width: int = 2) -> None:
    scale = {1: 127, 2: 32767, 4: 2_147_483_647}[width]
    fmt = {1: "B", 2: "<h", 4: "<i"}[width]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(len(channels))
        wav.setsampwidth(width)
        wav.setframerate(rate)
        frames = bytearray()
        for frame in zip(*channels, strict=True):
            for x in frame:
                v = int(x * scale) + (128 if width == 1 else 0)
                frames += struct.pack(fmt, v)
        wav.writeframes(bytes(frames))


def tone(seconds: float, rate: int, amp: float = 0.5, hz: float = 440.0) -> list[float]:
    return [amp * math.sin(2 * math.pi * hz * i / rate) for i in range(int(seconds * rate))]


def silence(seconds: float, rate: int) -> list[float]:
    return [0.0] * int(seconds * rate)


class FakeTranscriber(Transcriber):
    """Names each utterance by its length, so the test can check what reached the backend."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def transcribe(self, samples: Sequence[float], sample_rate: int) -> str:
        self.calls.append((len(samples), sample_rate))
        return f"片段{len(self.calls)}"


def test_read_wav_decodes_and_resamples_to_mono_16k(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    write_wav(path, [tone(0.5, 8000)], 8000)
    audio = read_wav(path)
    assert audio.rate == 16000 and len(audio.channels) == 1
    assert abs(len(audio.channels[0]) - 8000) <= 1
    assert 0.45 < max(audio.channels[0]) <= 0.51


@pytest.mark.parametrize("width", [1, 2, 4])
def test_read_wav_sample_widths(tmp_path: Path, width: int) -> None:
    path = tmp_path / "w.wav"
    write_wav(path, [tone(0.1, 16000, amp=0.25)], 16000, width)
    peak = max(read_wav(path).channels[0])
    assert 0.22 < peak < 0.27


def test_not_a_wav_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"not audio at all")
    with pytest.raises(ValueError, match="WAV"):
        read_wav(path)


def test_split_on_silence_finds_speech_stretches() -> None:
    rate = 16000
    samples = silence(0.5, rate) + tone(1.0, rate) + silence(1.0, rate) + tone(0.6, rate) + silence(0.5, rate)
    segs = split_on_silence(samples, rate)
    assert len(segs) == 2
    assert segs[0].start == pytest.approx(0.4, abs=0.1) and segs[0].end == pytest.approx(1.6, abs=0.1)
    assert segs[1].start == pytest.approx(2.4, abs=0.1)


def test_stereo_recording_becomes_agent_and_debtor_turns(tmp_path: Path) -> None:
    rate = 16000
    agent = tone(1.0, rate) + silence(2.0, rate) + tone(1.0, rate) + silence(0.6, rate)
    debtor = silence(1.5, rate) + tone(0.8, rate) + silence(2.3, rate)
    path = tmp_path / "call-7.wav"
    write_wav(path, [agent, debtor], rate)
    fake = FakeTranscriber()
    call = transcribe_audio(read_wav(path), fake, "call-7")
    assert [t.speaker for t in call.turns] == ["agent", "debtor", "agent"]
    assert all(t.start is not None and t.end is not None and t.end > t.start for t in call.turns)
    assert call.turns[1].start == pytest.approx(1.4, abs=0.15)
    assert all(rate_ == 16000 for _, rate_ in fake.calls)
    assert call.interactive


def test_cli_transcribe_writes_the_input_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rate = 16000
    path = tmp_path / "rec-1.wav"
    write_wav(path, [tone(0.8, rate) + silence(1.0, rate) + tone(0.8, rate)], rate)
    monkeypatch.setattr("collectguard.qa.cli.load_transcriber", lambda model_dir: FakeTranscriber())
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["qa", "transcribe", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "rec-1" and rows[0]["audience"] == "debtor"
    assert [t["text"] for t in rows[0]["turns"]] == ["片段1", "片段2"]
    # the output is valid scan input
    scan = CliRunner().invoke(app, ["qa", "scan", str(out), "--json"])
    assert scan.exit_code == 0 and json.loads(scan.stdout)["id"] == "rec-1"


def test_sherpa_backend_needs_package_and_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(asr.MODEL_DIR_ENV, raising=False)
    with pytest.raises(asr.AsrUnavailable, match="COLLECTGUARD_ASR_MODEL_DIR"):
        asr.load_transcriber(None)
    monkeypatch.setenv(asr.MODEL_DIR_ENV, str(tmp_path / "nowhere"))
    assert asr.model_dir_from(None) == tmp_path / "nowhere"
    with pytest.raises(asr.AsrUnavailable):
        SherpaOnnxTranscriber(tmp_path / "nowhere")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (spoken WAV part)")
def test_spoken_chinese_wav_is_decoded_and_segmented(tmp_path: Path) -> None:
    path = tmp_path / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(path), "您好，本次通话全程录音。"], check=True)
    audio = read_wav(path)
    assert audio.rate == 16000 and audio.duration > 1.0
    segs = split_on_silence(audio.channels[0], audio.rate, threshold=0.01)
    assert segs and segs[0].end > segs[0].start
    call = transcribe_audio(audio, FakeTranscriber(), "spoken")
    assert call.turns and call.turns[0].text.startswith("片段")
