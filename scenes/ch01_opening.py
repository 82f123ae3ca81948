"""Chapter "Opening": a prompt is typed, a picture comes out of noise, and the film lists the questions it will answer.

It reads the walk capture (``python -m pipeline capture walk``): its prompt, typed letter by
letter, and its walk from noise to the final picture, played quickly; every number it says or
shows is one of that capture's facts. The blend question names the blend capture's two prompts.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Blink,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    Indicate,
    Line,
    TypeWithCursor,
    ValueTracker,
    VGroup,
    Write,
    linear,
)

from pipeline.contract import Capture, Fact
from scenes import style
from scenes.narration import NarratedScene
from scenes.pictures import Film, Frame, PixelPicture, fitted_size
from scenes.words import PromptBox, words, words_on_baseline


class Opening(NarratedScene):
    """A typed prompt, the picture the model walks to from noise, and the film's questions as a list."""

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
    list_width = 8.6  # the widest a question may be, left of the frame's edge
    prompt_width = 7.6
    prompt_center = np.array([0.0, 2.75, 0.0])
    picture_height = 4.6  # the picture's first appearance, large
    picture_center = np.array([0.0, -0.75, 0.0])
    walk_seconds = 2.6  # noise to picture, quickly: the film slows down later
    # Beside the question list: the prompt and its picture, smaller, on the left.
    side_picture_height = 3.3
    side_center = np.array([-4.6, -0.5, 0.0])
    list_left = -2.0
    list_top = 1.75  # the first question's baseline; the rest follow down
    list_spacing = 0.66

    def _read(self, name: str) -> Capture:
        capture = super()._read(name)
        if name == "walk" and "square_pictures" not in capture.facts:  # a capture made before the walk recorded it
            high, wide = capture.arrays["final_picture"].shape[:2]
            square = Fact(bool(high == wide), "", "the pictures are as wide as they are high")
            capture = dataclasses.replace(capture, facts={**capture.facts, "square_pictures": square})
        return capture

    def tell(self) -> None:
        # The walk's recorded states, noise first; the final picture is the last step's output.
        film = Film(np.concatenate([self.arrays["trajectory_pictures"][:-1], self.arrays["final_picture"][None]]),
                    np.arange(len(self.arrays["trajectory_pictures"])))

        # --- a prompt is typed
        prompt = PromptBox(str(self.facts["prompt"].value), width=self.prompt_width).move_to(self.prompt_center)
        with self.narrate("prompt") as tracker:
            self.play(Create(prompt.box), FadeIn(prompt.cursor), run_time=0.8)
            self.wait_until_bookmark("type")
            typing = max(min(tracker.time_until_bookmark("enter"), 2.5), 0.8)
            self.play(TypeWithCursor(prompt.text, prompt.cursor, time_per_char=typing / len(prompt.text)),
                      run_time=typing)
            self.wait_until_bookmark("enter")
            self.play(Blink(prompt.cursor, time_on=0.2, time_off=0.2, hide_at_end=True), run_time=0.4)
            self.play(prompt.box.animate.set_color(style.MODEL), run_time=0.3)

        # --- the picture comes out of noise
        picture = PixelPicture(film.frame_at(0), height=self.picture_height).move_to(self.picture_center)
        frame = Frame(picture)
        high, wide = film.frames.shape[1:3]  # the picture's own shape, as the capture holds it
        size = words(f"{high} \u00d7 {wide} pixels",
                     size=style.SMALL_SIZE, color=style.MUTED).next_to(frame, DOWN, buff=0.2)
        position = ValueTracker(0.0)
        picture.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
        # every pixel's edge, drawn over the picture when the narration says how few there are
        cell_width, cell_height = picture.width / wide, picture.height / high
        corner = picture.get_corner(UP + LEFT)
        grid = VGroup(*(Line(corner + np.array([0.0, -i * cell_height, 0.0]),
                             corner + np.array([picture.width, -i * cell_height, 0.0])) for i in range(1, high)),
                      *(Line(corner + np.array([i * cell_width, 0.0, 0.0]),
                             corner + np.array([i * cell_width, -picture.height, 0.0])) for i in range(1, wide)))
        grid.set_stroke(color=style.BACKGROUND, width=1.0, opacity=0.55)
        with self.narrate("picture") as tracker:
            self.wait_until_bookmark("picture")
            self.play(FadeIn(picture), Create(frame), run_time=0.6)
            # the walk from noise plays while the narration says what made it, and ends before the size is said
            walk_time = max(self.walk_seconds, tracker.time_until_bookmark("size") - 0.6)
            self.play(position.animate.set_value(film.last), run_time=walk_time, rate_func=linear)
            picture.clear_updaters()
            self.play(frame.animate.set_color(style.SIGNAL), prompt.box.animate.set_color(style.MUTED), run_time=0.5)
            self.wait_until_bookmark("size")
            self.play(FadeIn(size, shift=0.15 * UP), Create(grid, lag_ratio=0.02), run_time=1.2)

        # --- what happened in between?
        title = words(self.title, size=style.HEADING_SIZE).to_edge(UP, buff=0.45)
        side_picture = Group(picture, frame)
        with self.narrate("between"):
            self.play(FadeOut(size), FadeOut(grid), prompt.box.animate.set_opacity(0), run_time=0.5)
            self.play(side_picture.animate.set(height=fitted_size(picture.pixel_array.shape, self.side_picture_height)[1] + 0.08).move_to(self.side_center),
                      prompt.text.animate.scale(0.7).next_to(self.side_center + self.side_picture_height / 2 * UP,
                                                               UP, buff=0.3),
                      run_time=1.2)
            self.remove(prompt.box)
            self.wait_until_bookmark("between")
            self.play(Write(title), run_time=1.2)

        # --- the questions, one per bookmark
        markers, lines = self.question_list()
        with self.narrate("questions"):
            for (mark, _), marker, line in zip(self.questions, markers, lines):
                self.wait_until_bookmark(mark)
                self.play(FadeIn(marker, scale=0.5), FadeIn(line, shift=0.15 * RIGHT), run_time=0.6)

        # --- recorded, measured, and off we go
        recorded = words("every picture recorded, every number measured", size=style.LABEL_SIZE, color=style.MODEL)
        recorded.next_to(VGroup(markers, lines), DOWN, buff=0.55).align_to(lines, LEFT)
        with self.narrate("begin"):
            self.wait_until_bookmark("recorded")
            self.play(FadeIn(recorded, shift=0.15 * UP), run_time=0.8)
            self.wait_until_bookmark("prompt")
            self.play(Indicate(prompt.text, color=style.HIGHLIGHT, scale_factor=1.15), run_time=1.2)

    # --- pieces of the chapter

    def question_list(self) -> tuple[VGroup, VGroup]:
        """The questions left-aligned on evenly spaced baselines, each after a small dot."""
        blend = self.captures["blend"].facts
        ends = {"end_a": str(blend["end_a"].value), "end_b": str(blend["end_b"].value)}
        # one pass, not format: a prompt's own braces are its words
        set_lines = [words_on_baseline(re.sub(r"\{(end_a|end_b)\}", lambda m: ends[m.group(1)], text),
                                       size=style.LABEL_SIZE) for _, text in self.questions]
        # A dot sits at the middle of the small letters, whatever the line's capitals or descenders.
        middle_of_x = words("x", size=style.LABEL_SIZE).height / 2
        lines, markers = VGroup(), VGroup()
        for index, (line, drop) in enumerate(set_lines):
            baseline = self.list_top - index * self.list_spacing
            if line.width > self.list_width:  # long prompts: the question shrinks to fit, on its own baseline
                scale = self.list_width / line.width
                line.scale(scale)
                drop *= scale
            line.align_to(np.array([self.list_left, 0.0, 0.0]), LEFT)
            line.shift((baseline - drop - line.get_bottom()[1]) * UP)
            lines.add(line)
            markers.add(Dot(radius=0.07, color=style.HIGHLIGHT).move_to(
                np.array([self.list_left - 0.3, baseline + middle_of_x, 0.0])))
        return markers, lines
