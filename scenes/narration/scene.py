"""The base scene of every chapter: it reads the captures the chapter declares, speaks its narration blocks, writes their subtitles, and closes the chapter.

A chapter is ``scenes/chNN_name.py`` with one ``NarratedScene`` subclass, and
``scenes/chNN_name.narration.toml`` with its ``[chapter]`` table and its ``[blocks]``
(``scenes/chapters.py``). Before the chapter plays, the base scene reads every capture the
table names (``self.captures[name]``; the chapter's own, the first, is also ``self.capture``,
with its ``self.facts`` and ``self.arrays``), refuses a read of any other, and fills the
narration's placeholders from all of them: ``{fact}`` from the chapter's own capture,
``{capture.fact}`` from any it reads. The chapter writes ``tell()``, wrapping its animations in
``with self.narrate("block") as tracker:``; the base scene then holds the last picture and
closes. The voice comes from ``LATENT_WALK_VOICE`` (piper, the default, or silent).

When the scene ends, ``<media_dir>/subtitles/<Scene>.vtt`` and ``.srt`` hold every block,
timed where it actually plays in the video, and ``<Scene>.marks.json`` says where each block
starts and where its animations end: the clips take their posters from it and the slide deck
its slide boundaries.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from manim import ORIGIN, MovingCameraScene, config, logger
from manim_voiceover import VoiceoverScene
from manim_voiceover.tracker import VoiceoverTracker

from pipeline.contract import Capture, CaptureError, Fact, read_capture
from pipeline.files import write_whole
from scenes import text_cache
from scenes.chapters import MARKS_SCHEMA, Chapter, read_chapter
from scenes.numbers import spoken, visible
from scenes.redraw import DrawsOnlyWhatMoves
from scenes.style import BACKGROUND

from .script import Narration, NarrationError, load_narration
from .speech import service_from_env, spoken_text
from .subtitles import Cue, block_cues, write_subtitles


def captures_root() -> Path:
    """Where captures live: ``<media_dir>/captures``, so ``--media_dir`` moves a render and its data together."""
    return Path(config.media_dir) / "captures"


class _Arrays(dict):
    """A capture's arrays; asking for one it lacks is one line naming the capture and the fix, not a KeyError."""

    def __init__(self, capture: Capture) -> None:
        super().__init__(capture.arrays)
        self.capture = capture

    def __missing__(self, key: str) -> np.ndarray:
        raise CaptureError(f"{self.capture.path}: the {self.capture.name} capture has no array {key!r}, which this "
                           f"chapter reads; run: python -m pipeline capture {self.capture.name} --force")


def visible_facts(facts: Mapping[str, Fact]) -> dict[str, Fact]:
    """A capture's facts as a chapter reads them: a text fact (a prompt, written by anyone) without the characters
    that cannot be seen (controls, bidirectional overrides), which the screen cannot draw (Pango stops at a NUL)
    or which would show it otherwise than it is written. Everything a reader can see is kept as it is."""
    return {name: dataclasses.replace(fact, value=visible(fact.value)) if isinstance(fact.value, str) else fact
            for name, fact in facts.items()}


def narration_facts(captures: Mapping[str, Capture], own: str) -> dict[str, str]:
    """What narration placeholders are filled with: ``fact`` for the facts of the chapter's own capture,
    ``capture.fact`` for those of every capture it reads (its own included), each in its spoken form."""
    facts: dict[str, Fact] = {f"{name}.{fact}": value for name, capture in captures.items()
                              for fact, value in capture.facts.items()}
    facts.update(captures[own].facts)
    return {name: spoken(fact) for name, fact in facts.items()}


def narration_flags(captures: Mapping[str, Capture], own: str) -> dict[str, bool]:
    """The yes-or-no facts a narration's variants are chosen by, named as placeholders are."""
    flags = {f"{name}.{fact}": value.value for name, capture in captures.items()
             for fact, value in capture.facts.items() if isinstance(value.value, bool)}
    flags.update({fact: value.value for fact, value in captures[own].facts.items() if isinstance(value.value, bool)})
    return flags


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


