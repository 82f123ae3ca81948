"""Chapter "Opening": a prompt is typed, a picture comes out of noise, and the film lists the questions it will answer, each with its picture.

It reads the walk capture (``python -m pipeline capture walk``): its prompt, typed letter by
letter, and its walk from noise to the final picture; every number it says or shows is one of
that capture's facts. Each question brings up its picture from the capture that answers it later
in the film: the jump (walks of different lengths), the seeds (one prompt, many seeds), the map
(where the pictures lie), the blend (the path between two prompts, whose ends the question names),
the words (the prompt one word at a time), the walk itself (its pixels) and the exploration (the
pictures around a starting point).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Blink,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    LaggedStart,
    Line,
    Rectangle,
    TypeWithCursor,
    ValueTracker,
    VGroup,
    Write,
    linear,
)

from pipeline.contract import Capture, CaptureError, Fact
from scenes import style
from scenes.narration import NarratedScene
from scenes.pictures import Frame, PixelPicture, Reel, ValueStrip, noisy_frame, value_limit
from scenes.words import PromptBox, StepCounter, prompt_words, words, words_on_baseline


def _grid_of(pictures, side: float, columns: int, gap: float = 0.12, row_gap: float | None = None) -> Group:
    """Pictures in rows of ``columns``, each in a frame, centred on the origin: ``.cells`` holds (picture, frame);
    ``row_gap`` (``gap`` unless given) leaves room for a label under each row."""
    cells = []
    for pixels in pictures:
        picture = PixelPicture(pixels, height=side)
        cells.append(Group(picture, Frame(picture)))
    rows = -(-len(cells) // columns)
    pitch, down = side + gap, side + (gap if row_gap is None else row_gap)
    for index, cell in enumerate(cells):
        row, column = divmod(index, columns)
        cell.move_to(np.array([(column - (columns - 1) / 2) * pitch, ((rows - 1) / 2 - row) * down, 0.0]))
    grid = Group(*cells)
    grid.cells = cells
    return grid


class Opening(NarratedScene):
    """A typed prompt, the picture the model walks to from noise, its steps, and the film's questions as a list, each
    with its picture from the captures."""

    # The questions, in the order the narration asks them; each appears on its bookmark. {end_a} and {end_b} are
    # the blend capture's two prompts.
    questions = (
        ("q_jump", "Why walk there step by step, instead of jumping?"),
        ("q_seed", "When does the random seed matter?"),
        ("q_space", "Does the prompt's vector live among the pictures?"),
        ("q_blend", "What lies between {end_a} and {end_b}?"),
        ("q_words", "What does each word of the prompt add?"),
        ("q_pixels", "What does the walk look like, pixel by pixel?"),
        ("q_explore", "What lies around a starting point?"),
    )
    prompt_width = 7.6
    prompt_center = np.array([0.0, 2.75, 0.0])
    picture_height = 4.6  # the picture's first appearance, large
    picture_center = np.array([0.0, -0.75, 0.0])
    walk_seconds = 2.6  # noise to picture, quickly: the film slows down later
    pixels_width = 5.2  # the camera's frame in the picture's pixels
    strip_width = 12.8  # every step of the walk, in rows
    strip_y = -0.55
    # The questions on the left, each one's picture on the right.
    list_left = -6.55
    list_width = 6.0  # the widest a question may be
    list_top = 2.0  # the first question's baseline; the rest follow down
    list_spacing = 0.7
    show_center = np.array([3.5, -0.45, 0.0])
    show_size = (6.4, 5.2)

    def _read(self, name: str) -> Capture:
        capture = super()._read(name)
        if name == "walk" and "square_pictures" not in capture.facts:  # a capture made before the walk recorded it
            high, wide = capture.arrays["final_picture"].shape[:2]
            square = Fact(bool(high == wide), "", "the pictures are as wide as they are high")
            capture = dataclasses.replace(capture, facts={**capture.facts, "square_pictures": square})
        return capture

    def tell(self) -> None:
        # The walk's recorded states, noise first; the final picture is the last step's output.
        states = np.concatenate([self.arrays["trajectory_pictures"][:-1], self.arrays["final_picture"][None]])
        film = Reel(states, np.arange(len(states)))

        # --- a prompt is typed; enter, and the noise comes
        prompt = PromptBox(str(self.facts["prompt"].value), width=self.prompt_width).move_to(self.prompt_center)
        picture = PixelPicture(film.frame_at(0), height=self.picture_height).move_to(self.picture_center)
        frame = noisy_frame(picture)
        with self.narrate("prompt") as tracker:
            self.play(Create(prompt.box), FadeIn(prompt.cursor), run_time=0.8)
            self.wait_until_bookmark("type")
            typing = max(min(tracker.time_until_bookmark("enter") - 0.1, 3.0), 0.8)
            self.play(TypeWithCursor(prompt.text, prompt.cursor, time_per_char=typing / len(prompt.text)),
                      run_time=typing)
            self.wait_until_bookmark("enter")
            self.play(Blink(prompt.cursor, time_on=0.2, time_off=0.2, hide_at_end=True),
                      prompt.box.animate.set_color(style.MODEL), run_time=0.4)
            # the model starts from a cloud of noise
            self.play_along(FadeIn(picture, scale=0.85), Create(frame), least=0.8, most=2.5, leave=0.0)

        # --- the picture comes out of noise
        high, wide = film.frames.shape[1:3]  # the picture's own shape, as the capture holds it
        size = words(f"{high} \u00d7 {wide} pixels",
                     size=style.SMALL_SIZE, color=style.MUTED).next_to(frame, DOWN, buff=0.2)
        position = ValueTracker(0.0)
        picture.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
        # every pixel's edge, drawn over the picture when the narration says how few there are
        grid = self.pixel_edges(picture, high, wide)
        with self.narrate("picture") as tracker:
            self.wait_until_bookmark("picture")
            # the walk from noise plays while the narration says what made it, and ends before the size is said
            walk_time = max(self.walk_seconds, tracker.time_until_bookmark("size") - 0.6)
            self.play(position.animate.set_value(film.last), run_time=walk_time, rate_func=linear)
            self.play(frame.animate.set_color(style.SIGNAL), prompt.box.animate.set_color(style.MUTED), run_time=0.5)
            self.wait_until_bookmark("size")
            self.play(FadeIn(size, shift=0.15 * UP), Create(grid, lag_ratio=0.02), run_time=1.0)
            # "so that we can watch every pixel as it is made": the camera goes into the pixels, and the walk plays
            # again there
            corner = picture.get_corner(UP + LEFT) + np.array([0.3 * picture.width, -0.35 * picture.height, 0.0])
            self.play(self.look_at(corner, self.pixels_width), run_time=0.9)
            position.set_value(0.0)
            self.play_along(position.animate.set_value(film.last), rate_func=linear, least=2.0, most=5.0, leave=0.9)
            picture.clear_updaters()
            self.play(self.camera_home(), run_time=0.8)

        # --- what happened in between? every step of the walk, from the noise to the picture
        title = words(self.title, size=style.HEADING_SIZE).to_edge(UP, buff=0.45)
        strip = self.step_strip(states)
        first_label = words("noise", size=style.SMALL_SIZE, color=style.NOISY).next_to(strip.cells[0], DOWN, 0.12)
        last_label = words(f"step {len(states) - 1}", size=style.SMALL_SIZE, color=style.SIGNAL)
        last_label.next_to(strip.cells[-1], DOWN, 0.12)
        with self.narrate("between"):
            last_picture, last_frame = strip.cells[-1]
            self.play(FadeOut(size), FadeOut(grid), FadeOut(prompt.box), run_time=0.5)
            self.play(picture.animate.fit_in(last_picture.height).move_to(last_picture),
                      frame.animate.become(last_frame.copy().set_color(style.SIGNAL)),
                      prompt.text.animate.scale(0.8).next_to(strip, UP, buff=0.45),
                      run_time=1.0)
            self.play_along(LaggedStart(*(FadeIn(cell, shift=0.2 * RIGHT) for cell in strip.cells[:-1]),
                                        lag_ratio=0.12), FadeIn(first_label), FadeIn(last_label),
                            least=1.2, most=3.5, leave=0.2)
            self.wait_until_bookmark("between")
            self.play(Write(title), run_time=1.0)
            # "it answers a few questions on the way": the steps make room for them
            self.play_along(FadeOut(Group(*strip.cells[:-1], first_label, last_label, prompt.text), shift=0.3 * DOWN),
                            Group(picture, frame).animate.scale(0.0001).move_to(self.show_center),
                            least=1.0, most=4.0, leave=0.1)
            self.remove(picture, frame)

        # --- the questions, one per bookmark, each with its picture
        markers, lines = self.question_list()
        shown = None
        with self.narrate("questions"):
            for index, ((mark, _), marker, line) in enumerate(zip(self.questions, markers, lines)):
                self.wait_until_bookmark(mark)
                entering = self.question_picture(mark)
                going = [FadeOut(shown, shift=0.4 * LEFT)] if shown is not None else []
                earlier = [lines[index - 1].animate.set_color(style.INK)] if index else []
                self.play(*going, *earlier, FadeIn(marker, scale=0.5), FadeIn(line, shift=0.15 * RIGHT),
                          FadeIn(entering.first, shift=0.3 * LEFT), run_time=0.6)
                if entering.along:
                    self.play_along(*entering.along, least=0.8, most=4.5, leave=0.15)
                entering.done()
                shown = entering.still
            self.play(lines[-1].animate.set_color(style.INK), run_time=0.3)

        # --- recorded, measured, and off we go: the prompt again
        recorded = words("every picture recorded, every number measured", size=style.LABEL_SIZE, color=style.MODEL)
        if recorded.width > self.list_width:
            recorded.width = self.list_width
        recorded.next_to(VGroup(markers, lines), DOWN, buff=0.55).align_to(markers, LEFT)
        wall = self.recorded_wall()
        again = PromptBox(str(self.facts["prompt"].value), width=self.prompt_width).move_to(ORIGIN)
        again.box.set_color(style.MODEL)
        with self.narrate("begin"):
            self.wait_until_bookmark("recorded")
            self.play(FadeOut(shown, shift=0.4 * LEFT), FadeIn(recorded, shift=0.15 * UP), run_time=0.6)
            self.play_along(LaggedStart(*(FadeIn(cell, scale=0.6) for cell in wall.cells), lag_ratio=0.05),
                            least=1.0, most=4.0, leave=0.2)
            self.wait_until_bookmark("prompt")
            self.play(FadeOut(Group(markers, lines, recorded, wall, title)), run_time=0.6)
            self.play_along(Create(again.box), Write(again.text), least=0.8, most=3.0, leave=0.0)

    # --- pieces of the chapter

    @staticmethod
    def pixel_edges(picture: PixelPicture, high: int, wide: int) -> VGroup:
        """Every pixel's edge over the picture, as thin lines in the background's colour."""
        cell_width, cell_height = picture.width / wide, picture.height / high
        corner = picture.get_corner(UP + LEFT)
        grid = VGroup(*(Line(corner + np.array([0.0, -i * cell_height, 0.0]),
                             corner + np.array([picture.width, -i * cell_height, 0.0])) for i in range(1, high)),
                      *(Line(corner + np.array([i * cell_width, 0.0, 0.0]),
                             corner + np.array([i * cell_width, -picture.height, 0.0])) for i in range(1, wide)))
        grid.set_stroke(color=style.BACKGROUND, width=1.0, opacity=0.55)
        return grid

    def step_strip(self, states: np.ndarray) -> Group:
        """Every state of the walk, noise first, in as few rows as keep them readable."""
        count = len(states)
        rows = 1 if count <= 9 else (2 if count <= 30 else 3)
        columns = -(-count // rows)
        gap = 0.1
        side = min(1.6, (self.strip_width - gap * (columns - 1)) / columns)
        strip = _grid_of(states, side, columns, gap=gap)
        for cell in strip.cells[:1]:
            cell[1].set_color(style.NOISY)
        strip.move_to(np.array([0.0, self.strip_y, 0.0]))
        return strip

    def question_picture(self, mark: str):
        """The picture a question brings up, from the capture that answers it: ``still`` (what arrives), ``along``
        (what moves while the question is asked) and ``done`` (called when it has moved)."""
        try:
            made = getattr(self, f"show_{mark[2:]}")()
        except (CaptureError, KeyError, IndexError, ValueError):  # a capture too small or too old for its picture:
            # the walk's picture instead
            made = None
        if made is None:
            final = PixelPicture(self.arrays["final_picture"], height=min(self.show_size) - 1.0)
            made = _Shown(Group(final, Frame(final)).move_to(self.show_center))
        return made

    def fit(self, group: Group) -> Group:
        """A question's picture, shrunk to the space on the right if it is larger, and centred there."""
        width, height = self.show_size
        if group.width > width or group.height > height:
            group.scale(min(width / group.width, height / group.height))
        return group.move_to(self.show_center)

    def show_jump(self):
        """Walks of different lengths from one seed, from a single jump to the longest walk."""
        jump = self.captures["jump"].arrays
        ladder, steps = jump["ladder_finals"][:, 0], [int(s) for s in jump["ladder_steps"]]
        columns = -(-len(ladder) // 2) if len(ladder) > 3 else len(ladder)
        grid = _grid_of(ladder, 1.75, columns, gap=0.3, row_gap=0.6)
        labels = VGroup(*(words(f"{s} step{'' if s == 1 else 's'}", size=style.SMALL_SIZE,
                                color=style.HIGHLIGHT if i == 0 else style.MUTED).next_to(cell, DOWN, 0.1)
                          for i, (s, cell) in enumerate(zip(steps, grid.cells))))
        whole = self.fit(Group(grid, labels))
        first = Group(grid.cells[0], labels[0])
        rest = [Group(cell, label) for cell, label in zip(grid.cells[1:], labels[1:])]
        return _Shown(whole, first, [LaggedStart(*(FadeIn(r, shift=0.2 * RIGHT) for r in rest), lag_ratio=0.35)]
                      if rest else [])

    def show_seed(self):
        """One prompt's pictures from different seeds."""
        finals = self.captures["seeds"].arrays["finals"][:8]
        if not len(finals):
            return None
        grid = self.fit(_grid_of(finals, 1.5, min(4, len(finals)), gap=0.15))
        return _Shown(grid, grid.cells[0], [LaggedStart(*(FadeIn(c, scale=0.7) for c in grid.cells[1:]),
                                                        lag_ratio=0.3)] if len(grid.cells) > 1 else [])

    def show_space(self):
        """The seeds' pictures where the map places them, and the prompt's vector, which is not a picture, beside."""
        finals = self.captures["seeds"].arrays["finals"]
        xy = np.asarray(self.captures["map"].arrays["seeds_final_xy"], dtype=float)[: len(finals)]
        if not len(xy):
            return None
        width, height = self.show_size
        box = Rectangle(width=width - 1.6, height=height - 0.6, color=style.FAINT, stroke_width=style.FRAME_STROKE)
        side = 0.55
        span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-9)
        inner = np.array([box.width - side - 0.3, box.height - side - 0.3])
        spots = (xy - xy.min(axis=0)) / span * inner - inner / 2
        pictures = [PixelPicture(p, height=side).move_to(np.array([x, y, 0.0])) for p, (x, y) in zip(finals, spots)]
        vector = np.asarray(self.arrays["pooled"], dtype=float)
        fold = next((f for f in (12, 8, 6, 4, 3, 2) if vector.size % f == 0), 1)
        strip = ValueStrip(vector, value_limit(vector), width=0.9, height=box.height - 0.8, fold=fold)
        strip.next_to(box, LEFT, buff=0.35)
        ask = words("?", size=style.TITLE_SIZE, color=style.HIGHLIGHT).next_to(strip, RIGHT, buff=0.25)
        whole = self.fit(Group(box, *pictures, strip, ask))
        return _Shown(whole, Group(box, strip), [LaggedStart(*(FadeIn(p, scale=0.5) for p in pictures), lag_ratio=0.06),
                                                 FadeIn(ask, scale=0.5)])

    def show_blend(self):
        """The path between the two prompts: its ends, and the picture along it, walked from one end to the other."""
        blend = self.captures["blend"]
        path = blend.arrays["lerp_finals"]
        if not len(path):
            return None
        ends = [PixelPicture(p, height=1.6) for p in (path[0], path[-1])]
        middle = PixelPicture(path[0], height=2.8)
        Group(ends[0], middle, ends[1]).arrange(RIGHT, buff=0.45)
        frames = [Frame(p) for p in (ends[0], middle, ends[1])]
        frames[1].set_color(style.HIGHLIGHT)
        names = VGroup(*(prompt_words(str(blend.facts[k].value))
                         .next_to(f, DOWN, 0.15) for k, f in (("end_a", frames[0]), ("end_b", frames[2]))))
        for name, f in zip(names, (frames[0], frames[2])):
            if name.width > f.width + 0.4:
                name.width = f.width + 0.4
        whole = self.fit(Group(*ends, middle, *frames, names))
        along = Reel(path, np.arange(len(path)))
        walked = ValueTracker(0.0)
        middle.add_updater(lambda m: m.show(along.frame_at(walked.get_value())))
        return _Shown(whole, None, [walked.animate(rate_func=linear).set_value(along.last)],
                      done=middle.clear_updaters)

    def show_words(self):
        """The prompt's picture as its words arrive one at a time, each under the word it added."""
        found = self.captures["words"].arrays
        finals, prompts = found["growth_finals"], [str(p) for p in found["growth_prompts"]]
        if not len(finals):
            return None
        grid = _grid_of(finals, 1.6, -(-len(finals) // 2) if len(finals) > 3 else len(finals), gap=0.3, row_gap=0.6)
        added = ["no words"] + [f"+ {p.split()[-1]}" if p.split() else "" for p in prompts[1:]]
        labels = VGroup(*(words(a, size=style.SMALL_SIZE, color=style.MUTED).next_to(c, DOWN, 0.1)
                          for a, c in zip(added, grid.cells)))
        whole = self.fit(Group(grid, labels))
        cells = [Group(c, label) for c, label in zip(grid.cells, labels)]
        return _Shown(whole, cells[0], [LaggedStart(*(FadeIn(c, shift=0.2 * RIGHT) for c in cells[1:]),
                                                    lag_ratio=0.35)] if len(cells) > 1 else [])

    def show_pixels(self):
        """The walk, pixel by pixel: the whole picture small, and a few of its pixels large, both walking."""
        states = np.concatenate([self.arrays["trajectory_pictures"][:-1], self.arrays["final_picture"][None]])
        high, wide = states.shape[1:3]
        side = max(4, min(high, wide) // 4)
        top, left = (high - side) // 2, (wide - side) // 2
        crops = states[:, top:top + side, left:left + side]
        whole_picture = PixelPicture(states[0], height=2.0)
        close = PixelPicture(crops[0], height=3.9)
        Group(whole_picture, close).arrange(RIGHT, buff=0.7, aligned_edge=DOWN)
        frames = [Frame(whole_picture), Frame(close, color=style.HIGHLIGHT)]
        mark = Rectangle(width=whole_picture.width * side / wide, height=whole_picture.height * side / high,
                         color=style.HIGHLIGHT, stroke_width=style.MARK_STROKE)
        mark.move_to(whole_picture.get_corner(UP + LEFT) + np.array(
            [whole_picture.width * (left + side / 2) / wide, -whole_picture.height * (top + side / 2) / high, 0.0]))
        edges = self.pixel_edges(close, side, side) if side <= 32 else VGroup()  # a large crop: too many to draw
        label = words(f"{side} \u00d7 {side} of its pixels", size=style.SMALL_SIZE, color=style.MUTED)
        label.next_to(frames[1], DOWN, 0.15)
        counter = StepCounter(0).next_to(frames[0], UP, 0.2).align_to(frames[0], LEFT)
        whole = self.fit(Group(whole_picture, close, *frames, mark, edges, label, counter))
        walk = Reel(states, np.arange(len(states)))
        crop_walk = Reel(crops, np.arange(len(crops)))
        walked = ValueTracker(0.0)
        whole_picture.add_updater(lambda m: m.show(walk.frame_at(walked.get_value())))
        close.add_updater(lambda m: m.show(crop_walk.frame_at(walked.get_value())))
        counter.add_updater(lambda m: m.set_value(round(walked.get_value())))

        def done():
            for m in (whole_picture, close, counter):
                m.clear_updaters()

        return _Shown(whole, None, [walked.animate(rate_func=linear).set_value(walk.last)], done=done)

    def show_explore(self):
        """The pictures around a starting point: the walks from noises mixed of a few seeds', nearest first."""
        grid_finals = self.captures["explore"].arrays["grid_finals"]
        if grid_finals.ndim != 5 or not grid_finals.size:
            return None
        size = grid_finals.shape[0]
        grid = self.fit(_grid_of(grid_finals.reshape(-1, *grid_finals.shape[2:]), 1.2, grid_finals.shape[1],
                                 gap=0.12))
        order = sorted(range(len(grid.cells)), key=lambda i: (i // grid_finals.shape[1]) + (i % grid_finals.shape[1]))
        start = grid.cells[order[0]]
        start[1].set_color(style.HIGHLIGHT)
        rest = [grid.cells[i] for i in order[1:]]
        return _Shown(grid, start, [LaggedStart(*(FadeIn(c, scale=0.6) for c in rest),
                                                lag_ratio=0.5 / max(size, 1))] if rest else [])

    def recorded_wall(self) -> Group:
        """A wall of the pictures the film will show, from every capture the chapter reads."""
        none = np.zeros((0,), dtype=np.uint8)
        parts = [self.captures[name].arrays.get(key, none)[:many] for name, key, many in (
            ("seeds", "finals", 10), ("jump", "first_guesses", 5), ("blend", "lerp_finals", 12),
            ("words", "growth_finals", 8), ("explore", "loop_finals", 6))]
        parts.append(self.arrays.get("predicted_clean_pictures", none)[::4])
        shape = self.arrays["final_picture"].shape
        pictures = [p for part in parts for p in np.asarray(part) if np.shape(p) == shape][:48]
        if not pictures:
            pictures = [self.arrays["final_picture"]]
        width, height = self.show_size
        columns = max(1, min(len(pictures), int(np.ceil(np.sqrt(len(pictures) * width / height)))))
        rows = -(-len(pictures) // columns)
        side = min((width - 0.08 * (columns - 1)) / columns, (height - 0.08 * (rows - 1)) / rows)
        return _grid_of(pictures, side, columns, gap=0.08).move_to(self.show_center)

    def question_list(self) -> tuple[VGroup, VGroup]:
        """The questions left-aligned on evenly spaced baselines, each after a small dot; the newest in the
        highlight's colour."""
        blend = self.captures["blend"].facts
        ends = {"end_a": str(blend["end_a"].value), "end_b": str(blend["end_b"].value)}
        # one pass, not format: a prompt's own braces are its words
        set_lines = [words_on_baseline(re.sub(r"\{(end_a|end_b)\}", lambda m: ends[m.group(1)], text),
                                       size=style.LABEL_SIZE, color=style.HIGHLIGHT) for _, text in self.questions]
        # A dot sits at the middle of the small letters, whatever the line's capitals or descenders.
        middle_of_x = words("x", size=style.LABEL_SIZE).height / 2
        lines, markers = VGroup(), VGroup()
        # one size for every question: the one at which the longest fits
        scale = min(1.0, *(self.list_width / line.width for line, _ in set_lines))
        for index, (line, drop) in enumerate(set_lines):
            baseline = self.list_top - index * self.list_spacing
            line.scale(scale)
            drop *= scale
            line.align_to(np.array([self.list_left + 0.3, 0.0, 0.0]), LEFT)
            line.shift((baseline - drop - line.get_bottom()[1]) * UP)
            lines.add(line)
            markers.add(Dot(radius=0.07, color=style.HIGHLIGHT).move_to(
                np.array([self.list_left, baseline + middle_of_x * scale, 0.0])))
        return markers, lines


class _Shown:
    """A question's picture: ``still`` is all of it (what leaves with the next question), ``first`` the part that
    arrives with the question (all of it when None), ``along`` what plays while it is asked, ``done`` what ends it."""

    def __init__(self, still: Group, first=None, along=(), done=None) -> None:
        self.still, self.along, self._done = still, list(along), done
        self.first = still if first is None else first

    def done(self) -> None:
        if self._done is not None:
            self._done()
