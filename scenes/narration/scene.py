"""The base scene of every narrated chapter: it picks the voice, speaks the chapter's narration blocks, and writes their subtitles.

A chapter subclasses ``NarratedScene``, calls ``self.use_narration(path, facts)`` once it has
read its capture, and wraps animations in ``with self.narrate("block") as tracker:``. The voice
comes from ``LATENT_WALK_VOICE`` (piper, the default, or silent); chapters never choose it.
When the scene ends, ``<media_dir>/subtitles/<Scene>.vtt`` and ``.srt`` hold every block,
timed where it actually plays in the video, and ``<Scene>.marks.json`` says where each block
starts and where its animations end: the clips take their posters from it and the slide deck
its slide boundaries.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from manim import config, logger
from manim_voiceover import VoiceoverScene
from manim_voiceover.tracker import VoiceoverTracker

from pipeline.contract import Capture, read_capture
from scenes.chapters import CAPTURES_READ, MARKS_SCHEMA
from scenes.helpers import captures_root
from scenes.style import BACKGROUND

from .script import Narration, NarrationError, load_narration
from .speech import service_from_env, spoken_text
from .subtitles import Cue, block_cues, write_subtitles


@dataclass(frozen=True)
class SpokenBlock:
    """A voiceover block as it played: where in the video it starts, how long it lasts, its timed segments."""

    name: str
    text: str
    start: float
    duration: float
    segments: list[dict]

    @property
    def end(self) -> float:
        return self.start + self.duration


def subtitles_folder() -> Path:
    return Path(config.media_dir) / "subtitles"


class NarratedScene(VoiceoverScene):
    """A VoiceoverScene with the project's voice, narration read from a file, and subtitles written at the end."""

    # Seconds the last picture stays on screen after the last words, before the chapter cuts.
    closing_hold = 1.0
    # The chapter's title as the screen shows it, and the capture it reads (set by each chapter).
    title = ""
    capture_name = ""
    expected_arrays: Sequence[str] = ()

    def setup(self) -> None:
        super().setup()
        self.camera.background_color = BACKGROUND
        # manim advances its clock by whole frames for an animation it renders but by the exact
        # run time for one it takes from its cache, so a partly cached render would place the
        # voice (added at the clock's time) out of step with the pictures. Render every frame.
        config.disable_caching = True
        self.set_speech_service(service_from_env(), create_subcaption=False)
        self.narration: Narration | None = None
        self.narration_text: dict[str, str] = {}
        self.spoken: list[SpokenBlock] = []
        # Where each block's animations end (the scene's clock when its `narrate` closes).
        self.block_ends: dict[str, float] = {}
        self._block_name: str | None = None

    def read_capture(self, name: str | None = None, arrays: Sequence[str] | None = None) -> Capture:
        """Read a capture from ``<media_dir>/captures``: the chapter's own (``capture_name``) unless named."""
        if name is None:
            name = self.capture_name
            arrays = self.expected_arrays if arrays is None else arrays
        module = Path(inspect.getfile(type(self))).stem
        declared = CAPTURES_READ.get(module)
        if declared is not None and name not in declared:
            # The Makefile re-renders a chapter only when a capture CAPTURES_READ names changes.
            raise NarrationError(f"{module} reads the {name} capture, which CAPTURES_READ in scenes/chapters.py "
                                 f"does not name for it ({', '.join(declared)}): add it there")
        return read_capture(captures_root(), name=name, expected_arrays=tuple(arrays or ()))

    def use_narration(self, path: Path | str, facts: Mapping[str, str]) -> None:
        """Read the chapter's narration file and fill its placeholders with the capture's facts."""
        self.narration = load_narration(path)
        self.narration_text = self.narration.filled(facts)

    @contextmanager
    def narrate(self, block: str) -> Iterator[VoiceoverTracker]:
        """Speak one named block of the narration while the body animates; waits for the voice to finish."""
        if block not in self.narration_text:
            where = self.narration.path if self.narration else "no narration file (call use_narration first)"
            raise NarrationError(f"{where}: has no block {block!r}")
        self._block_name = block
        try:
            with self.voiceover(text=self.narration_text[block]) as tracker:
                yield tracker
        finally:
            self._block_name = None
        self.block_ends[block] = float(self.renderer.time)

    def _add_voiceover_text(self, text: str, service_kwargs: dict[str, object], **kwargs) -> VoiceoverTracker:
        tracker = super()._add_voiceover_text(text, service_kwargs=service_kwargs, **kwargs)
        self.spoken.append(SpokenBlock(
            name=self._block_name or f"block {len(self.spoken) + 1}",
            text=spoken_text(text),
            start=float(tracker.start_t),
            duration=float(tracker.duration),
            segments=list(tracker.data["segments"]),
        ))
        return tracker

    def finish(self) -> None:
        """Hold the last picture for ``closing_hold`` seconds: the chapter's end."""
        self.wait(self.closing_hold)

    def cues(self) -> list[Cue]:
        return [cue for block in self.spoken for cue in block_cues(block.start, block.segments)]

    def tear_down(self) -> None:
        super().tear_down()
        if self.narration is not None:
            said = [block.name for block in self.spoken]
            unsaid = [name for name in self.narration.blocks if name not in said]
            if unsaid or said != list(self.narration.blocks):
                # Subtitles and the film's script follow the file's order; the scene must too.
                raise NarrationError(f"{self.narration.path}: the scene spoke {said}, but the file's "
                                     f"blocks are {list(self.narration.blocks)}")
        if self.spoken and not (config.dry_run or config.save_last_frame):
            vtt, srt = write_subtitles(subtitles_folder(), type(self).__name__, self.cues())
            logger.info(f"Subtitles written: {vtt} and {srt}")
            marks = self.write_marks(subtitles_folder() / f"{type(self).__name__}.marks.json")
            logger.info(f"Block marks written: {marks}")

    def write_marks(self, path: Path) -> Path:
        """Write where every block starts, where its voice and its animations end, and what it says (atomically)."""
        data = {
            "schema": MARKS_SCHEMA,
            "scene": type(self).__name__,
            "title": self.title,
            "duration": float(self.renderer.time),
            "blocks": [{"name": block.name, "start": round(block.start, 4),
                        "voice_end": round(block.end, 4),
                        "end": round(self.block_ends.get(block.name, block.end), 4),
                        "text": block.text} for block in self.spoken],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, path)
        return path
