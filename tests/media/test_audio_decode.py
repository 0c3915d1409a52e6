"""Decoding real files of every common format, and clear errors for bad ones."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from picscore.media.audio_decode import MAX_DECODE_SECONDS, AudioDecodeError, decode_audio, read_tags
from picscore.media.audio_encode import ENCODABLE_EXTENSIONS, encode_audio

TAGS = {"title": "Harbour Lights", "artist": "The Testers", "album": "Fixtures", "genre": "Jazz", "date": "2019-06-01"}


def _sine(seconds: float, *, sr: int, hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


@pytest.mark.parametrize("ext", ENCODABLE_EXTENSIONS)
def test_every_format_decodes_to_mono_at_the_asked_rate(tmp_path: Path, ext: str) -> None:
    path = encode_audio(tmp_path / f"tone{ext}", _sine(3.0, sr=44100), sr=44100, tags=TAGS)
    decoded = decode_audio(path, sr=16000)
    assert decoded.sr == 16000 and decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.duration_seconds == pytest.approx(3.0, abs=0.08)  # codec priming/padding only
    assert decoded.info.channels == 2
    # Stereo with identical channels averages back to the original level, not +3 dB.
    assert np.abs(decoded.samples).max() == pytest.approx(0.5, abs=0.05)
    spectrum = np.abs(np.fft.rfft(decoded.samples[4000:36000]))
    assert np.argmax(spectrum) * 16000 / 32000 == pytest.approx(440, abs=1)


@pytest.mark.parametrize("ext", [".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav", ".aiff"])
def test_tags_are_read_from_the_container(tmp_path: Path, ext: str) -> None:
    decoded = decode_audio(encode_audio(tmp_path / f"t{ext}", _sine(1.5, sr=22050), sr=22050, tags=TAGS))
    assert decoded.tags == {"title": "Harbour Lights", "artist": "The Testers", "album": "Fixtures", "genre": "Jazz", "year": "2019"}


def test_opus_source_rate_is_reported(tmp_path: Path) -> None:
    decoded = decode_audio(encode_audio(tmp_path / "t.opus", _sine(1.0, sr=22050), sr=22050))
    assert decoded.info.codec == "opus" and decoded.info.sample_rate == 48000


def test_read_tags_normalises_case_aliases_and_year() -> None:
    assert read_tags({"TITLE": " A ", "Artist": "B", "DATE": "1999-02-03", "comment": "x"}) == {"title": "A", "artist": "B", "year": "1999"}
    assert read_tags({"date": "unknown"}) == {}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match="file not found"):
        decode_audio(tmp_path / "nope.mp3")


def test_text_file_with_audio_extension(tmp_path: Path) -> None:
    path = tmp_path / "fake.mp3"
    path.write_text("this is not an mp3 file at all\n" * 20)
    with pytest.raises(AudioDecodeError):
        decode_audio(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.flac"
    path.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty"):
        decode_audio(path)


def test_wav_header_without_samples(tmp_path: Path) -> None:
    full = encode_audio(tmp_path / "full.wav", _sine(1.0, sr=8000), sr=8000)
    header_only = tmp_path / "zero.wav"
    data = full.read_bytes()
    header_only.write_bytes(data[: data.find(b"data") + 8])  # chunk id and size, no samples
    with pytest.raises(AudioDecodeError, match="no samples"):
        decode_audio(header_only)


def test_image_file_has_no_audio_stream(tmp_path: Path) -> None:
    import av

    path = tmp_path / "still.png"
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 8, 8, "rgb24"
        frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), dtype=np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(AudioDecodeError, match="no audio stream"):
        decode_audio(path)


def test_truncated_mp3_keeps_the_audio_before_the_cut(tmp_path: Path) -> None:
    full = encode_audio(tmp_path / "full.mp3", _sine(6.0, sr=22050), sr=22050)
    cut = tmp_path / "cut.mp3"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    decoded = decode_audio(cut)
    assert 2.0 < decoded.duration_seconds < 4.0


def _pcm_wav(path: Path, channels: np.ndarray, *, sr: int) -> Path:
    """16-bit PCM WAV of `channels` ([channels, samples] in [-1, 1]), with no channel layout in its header."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(sr)
        out.writeframes((channels.T * 32767).astype("<i2").tobytes())
    return path


@pytest.mark.parametrize("count", [6, 8, 12, 64])
def test_many_channels_average_to_mono(tmp_path: Path, count: int) -> None:
    # PyAV reads only the first 8 planes of planar audio: 8 to 16 channels crashed the process, more gave garbage.
    channels = np.stack([_sine(1.0, sr=8000, hz=100.0 * (1 + c), amplitude=0.5) for c in range(count)])
    decoded = decode_audio(_pcm_wav(tmp_path / f"{count}.wav", channels, sr=8000), sr=8000)
    assert decoded.info.channels == count
    np.testing.assert_allclose(decoded.samples, channels.mean(axis=0), atol=1e-3)


def test_more_channels_than_can_be_mixed(tmp_path: Path) -> None:
    path = _pcm_wav(tmp_path / "65.wav", np.zeros((65, 800)), sr=8000)
    with pytest.raises(AudioDecodeError, match=r"^65 audio channels: more than the 64 that can be mixed$"):
        decode_audio(path)


def test_decoding_stops_past_the_longest_audio_taken(tmp_path: Path) -> None:
    path = encode_audio(tmp_path / "long.flac", _sine(20.0, sr=8000), sr=8000)
    with pytest.raises(AudioDecodeError, match=r"^too long: more than 6 seconds of audio \(the most picscore decodes\)$"):
        decode_audio(path, sr=8000, max_seconds=6.0)
    assert decode_audio(path, sr=8000, max_seconds=30.0).duration_seconds == pytest.approx(20.0, abs=0.01)
    assert MAX_DECODE_SECONDS == 3 * 3600
