"""Chapter "Why not jump?": the first step's guess is the average of every picture that fits the prompt, shown beside the mean of many seeds' finished pictures; then walks of a few to many steps side by side with their sharpness.

It reads the jump capture (``python -m pipeline capture jump``): the first guesses, the final
pictures of many seeds and their mean, and the ladder of short and long walks; every number it
says or shows is one of that capture's facts or arrays.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    Group,
    Indicate,
    LaggedStart,
    Line,
    ReplacementTransform,
    SurroundingRectangle,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from scenes import pictures, style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PictureColumns, PixelPicture, Reel
from scenes.words import ChapterTitle, LiveText, ReadsTheJudge, StepCounter, prompt_words, words


class WhyNotJump(ReadsTheJudge, NarratedScene):
    """The first guess beside the average of many finished pictures, then walks of growing length and how sharp each ends."""

    # The first guess, the average and one finished picture, in a row from blur to picture.
    big_height = 2.7
    row_y = -0.1
    guess_center = np.array([-4.85, row_y, 0.0])
    mean_center = np.array([0.0, row_y, 0.0])
    final_center = np.array([4.85, row_y, 0.0])
    guess_close_width = 6.0  # the camera's frame, close to the first guess
    column_close_width = 5.5  # the camera's frame, at least this wide, close to one column of the step ladder
    finals_center = np.array([2.4, row_y, 0.0])  # the seeds' finished pictures, before they are averaged
    finals_columns = 8  # the seeds' finished pictures as rows of this many
    finals_cell = 0.95
    finals_seconds = 2.5  # the finished pictures shown in turn beside the average, at least this long
    finals_per_second = 2.5
    finals_buff = 0.08
    ladder_top = 2.15  # the top of the ladder's column labels, clear of the prompt above
    ladder_width = 11.5
    ladder_height = 4.4  # pictures of all the ladder's seeds, stacked

    def tell(self) -> None:

        # --- the first guess
        title = ChapterTitle(self.title)
        prompt = prompt_words(str(self.facts['prompt'].value))
        guess = PixelPicture(self.arrays["first_guesses"][0], height=self.big_height).move_to(self.guess_center)
        guess_frame = pictures.guess_frame(guess)
        guess_label = words("the first guess", size=style.LABEL_SIZE, color=style.GUESS)
        guess_label.next_to(guess_frame, UP, buff=0.2)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.dock(), run_time=0.8)
            prompt.next_to(title, DOWN, buff=0.25)
            self.wait_until_bookmark("guess")
            self.play(FadeIn(prompt, shift=0.15 * DOWN), FadeIn(guess), Create(guess_frame), FadeIn(guess_label),
                      run_time=1.0)
            self.wait_until_bookmark("jump")
            # close to the guess: why not jump straight there?
            self.play_along(Indicate(guess_frame, color=style.HIGHLIGHT, scale_factor=1.05),
                            self.look_at(Group(guess_frame, guess_label), self.guess_close_width), least=1.0, most=4.0)

        # --- many finished pictures
        finals = self.finals_grid(self.arrays["finals"])
        finals_label = words(f"{len(self.arrays['finals'])} seeds, walked to the end", size=style.LABEL_SIZE)
        finals_label.next_to(finals, UP, buff=0.2)
        with self.narrate("finals"):
            self.play_along(self.camera_home(), least=0.6, most=1.5)
            self.wait_until_bookmark("walks")
            self.play_along(LaggedStart(*(FadeIn(cell, scale=0.6) for cell in finals.cells), lag_ratio=0.06),
                            FadeIn(finals_label), least=2.5, most=6.0)

        # --- their average
        mean = PixelPicture(self.arrays["mean_of_finals_picture"], height=self.big_height).move_to(self.mean_center)
        mean_frame = Frame(mean, color=style.SIGNAL)
        mean_label = words("their average", size=style.LABEL_SIZE, color=style.SIGNAL)
        mean_label.next_to(mean_frame, UP, buff=0.2)
        final = PixelPicture(self.arrays["finals"][0], height=self.big_height).move_to(self.final_center)
        final_frame = Frame(final)
        final_label = words("one finished picture", size=style.LABEL_SIZE).next_to(final_frame, UP, buff=0.2)
        with self.narrate("average") as tracker:
            self.wait_until_bookmark("mean")
            # Every finished picture slides into the middle and fades, and the average is left.
            self.play(*(picture.animate.move_to(self.mean_center).set_opacity(0.0) for picture, _ in finals.cells),
                      *(frame.animate.move_to(self.mean_center).set_stroke(opacity=0.0) for _, frame in finals.cells),
                      FadeIn(mean), Create(mean_frame), FadeOut(finals_label), FadeIn(mean_label), run_time=1.6)
            self.remove(*finals.cells)
            self.wait_until_bookmark("compare")
            near = self.distance_between(guess_frame, mean_frame, f"{shown(self.facts['first_guess_to_mean'])} apart")
            self.play_along(Create(near.line), FadeIn(near.text), least=0.8, most=2.0)
            self.wait_until_bookmark("single")
            self.play(FadeIn(final), Create(final_frame), FadeIn(final_label), run_time=0.8)
            far = self.distance_between(mean_frame, final_frame, f"{shown(self.facts['final_to_mean'])} apart",
                                        under="on average")
            self.play(Create(far.line), FadeIn(far.text), run_time=0.8)
            # one finished picture after another, each with its own distance from the average
            finals_now, distances = self.arrays["finals"], np.asarray(self.arrays["final_to_mean_distance"], dtype=float)
            turn = ValueTracker(0.0)
            this_one = LiveText(lambda: f"this one: {distances[int(turn.get_value()) % len(distances)]:.1f}%",
                                size=style.SMALL_SIZE, color=style.MUTED)
            this_one.next_to(final_frame, DOWN, buff=0.2)
            final.add_updater(lambda m: m.show(finals_now[int(turn.get_value()) % len(finals_now)]))
            this_one.add_updater(lambda m: m.refresh())
            self.play(FadeIn(this_one), run_time=0.3)
            seconds = max(tracker.get_remaining_duration(), self.finals_seconds)
            self.play(turn.animate.set_value(min(len(finals_now) - 1, seconds * self.finals_per_second)),
                      rate_func=linear, run_time=seconds)
            final.clear_updaters()
            this_one.clear_updaters()

        # --- a blur
        sharpness = [
            words(f"sharpness {shown(self.facts[name])}{extra}", size=style.SMALL_SIZE, color=color)
            .next_to(frame, DOWN, buff=0.2)
            for name, extra, color, frame in (
                ("first_guess_sharpness", "", style.MODEL, guess_frame),
                ("mean_sharpness", "", style.SIGNAL, mean_frame),
                ("finals_sharpness", ", on average", style.INK, final_frame),
            )
        ]
        meaning = words("sharpness: how much neighbouring pixels differ", size=style.SMALL_SIZE,
                        color=style.MUTED).to_edge(DOWN, buff=0.45)
        # every finished picture once more, pouring into the first guess: it is their average
        pour = self.finals_grid(self.arrays["finals"], columns=16, cell=0.5).move_to(np.array([0.0, -2.55, 0.0]))
        with self.narrate("blur"):
            self.play(FadeOut(this_one), run_time=0.4)
            self.wait_until_bookmark("fits")
            self.play(LaggedStart(*(FadeIn(cell) for cell in pour.cells), lag_ratio=0.02), run_time=0.9)
            self.play(*(picture.animate.move_to(self.guess_center).set_opacity(0.0) for picture, _ in pour.cells),
                      *(frame.animate.move_to(self.guess_center).set_stroke(opacity=0.0) for _, frame in pour.cells),
                      Indicate(guess_frame, color=style.HIGHLIGHT, scale_factor=1.04), run_time=1.6)
            self.remove(*pour.cells)
            # the camera goes close: into the blur of the first guess, then across to a finished picture's edges
            self.wait_until_bookmark("blur")
            self.play(FadeIn(sharpness[0]), FadeIn(sharpness[1]), run_time=0.8)
            self.play_along(self.look_at(Group(guess, sharpness[0]), 0.5 * config.frame_width), least=1.0, most=2.5)
            self.wait_until_bookmark("sharp")
            self.play(FadeIn(sharpness[2]), run_time=0.6)
            self.play_along(self.camera.frame.animate.move_to(Group(final, sharpness[2])), least=1.0, most=2.5)
            self.wait_until_bookmark("measure")
            self.play(self.camera_home(), run_time=1.0)
            self.play_along(FadeIn(meaning), least=0.6, most=1.5)

        # --- walks of a few to many steps
        ladder = self.ladder(self.arrays["ladder_steps"], self.arrays["ladder_finals"], self.arrays["ladder_sharpness_mean"])
        with self.narrate("ladder"):
            self.play(FadeOut(Group(guess, guess_frame, guess_label, mean, mean_frame, mean_label, final, final_frame,
                                    final_label, near, far, *sharpness, meaning)), run_time=0.8)
            self.wait_until_bookmark("ladder")
            self.play_along(LaggedStart(*(FadeIn(column, shift=0.3 * RIGHT) for column in ladder.columns),
                                        lag_ratio=0.3), least=2.5, most=4.0)
            self.wait_until_bookmark("one")
            one_box = SurroundingRectangle(ladder.columns[0], color=style.HIGHLIGHT, buff=0.08)
            two_box = SurroundingRectangle(ladder.columns[1], color=style.HIGHLIGHT, buff=0.08)
            self.play_along(FadeIn(ladder.scores[0]), Create(one_box), least=1.0, most=2.0)
            self.wait_until_bookmark("two")
            # two steps beside the longest walks: edges, but not yet where those end
            # the camera close to the two-step column, then out to it and the longest walk's together
            two = Group(two_box, ladder.scores[1])
            self.play(FadeIn(ladder.scores[1]), ReplacementTransform(one_box, two_box),
                      self.look_at(two, max(self.width_to_show(two), self.column_close_width)), run_time=1.2)
            longest_box = SurroundingRectangle(ladder.columns[-1], color=style.JUDGE_YES, buff=0.08)  # the long walk: right
            both = Group(two_box, longest_box, ladder.scores[1])
            self.play_along(Create(longest_box), self.look_at(both), least=1.0, most=4.0)
            self.wait_until_bookmark("clean")
            self.play_along(FadeOut(two_box), FadeOut(longest_box), self.camera_home(), LaggedStart(*(FadeIn(score, shift=0.2 * UP) for score in ladder.scores[2:]),
                                                          lag_ratio=0.4), least=1.5, most=4.0)

        jump_box = SurroundingRectangle(ladder.columns[0], color=style.JUDGE_NO, buff=0.1)  # the jump: wrong
        # the walk's own guess at every step, sharper each time: the layout first, then the details
        walk = self.captures["walk"].arrays
        guesses = Reel(walk["predicted_clean_pictures"], np.arange(1, len(walk["predicted_clean_pictures"]) + 1))
        sharpening = PixelPicture(guesses.frame_at(0), height=4.2).move_to(self.mean_center + 0.3 * DOWN)
        sharpening_frame = pictures.guess_frame(sharpening)
        sharpening_label = words(f"each step's guess for \u201c{self.captures['walk'].facts['prompt'].value}\u201d",
                                 size=style.LABEL_SIZE, color=style.GUESS)
        sharpening_label.next_to(sharpening_frame, UP, buff=0.2)
        step = ValueTracker(0.0)
        # "step 12 of 25": the counter set at its widest number first, so that "of 25" sits clear of every number
        counter = StepCounter(guesses.last + 1)
        of_all = words(f"of {guesses.last + 1}", size=style.COUNTER_SIZE, color=style.MUTED)
        of_all.next_to(counter, RIGHT, buff=0.2).align_to(counter.number, DOWN)  # on the digits' baseline
        counter.set_value(round(guesses.step_at(0)))
        counter = VGroup(counter, of_all).next_to(sharpening_frame, DOWN, buff=0.2).align_to(sharpening_frame, LEFT)
        with self.narrate("end"):
            self.play_along(Create(jump_box), least=0.8, most=2.0)
            self.wait_until_bookmark("steps")
            self.play(FadeOut(Group(jump_box, ladder, *ladder.scores, prompt)), FadeIn(sharpening), Create(sharpening_frame),
                      FadeIn(sharpening_label), FadeIn(counter), run_time=0.8)
            sharpening.add_updater(lambda m: m.show(guesses.frame_at(step.get_value())))
            counter[0].add_updater(lambda m: m.set_value(round(guesses.step_at(step.get_value()))))
            # slow where the guess changes most, early: the layout first, then the details
            self.play_along(step.animate.set_value(guesses.last), rate_func=lambda t: t * t, least=2.0, most=8.0,
                            leave=0.3)
            sharpening.clear_updaters()
            counter[0].clear_updaters()

    # --- pieces of the chapter

    def finals_grid(self, finals: np.ndarray, columns: int | None = None, cell: float | None = None) -> Group:
        """The seeds' finished pictures in rows, small, to the right of the first guess."""
        columns, cell = columns or self.finals_columns, cell or self.finals_cell
        rows = [finals[i: i + columns] for i in range(0, len(finals), columns)]
        cells = []
        for row_index, row in enumerate(rows):
            for column, pixels in enumerate(row):
                picture = PixelPicture(pixels, height=cell)
                pitch = cell + self.finals_buff
                picture.move_to(np.array([column * pitch, -row_index * pitch, 0.0]))
                cells.append(Group(picture, Frame(picture, buff=0.02)))
        grid = Group(*cells).move_to(self.finals_center)
        grid.cells = cells
        return grid

    def distance_between(self, left: Frame, right: Frame, text: str, under: str | None = None) -> VGroup:
        """A measured gap between two pictures: a line from one to the other, the distance above it, a note below."""
        line = Line(left.get_right(), right.get_left(), buff=0.2, color=style.HIGHLIGHT, stroke_width=style.MARK_STROKE)
        label = words(text, size=style.LABEL_SIZE, color=style.HIGHLIGHT).next_to(line, UP, buff=0.15)
        gap = VGroup(line, label)
        if under:
            gap.add(words(under, size=style.SMALL_SIZE, color=style.HIGHLIGHT).next_to(line, DOWN, buff=0.15))
        gap.line, gap.text = line, VGroup(*gap[1:])
        return gap

    def ladder(self, steps: np.ndarray, finals: np.ndarray, sharpness: np.ndarray) -> PictureColumns:
        """One column per walk length: its length on top, the walks' final pictures down it, the mean sharpness under it."""
        headings = [f"{int(n)} step{'' if int(n) == 1 else 's'}" for n in steps]
        ladder = PictureColumns(finals, headings, width=self.ladder_width, height=self.ladder_height)
        ladder.move_to(ORIGIN).align_to(np.array([0.0, self.ladder_top, 0.0]), UP)
        scores = [ladder.score_under(i, f"{value:.1f}%") for i, value in enumerate(sharpness)]
        heading = words("sharpness", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        heading.next_to(scores[0], LEFT, buff=0.3)
        scores[0] = VGroup(heading, scores[0])
        ladder.scores = scores
        return ladder
