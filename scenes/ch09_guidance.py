"""Chapter "Guidance": the guess with the prompt, the guess without it, the difference between them at every step, and what turning the guidance up does to the finished picture.

It reads the guidance capture (``python -m pipeline capture guidance``): at one scale, the
model's two guesses of the final picture at every step and their difference; and the
finished picture of the same prompt and seed at several guidance scales, with how colourful
each is and what the independent judge sees in it. Every number it says or shows is one of
that capture's facts or arrays.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    Indicate,
    LaggedStart,
    SurroundingRectangle,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PictureRow, PixelPicture, Reel, guess_frame
from scenes.words import ChapterTitle, LiveText, ReadsTheJudge, StepCounter, judge_words, prompt_words, words


def scale_text(scale: float) -> str:
    """A guidance scale as the screen shows it: 0, 1, 7.5."""
    return f"{float(scale):g}"


class Guidance(ReadsTheJudge, NarratedScene):
    """Two guesses per step, their difference, and the finished picture as the guidance is turned up."""

    picture_height = 2.7  # the three pictures of the sum: with, without, the difference
    sum_spacing = 4.5
    sum_y = 0.55
    guided_height = 1.45
    walk_seconds = 6.0  # the three guesses played through the whole walk
    opening_height = 3.6  # the walk's guess, step by step, at the start
    row_height = 1.9  # the finished pictures at each scale, in a table with a column of headings
    row_y = 0.7
    row_width = 10.6
    heading_room = 2.5
    line_spacing = 0.6  # between the table's lines under the pictures

    def tell(self) -> None:
        steps = np.arange(1, len(self.arrays["direction_size"]) + 1)
        films = {name: Reel(self.arrays[key], steps) for name, key in (
            ("with", "conditional_clean_pictures"), ("without", "unconditional_clean_pictures"),
            ("difference", "guidance_direction_pictures"), ("guided", "guided_clean_pictures"))}
        position = ValueTracker(0.0)
        size = np.asarray(self.arrays["direction_size"], dtype=float)

        # --- two guesses, and the sum that links them
        title = ChapterTitle(self.title)
        pictures = {name: PixelPicture(films[name].frame_at(0), height=self.picture_height)
                    for name in ("with", "without", "difference")}
        for name, x in zip(("with", "without", "difference"), (-1, 0, 1)):
            pictures[name].move_to(np.array([x * self.sum_spacing, self.sum_y, 0.0]))
        frames = {name: Frame(p, color=color) for (name, p), color in zip(
            pictures.items(), (style.GUESS, style.FAINT, style.HIGHLIGHT))}
        minus = words("\u2212", size=style.TITLE_SIZE).move_to(
            (pictures["with"].get_center() + pictures["without"].get_center()) / 2)
        equals = words("=", size=style.TITLE_SIZE).move_to(
            (pictures["without"].get_center() + pictures["difference"].get_center()) / 2)
        labels = {
            "with": words("with the prompt", size=style.LABEL_SIZE, color=style.GUESS),
            "without": words("without a prompt", size=style.LABEL_SIZE, color=style.MUTED),
            "difference": words("what the prompt adds", size=style.LABEL_SIZE, color=style.HIGHLIGHT),
        }
        for name, label in labels.items():
            label.next_to(frames[name], DOWN, buff=0.2)
        prompt = prompt_words(str(self.facts['prompt'].value))
        prompt.next_to(labels["with"], DOWN, buff=0.12)
        grey_note = words("grey: no change", size=style.SMALL_SIZE, color=style.MUTED)
        grey_note.next_to(labels["difference"], DOWN, buff=0.12)
        counter = StepCounter(1).next_to(frames["with"], UP, buff=0.3).align_to(
            frames["with"], LEFT)
        two = words("two guesses at every step", size=style.HEADING_SIZE, color=style.INK)
        # the walk's guess at every step, where the two guesses are hidden
        hidden = ValueTracker(0.0)
        walk_guess = PixelPicture(films["guided"].frame_at(0), height=self.opening_height).move_to(0.4 * DOWN)
        walk_guess.add_updater(lambda m: m.show(films["guided"].frame_at(hidden.get_value())))
        walk_frame = guess_frame(walk_guess)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.dock(), FadeIn(walk_guess), FadeIn(walk_frame),
                      run_time=0.8)
            self.play_along(hidden.animate.set_value(films["guided"].last), rate_func=linear, least=1.0, most=6.0)
            walk_guess.clear_updaters()
            self.wait_until_bookmark("two")
            self.play_along(FadeOut(walk_guess), FadeOut(walk_frame), FadeIn(two, shift=0.2 * UP), least=0.8, most=1.5)

        with self.narrate("two_guesses"):
            self.wait_until_bookmark("with")
            self.play_along(FadeOut(two), FadeIn(pictures["with"], scale=0.7), FadeIn(frames["with"]),
                            FadeIn(labels["with"]), FadeIn(prompt), FadeIn(counter), least=0.8, most=2.0)
            self.wait_until_bookmark("without")
            self.play_along(FadeIn(pictures["without"], scale=0.7), FadeIn(frames["without"]),
                            FadeIn(labels["without"]), least=0.8, most=2.0)
            self.wait_until_bookmark("difference")
            # one guess taken from the other: both slide into the place of what is left
            self.play(FadeIn(minus), FadeIn(equals), run_time=0.5)
            taken = [pictures[name].copy() for name in ("with", "without")]
            self.play_along(*(FadeTransform(t, pictures["difference"]) for t in taken), FadeIn(frames["difference"]),
                            FadeIn(labels["difference"]), least=0.8, most=2.5)
            self.remove(*taken)
            self.add(pictures["difference"])
            self.wait_until_bookmark("grey")
            self.play_along(FadeIn(grey_note), least=0.5, most=1.5)

        # --- the step the walk takes: without + scale x difference
        scale = shown(self.facts["shown_scale"])
        rule = VGroup(words("each step heads for:", size=style.LABEL_SIZE, color=style.MUTED),
                      words(f"without  +  {scale} \u00d7 what the prompt adds", size=style.LABEL_SIZE))
        rule.arrange(RIGHT, buff=0.3)
        guided = PixelPicture(films["guided"].frame_at(0), height=self.guided_height)
        guided_frame = guess_frame(guided)
        bottom_line = Group(rule, Group(guided, guided_frame)).arrange(RIGHT, buff=0.45)
        bottom_line.to_edge(DOWN, buff=0.3)
        with self.narrate("guided"):
            self.wait_until_bookmark("scale")
            self.play_along(Write(rule[0]), FadeIn(rule[1], shift=0.15 * UP), least=0.9, most=2.5)
            self.wait_until_bookmark("guided")
            # the guess without the prompt and the stretched difference make the guess the walk follows
            parts = [pictures[name].copy() for name in ("without", "difference")]
            self.play_along(*(FadeTransform(t, guided) for t in parts), FadeIn(guided_frame), least=0.8, most=2.0)
            self.remove(*parts)
            self.add(guided)

        # --- the whole walk: the difference fades as the picture settles
        change = LiveText(lambda: f"changes the guess by {self.size_at(size, position.get_value()):.1f}%",
                          size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        change.next_to(counter, RIGHT, buff=0.6).align_to(counter, DOWN)
        change.shift((frames["difference"].get_right()[0] - change.get_right()[0]) * RIGHT)
        for name, picture in pictures.items():
            picture.add_updater(lambda m, name=name: m.show(films[name].frame_at(position.get_value())))
        guided.add_updater(lambda m: m.show(films["guided"].frame_at(position.get_value())))
        counter.add_updater(lambda m: m.set_value(round(films["with"].step_at(position.get_value()))))
        change.add_updater(lambda m: m.refresh())
        last = films["with"].last
        with self.narrate("steps") as tracker:
            self.wait_until_bookmark("first")
            self.play_along(FadeIn(change), Indicate(frames["difference"], color=style.HIGHLIGHT), least=0.6,
                            most=2.0)
            self.wait_until_bookmark("play")
            walk_time = max(min(self.walk_seconds, tracker.time_until_bookmark("last") - 0.2), 1 / config.frame_rate)
            self.play(position.animate.set_value(last), run_time=walk_time, rate_func=linear)
            self.wait_until_bookmark("last")
            self.play_along(Indicate(change, color=style.HIGHLIGHT, scale_factor=1.15), least=0.8, most=2.0)
        for mobject in (*pictures.values(), guided, counter, change):
            mobject.clear_updaters()

        # --- the finished picture as the guidance is turned up
        scales = [float(s) for s in self.arrays["scales"]]
        row = PictureRow(self.arrays["finals"], [scale_text(s) for s in scales], height=self.row_height, buff=0.25,
                         max_width=self.row_width, label_size=style.LABEL_SIZE, label_color=style.INK)
        row.move_to(np.array([self.heading_room / 2, self.row_y, 0.0]))
        # One line per measurement under the pictures, each named at the left like a table's rows.
        label_y = row.labels.get_y()
        judge_y, colour_y = label_y - self.line_spacing, label_y - 2 * self.line_spacing
        saturation = VGroup(*(words(f"{c:.1f}%", size=style.SMALL_SIZE, color=style.INK)
                              .move_to(np.array([row.frames[i].get_x(), colour_y, 0.0]))
                              for i, c in enumerate(np.asarray(self.arrays["colourfulness"], dtype=float))))
        headings = VGroup(*(words(text, size=style.SMALL_SIZE, color=style.MUTED)
                            .move_to(np.array([0.0, y, 0.0]))
                            for text, y in (("guidance", label_y), ("colour", colour_y),
                                            (f"judge: {self.judged_thing(self.facts)}", judge_y))))
        for heading in headings:
            heading.shift((row.frames.get_left()[0] - 0.35 - heading.get_right()[0]) * RIGHT)
        guidance_heading, colour_heading, judge_heading = headings
        saturation_key = words("colour: how saturated the picture is", size=style.SMALL_SIZE, color=style.MUTED)
        saturation_key.next_to(headings, DOWN, buff=0.6).set_x(row.get_x())
        off = self.index_of(scales, 0.0)
        plain = self.index_of(scales, 1.0)
        judged = self.judge_tags(self.facts, scales, row, judge_y)
        sum_parts = Group(*pictures.values(), *frames.values(), *labels.values(), minus, equals, prompt, grey_note,
                          counter, change, bottom_line)
        # The row starts at each scale's first guess and walks to its finished picture, all scales at once.
        row_films = [Reel(walk, steps) for walk in self.arrays["predicted_clean_pictures"]]
        walked = ValueTracker(0.0)
        for picture, film in zip(row.pictures, row_films):
            picture.show(film.frame_at(0))
        row_counter = StepCounter(1).next_to(row.frames, UP, buff=0.3).align_to(row.frames, LEFT)
        with self.narrate("up") as tracker:
            self.play(FadeOut(sum_parts), run_time=0.8)
            self.wait_until_bookmark("row")
            self.play(LaggedStart(*(FadeIn(row.cell(i), shift=0.15 * UP) for i in range(len(scales))),
                                  lag_ratio=0.15), FadeIn(guidance_heading), FadeIn(row_counter), run_time=1.5)
            for picture, film in zip(row.pictures, row_films):
                picture.add_updater(lambda m, film=film: m.show(film.frame_at(walked.get_value())))
            row_counter.add_updater(lambda m: m.set_value(round(row_films[0].step_at(walked.get_value()))))
            walk_time = max(min(self.walk_seconds, tracker.time_until_bookmark("zero") - 0.2), 1 / config.frame_rate)
            self.play(walked.animate.set_value(row_films[0].last), run_time=walk_time, rate_func=linear)
            for mobject in (*row.pictures, row_counter):
                mobject.clear_updaters()
            self.play(FadeOut(row_counter), run_time=0.4)
            self.wait_until_bookmark("zero")
            if off is not None:
                self.play(row.frames[off].animate.set_color(style.JUDGE_NO),
                          *([FadeIn(judged[off]), FadeIn(judge_heading)] if off in judged else []), run_time=0.7)
                # close to the picture with guidance off, and what the judge read on it
                # (with the row's heading, so that "judge: butterfly" stays whole on screen)
                self.play_along(self.look_at(Group(row.frames[off], *([judged[off], judge_heading]
                                                                      if off in judged else []))),
                                least=1.0, most=4.0)
            self.wait_until_bookmark("one")
            # The plain setting's reading first, then the rest of the row's.
            rest = [judged[i] for i in judged if i not in (off, plain)]
            if plain is not None:
                self.play(row.frames[plain].animate.set_color(style.JUDGE_YES),
                          *([FadeIn(judged[plain])] if plain in judged else []),
                          self.look_at(Group(row.frames[plain], *([judged[plain], judge_heading]
                                                                  if plain in judged else []))), run_time=1.0)
            if rest:
                self.play_along(LaggedStart(*(FadeIn(t) for t in rest), lag_ratio=0.2), self.camera_home(),
                                least=0.8, most=3.0)
            self.wait_until_bookmark("more")
            self.play_along(LaggedStart(*(FadeIn(s, shift=0.1 * DOWN) for s in saturation), lag_ratio=0.3),
                            FadeIn(colour_heading), FadeIn(saturation_key), self.camera_home(), least=1.6, most=4.0)

        # the knob turned up: a mark travels along the row from no guidance to the most
        turned = ValueTracker(0.0)
        centres = Reel(np.array([row.frames[i].get_center() for i in range(len(scales))]), np.arange(len(scales)))
        knob = SurroundingRectangle(row.frames[0], color=style.HIGHLIGHT, buff=0.08, stroke_width=style.MARK_STROKE)
        knob.add_updater(lambda m: m.move_to(centres.frame_at(turned.get_value())))
        with self.narrate("closing"):
            self.wait_until_bookmark("knob")
            self.play(Create(knob), run_time=0.6)
            self.play_along(turned.animate.set_value(len(scales) - 1), least=1.5, most=6.0, leave=0.3)
            knob.clear_updaters()

    # --- pieces of the chapter


    @staticmethod
    def size_at(size: np.ndarray, position: float) -> float:
        """The difference's size at a (possibly in-between) position of the walk."""
        return float(np.interp(position, np.arange(len(size)), size))

    @staticmethod
    def index_of(scales: list[float], scale: float) -> int | None:
        return scales.index(scale) if scale in scales else None

    @staticmethod
    def judge_key(facts, scale: float) -> str | None:
        """The judge fact for one scale, 'judge_object_at_<scale>', if the capture has one."""
        key = f"judge_object_at_{scale_text(scale).replace('.', '_')}"
        return key if key in facts else None

    def judged_thing(self, facts) -> str:
        """The object the judge looks for: the capture's fact 'object' (the toy-world object the prompt names)."""
        return str(facts["object"].value) if "object" in facts else "the object"

    def judge_tags(self, facts, scales: list[float], row: PictureRow, y: float) -> dict[int, VGroup]:
        """The judge's confidence under each picture, at height ``y``, where the capture has it."""
        tags = {}
        if not facts["judged"].value:  # (its judge's facts are stand-ins the narration does not speak)
            return tags
        # the verdict's colour where the row marks one: red with guidance off, green at the plain setting
        verdicts = {self.index_of(scales, 0.0): False, self.index_of(scales, 1.0): True}
        for i, scale in enumerate(scales):
            key = self.judge_key(facts, scale)
            if key is not None:
                tags[i] = judge_words(shown(facts[key]), yes=verdicts.get(i), size=style.SMALL_SIZE)
                tags[i].move_to(np.array([row.frames[i].get_x(), y, 0.0]))
        return tags
