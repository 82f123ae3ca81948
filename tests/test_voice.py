"""The narration voices: Piper speaks offline with exact bookmark times, and the silent voice keeps the same timing interface."""

from __future__ import annotations

import socket
import wave
from pathlib import Path

import numpy as np
import pytest
from manim_voiceover.tracker import VoiceoverTracker

from scenes.narration import PiperService, SilentService, service_from_env
from scenes.narration.speech import cut_points, normalise

TEXT = ('Here is a picture from our toy world. <bookmark mark="noise"/> Now we mix in some noise, '
        '<bookmark mark="more"/> and then a little more.')


class _Clock:
    """What a tracker reads from a scene: the renderer's current time."""

    def __init__(self, time: float) -> None:
        self.renderer = type("Renderer", (), {"time": time})()


def _tracker(service, text: str, start: float = 0.0) -> VoiceoverTracker:
    data = service._wrap_generate_from_text(text)
    return VoiceoverTracker(_Clock(start), data, service.cache_dir)


def _samples(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as audio:
        return np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2"), audio.getframerate()


def _refuse_network(patch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test: the voice must work offline."""
    def refuse(*args, **kwargs):
        raise AssertionError("the speech service tried to use the network")

    patch.setattr(socket.socket, "connect", refuse)
    patch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def no_network(monkeypatch):
    _refuse_network(monkeypatch)


@pytest.fixture(scope="module")
def piper_speech(tmp_path_factory):
    """One Piper synthesis of TEXT, offline, shared by the Piper tests (a few seconds on a laptop CPU)."""
    service = PiperService(cache_dir=tmp_path_factory.mktemp("voiceovers"))
    with pytest.MonkeyPatch.context() as patch:
        _refuse_network(patch)
        tracker = _tracker(service, TEXT, start=2.0)
    return service, tracker


def test_piper_bookmarks_increase_and_fall_inside_the_audio(piper_speech):
    service, tracker = piper_speech
    samples, rate = _samples(Path(service.cache_dir) / tracker.data["final_audio"])
    assert rate == service.sample_rate
    assert tracker.duration == pytest.approx(len(samples) / rate, abs=1e-6)
    noise, more = tracker.bookmark_times["noise"] - 2.0, tracker.bookmark_times["more"] - 2.0
    assert 0.5 < noise < more < tracker.duration


def test_piper_bookmark_is_the_first_sample_of_the_words_after_it(piper_speech):
    service, tracker = piper_speech
    content, _, bookmarks = cut_points(normalise(TEXT))
    starts = {segment["text_offset"]: segment["start"] for segment in tracker.data["segments"]}
    for mark, offset in bookmarks.items():
        assert tracker.bookmark_times[mark] - 2.0 == pytest.approx(starts[offset], abs=1e-6)
    # Speech before each bookmark and after it: neither piece is empty sound.
    samples, rate = _samples(Path(service.cache_dir) / tracker.data["final_audio"])
    edges = [0.0, starts[bookmarks["noise"]], starts[bookmarks["more"]], tracker.duration]
    for a, b in zip(edges, edges[1:]):
        piece = samples[int(a * rate):int(b * rate)].astype(np.float64)
        assert np.sqrt(np.mean(piece ** 2)) > 500, f"no speech between {a:.2f} s and {b:.2f} s"


def test_piper_is_cached_by_text_and_does_not_load_the_voice_again(piper_speech, no_network):
    service, tracker = piper_speech
    again = PiperService(cache_dir=service.cache_dir)
    data = again._wrap_generate_from_text(TEXT)
    assert data == tracker.data
    assert again._voice is None  # answered from the cache
    assert len(list(Path(service.cache_dir).glob("*.wav"))) == 1


def test_silent_voice_gives_the_same_interface(tmp_path, piper_speech):
    _, spoken = piper_speech
    silent = _tracker(SilentService(cache_dir=tmp_path), TEXT, start=2.0)
    assert set(silent.data) == set(spoken.data)
    assert [s["text"] for s in silent.data["segments"]] == [s["text"] for s in spoken.data["segments"]]
    assert set(silent.bookmark_times) == {"noise", "more"}
    assert 2.0 < silent.bookmark_times["noise"] < silent.bookmark_times["more"] < 2.0 + silent.duration
    samples, _ = _samples(tmp_path / silent.data["final_audio"])
    assert not samples.any()
    # Its pace is Piper's: the same text lasts about as long (Piper's pace varies a little per run).
    assert silent.duration == pytest.approx(spoken.duration, rel=0.35)


def test_silent_duration_follows_the_word_count(tmp_path):
    service = SilentService(cache_dir=tmp_path)
    short = _tracker(service, "A few words here.")
    long = _tracker(service, "A few words here, and then many more words after them, to make it longer.")
    per_word = 1 / SilentService.words_per_second
    assert long.duration - short.duration == pytest.approx(11 * per_word, abs=0.01)


def test_bookmarks_at_the_start_and_the_end(tmp_path):
    tracker = _tracker(SilentService(cache_dir=tmp_path), '<bookmark mark="first"/>Some words. <bookmark mark="last"/>')
    assert tracker.bookmark_times["first"] == pytest.approx(0.0)
    assert tracker.bookmark_times["last"] == pytest.approx(tracker.duration)


def test_a_bookmark_used_twice_is_refused(tmp_path):
    with pytest.raises(ValueError, match="twice"):
        SilentService(cache_dir=tmp_path)._wrap_generate_from_text(
            'One <bookmark mark="a"/> two <bookmark mark="a"/> three.')


def test_the_environment_variable_picks_the_voice(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_WALK_VOICE", "silent")
    assert isinstance(service_from_env(cache_dir=tmp_path), SilentService)
    monkeypatch.delenv("LATENT_WALK_VOICE")
    assert isinstance(service_from_env(cache_dir=tmp_path), PiperService)
    monkeypatch.setenv("LATENT_WALK_VOICE", "robot")
    with pytest.raises(ValueError, match="LATENT_WALK_VOICE='robot' is not a voice"):
        service_from_env(cache_dir=tmp_path)