class NarratedScene(DrawsOnlyWhatMoves, VoiceoverScene, MovingCameraScene):
    """A VoiceoverScene that reads its chapter's captures and narration, speaks it, and writes its subtitles. Each
    frame redraws only the boxes around what moves (the same pixels as manim's way: scenes/redraw.py). Its camera
    can move (``self.camera.frame.animate``) to go where the idea is: into a picture, out to a whole map."""

    # Seconds the last picture stays on screen after the last words, before the chapter cuts.
    closing_hold = 1.0

    @classmethod
    def chapter(cls) -> Chapter:
        """What the chapter's narration file says of it (the file beside the class's own)."""
        source = Path(inspect.getfile(cls))
        chapter = read_chapter(source.with_name(source.stem + ".narration.toml"))
        if chapter.scene != cls.__name__:
            raise NarrationError(f"{chapter.narration}: [chapter] scene = {chapter.scene!r}, but {source.name} "
                                 f"renders {cls.__name__}: make them agree")
        return chapter

    def setup(self) -> None:
        super().setup()
        self.camera.background_color = BACKGROUND
        # manim advances its clock by whole frames for an animation it renders but by the exact
        # run time for one it takes from its cache, so a partly cached render would place the
        # voice (added at the clock's time) out of step with the pictures. Render every frame.
        config.disable_caching = True
        # Each chapter keeps its own cache of rendered words: manim writes a Text's SVG there whole-file-unaware, and
        # `make video` renders chapters side by side, so two chapters drawing the same words at once could read each
        # other's half-written file.
        config.text_dir = str(Path(config.media_dir) / "texts" / type(self).__name__)
        text_cache.install()  # each label's parsed outlines are kept beside its SVG, and read back next render
        self.set_speech_service(service_from_env(), create_subcaption=False)
        self.spoken: list[SpokenBlock] = []
        # Where each block's animations end (the scene's clock when its `narrate` closes).
        self.block_ends: dict[str, float] = {}
        self._block_name: str | None = None
        try:
            self.about = self.chapter()
            self.title = self.about.title
            self.captures = {name: self._read(name) for name in self.about.reads}
            self.capture = self.captures[self.about.capture]
            self.facts, self.arrays = self.capture.facts, self.capture.arrays
            self.narration: Narration = load_narration(self.about.narration)
            self.narration_text = self.narration.filled(narration_facts(self.captures, self.about.capture),
                                                        narration_flags(self.captures, self.about.capture))
        except (CaptureError, NarrationError) as error:
            # what the chapter reads before it draws anything: one line and exit 2, not the renderer's boxed traceback
            sys.stderr.write(f"error: {type(self).__name__}: {error}\n")
            raise SystemExit(2) from None

    def _read(self, name: str) -> Capture:
        capture = read_capture(captures_root(), name=name)
        return dataclasses.replace(capture, arrays=_Arrays(capture), facts=visible_facts(capture.facts))

    def read_capture(self, name: str) -> Capture:
        """A capture the chapter declares (already read); any other is refused, since the Makefile re-renders
        a chapter only when a capture its ``[chapter]`` table names changes."""
        if name not in self.captures:
            raise NarrationError(f"{self.about.module} reads the {name} capture, which {self.about.narration.name} "
                                 f"does not name (reads = {list(self.about.reads)}): add it there")
        return self.captures[name]

    def construct(self) -> None:
        self.tell()
        self.finish()

    def tell(self) -> None:
        """The chapter's animations, block by block (each chapter writes its own)."""
        raise NotImplementedError(f"{type(self).__name__} must define tell()")

    @contextmanager
    def narrate(self, block: str) -> Iterator[VoiceoverTracker]:
        """Speak one named block of the narration while the body animates; waits for the voice to finish."""
        if block not in self.narration_text:
            raise NarrationError(f"{self.narration.path}: has no block {block!r}")
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

    def time_to_next_words(self) -> float:
        """Seconds from now to the narration's next bookmark in the block being spoken, or to the end of its voice."""
        tracker = self.current_tracker
        now = float(self.renderer.time)
        if tracker is None:
            return 0.0
        # a bookmark just reached lies up to a frame ahead of the clock (waits end on whole frames): not the next one
        ahead = [t for t in getattr(tracker, "bookmark_times", {}).values() if t > now + 1.5 / config.frame_rate]
        return max((min(ahead) if ahead else tracker.end_t) - now, 0.0)

    def play_along(self, *animations, least: float = 0.8, most: float = 5.0, leave: float = 0.5, **kwargs) -> float:
        """Play ``animations`` at the pace of the words: they last until ``leave`` seconds before the narration's next
        bookmark (or the end of the block's voice), at least ``least`` and at most ``most`` seconds. The picture then
        moves while the sentence about it is spoken, instead of moving for a moment and holding still. Returns the
        run time played."""
        run_time = self.time_along(least, most, leave)
        self.play(*animations, run_time=run_time, **kwargs)
        return run_time

    def time_along(self, least: float = 0.8, most: float = 5.0, leave: float = 0.5) -> float:
        """The run time ``play_along`` gives: until ``leave`` seconds before the next words, within [least, most]."""
        return min(max(self.time_to_next_words() - leave, least), most)

    @staticmethod
    def width_to_show(target, room: float = 0.8) -> float:
        """The camera frame's width that shows all of ``target`` with ``room`` around it (at most the whole screen)."""
        width = max(target.width, target.height * config.frame_width / config.frame_height) + 2 * room
        return min(width, config.frame_width)

    def look_at(self, target, width: float | None = None):
        """The camera going to ``target`` (a mobject or a point), its frame ``width`` units wide (by default, just
        wide enough to show all of it): an animation to play (``self.play_along(self.look_at(picture, 4.0))``)."""
        return self.camera.frame.animate.set(width=self.width_to_show(target) if width is None else width).move_to(
            target)

    def camera_home(self):
        """The camera coming back to the whole screen: play it before laying out the next part, whose places are in
        the home frame's units."""
        return self.look_at(ORIGIN, config.frame_width)

    def finish(self) -> None:
        """Hold the last picture for ``closing_hold`` seconds: the chapter's end."""
        self.wait(self.closing_hold)

    def cues(self) -> list[Cue]:
        return [cue for block in self.spoken for cue in block_cues(block.start, block.segments)]

    def tear_down(self) -> None:
        super().tear_down()
        if getattr(self, "narration", None) is not None:
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
        return write_whole(path, json.dumps(data, indent=1) + "\n")
