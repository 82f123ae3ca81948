"""Chapter "When the seed matters": the step by which each walk's layout is fixed, and one walk forked with fresh noise at later and later steps.

It reads the seeds capture (``python -m pipeline capture seeds``): many seeds' guesses at every
step, how far each guessed layout still is from its ending, the commit steps, and the forked
walks; every number it says or shows is one of that capture's facts or arrays.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    AnimationGroup,
    BackgroundRectangle,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    LaggedStart,
    Line,
    SurroundingRectangle,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from scenes import style
from scenes.charts import LevelChart, Marker
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PictureColumns, PixelPicture, Reel, guess_frame
from scenes.words import ChapterTitle, LiveText, StepCounter, prompt_words, words


def layout_picture(pixels: np.ndarray, blocks: int) -> np.ndarray:
    """The picture as ``blocks`` x ``blocks`` blocks of mean colour, blown back up to its size: the layout, drawn.

    The same reduction as the capture's layout measure (pipeline/experiments/measures.py), for
    the screen only; no number is taken from it.
    """
    h, w = pixels.shape[:2]
    means = pixels.astype(np.float64).reshape(blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))
    return np.round(means).astype(np.uint8).repeat(h // blocks, axis=0).repeat(w // blocks, axis=1)


def coarsenings(pixels: np.ndarray, blocks: int) -> list[int]:
    """Block counts from a little coarser than the picture down to ``blocks``: each halving that divides its sides."""
    h, w = pixels.shape[:2]
    return [b for b in (4 * blocks, 2 * blocks, blocks) if b < max(h, w) and h % b == 0 and w % b == 0] or [blocks]


def block_grid(frame, blocks: int) -> VGroup:
    """Thin lines that cut ``frame`` into ``blocks`` x ``blocks`` blocks."""
    left, right = frame.get_left()[0], frame.get_right()[0]
    bottom, top = frame.get_bottom()[1], frame.get_top()[1]
    lines = VGroup()
    for k in range(1, blocks):
        x = left + (right - left) * k / blocks
        y = bottom + (top - bottom) * k / blocks
        lines.add(Line([x, bottom, 0], [x, top, 0]), Line([left, y, 0], [right, y, 0]))
    return lines.set_stroke(color=style.INK, width=1.2, opacity=0.55)


def _blend(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Picture ``a`` cross-faded into picture ``b`` (t = 0: a, 1: b)."""
    return np.round((1 - t) * a.astype(np.float32) + t * b.astype(np.float32)).astype(np.uint8)


class WhenSeedMatters(NarratedScene):
    """Seeds' guesses settling on a layout early, the measured commit step, and forks of one walk that change less the later they split."""

    row_seeds = 6  # seeds whose guesses play side by side (or all, if the capture has fewer)
    row_height = 1.75
    row_y = 0.2
    layout_height = 2.3
    seed_close_width = 4.6  # the camera on the one seed the chapter follows
    big_height = 3.6  # a finished picture and its layout, side by side
    big_final_at = np.array([-2.7, -0.5, 0.0])
    big_layout_at = np.array([2.7, -0.5, 0.0])
    layout_close_width = 10.5
    first_close_width = 9.5
    commit_close_width = 8.0
    noisy_height = 4.4  # the unforked walk, before it goes to the side
    noisy_at = np.array([0.0, -0.6, 0.0])
    fork_close_width = 10.2
    column_close_width = 10.5
    chart_center = np.array([2.2, -0.35, 0.0])  # the chart's whole group, axis words included
    chart_width = 5.6
    fork_width = 10.4
    fork_height = 5.0
    fork_gap = 0.3
    fork_top = 2.4

    def tell(self) -> None:
        guesses = self.arrays["predicted_clean_pictures"]  # (steps, seeds, H, W, 3)
        steps = len(guesses)
        example = self.typical_seed()
        # The seeds in the row: the first few, and the one the chapter follows among them.
        chosen = list(range(min(self.row_seeds, guesses.shape[1])))
        if example not in chosen:
            chosen[-1] = example
        lead = chosen.index(example)
        position = ValueTracker(0.0)  # guess index: 0 is the first step's guess

        # --- many seeds, one prompt: their endings, then back to where they start
        title = ChapterTitle(self.title)
        prompt = prompt_words(str(self.facts['prompt'].value))
        films = [Reel(guesses[:, s], np.arange(1, steps + 1)) for s in chosen]
        row = Group(*(PixelPicture(film.frame_at(film.last), height=self.row_height) for film in films))
        row.arrange(RIGHT, buff=0.3).move_to(np.array([0.0, self.row_y, 0.0]))
        frames = VGroup(*(guess_frame(p) for p in row))
        seed_labels = VGroup(*(words(f"seed {int(self.arrays['seeds'][s])}", size=style.SMALL_SIZE, color=style.SEED)
                               .next_to(f, DOWN, buff=0.15) for s, f in zip(chosen, frames)))
        guess_word = words("each seed's guess of its finished picture", size=style.LABEL_SIZE, color=style.GUESS)
        guess_word.next_to(frames, UP, buff=0.3)
        ends_word = words("where each seed ends", size=style.LABEL_SIZE, color=style.MUTED).move_to(guess_word)
        counter = StepCounter(1).next_to(seed_labels, DOWN, buff=0.45)
        back = ValueTracker(0.0)  # 0: each seed's ending, 1: its first guess
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.dock(), run_time=0.8)
            prompt.next_to(title, DOWN, buff=0.25)
            self.wait_until_bookmark("ends")
            # each ends in a different picture: the endings arrive one by one
            self.play_along(LaggedStart(*(FadeIn(Group(p, f), shift=0.2 * UP) for p, f in zip(row, frames)),
                                        lag_ratio=0.2), FadeIn(ends_word), least=1.0, most=3.0, leave=0.2)
            self.wait_until_bookmark("seeds")
            # and back to where each starts: its guess at the first step, a blur
            for picture, film in zip(row, films):
                ending, first = film.frame_at(film.last), film.frame_at(0)
                picture.add_updater(lambda m, a=ending, b=first: m.show(_blend(a, b, back.get_value())))
            self.play_along(back.animate.set_value(1.0), FadeIn(prompt), FadeIn(seed_labels),
                            FadeTransform(ends_word, guess_word), FadeIn(counter), least=1.2, most=3.5, leave=0.3)
            for picture in row:
                picture.clear_updaters()
        for picture, film in zip(row, films):
            picture.add_updater(lambda m, film=film: m.show(film.frame_at(position.get_value())))
        counter.add_updater(lambda m: m.set_value(int(round(position.get_value())) + 1))
        with self.narrate("question") as tracker:
            self.wait_until_bookmark("walk")
            seconds = tracker.time_until_bookmark("when")
            if seconds < 1 / config.frame_rate:
                position.set_value(steps - 1)
            else:
                self.play(position.animate.set_value(steps - 1), rate_func=linear, run_time=seconds)
            self.wait_until_bookmark("when")
            # when does it choose? the camera goes to the one seed the chapter follows
            self.play_along(self.look_at(frames[lead], self.seed_close_width),
                            frames[lead].animate.set_color(style.HIGHLIGHT), least=1.0, most=3.0, leave=0.2)
        for picture in row:
            picture.clear_updaters()
        counter.clear_updaters()

        # --- a layout: the finished picture seen as blocks of colour
        blocks = int(self.facts["layout_blocks"].value)
        ending_pixels = self.arrays["finals"][example]
        final = PixelPicture(ending_pixels, height=self.big_height).move_to(self.big_final_at)
        final_frame = Frame(final)
        layout = PixelPicture(layout_picture(ending_pixels, blocks), height=self.big_height).move_to(self.big_layout_at)
        layout_frame = Frame(layout)
        final_label = words("a finished picture", size=style.SMALL_SIZE, color=style.MUTED)
        final_label.next_to(final_frame, UP, buff=0.12)
        layout_label = words(f"its layout: {blocks} by {blocks} blocks", size=style.SMALL_SIZE, color=style.MUTED)
        layout_label.next_to(layout_frame, UP, buff=0.12)
        # the picture coarsening into its layout, block size by block size
        coarser = [ending_pixels, ending_pixels] + [layout_picture(ending_pixels, b) for b in coarsenings(ending_pixels, blocks)]
        coarsening = Reel(np.stack(coarser), np.arange(len(coarser)))
        coarse = ValueTracker(0.0)
        grid = block_grid(layout_frame, blocks)
        final_grid = block_grid(final_frame, blocks)
        with self.narrate("layout"):
            self.play(self.camera_home(), FadeOut(Group(*(row[i] for i in range(len(row)) if i != lead),
                                                        *(frames[i] for i in range(len(row)) if i != lead),
                                                        seed_labels, guess_word, counter)),
                      row[lead].animate.move_to(final).set(height=final.height), frames[lead].animate.become(final_frame),
                      run_time=1.2)
            # The moving copies hand over to the finished picture and its frame, which the chapter keeps using.
            self.remove(row[lead], frames[lead])
            self.add(final, final_frame)
            self.play_along(FadeIn(final_label), least=0.4, most=1.0)
            self.wait_until_bookmark("layout")
            copy = PixelPicture(ending_pixels, height=self.big_height).move_to(final)
            copy.add_updater(lambda m: m.show(coarsening.frame_at(coarse.get_value())))
            self.play_along(copy.animate.move_to(layout), coarse.animate.set_value(coarsening.last),
                            Create(layout_frame), FadeIn(layout_label), least=1.2, most=3.5, leave=0.2)
            copy.clear_updaters()
            self.remove(copy)
            self.add(layout)
            self.wait_until_bookmark("where")
            # where things are and what colour: the same blocks over the picture, looked at closely
            self.play_along(Create(grid), Create(final_grid),
                            self.look_at(Group(final_frame, layout_frame), self.layout_close_width),
                            least=1.2, most=3.5, leave=0.2)

        # --- how far each guess's layout still is from its ending's
        final_small = PixelPicture(ending_pixels, height=self.layout_height)
        layout_small = PixelPicture(layout_picture(ending_pixels, blocks), height=self.layout_height)
        Group(final_small, layout_small).arrange(DOWN, buff=0.75).move_to(np.array([-4.6, -0.55, 0.0]))
        chart, curves, typical = self.distance_chart(self.arrays["layout_distance"])
        threshold = float(self.facts["commit_threshold_percent"].value) / 100
        threshold_line = DashedLine(chart.point(1, threshold), chart.point(steps, threshold), color=style.HIGHLIGHT,
                                    stroke_width=2.5, dash_length=0.1)
        threshold_label = words(f"fixed: under {shown(self.facts['commit_threshold_percent'])}", size=style.SMALL_SIZE,
                                color=style.HIGHLIGHT).next_to(threshold_line, UP, buff=0.1).align_to(threshold_line,
                                                                                                     RIGHT)
        first_readout = words(shown(self.facts["layout_distance_at_step_1"]), size=style.SMALL_SIZE, color=style.MODEL)
        first_readout.next_to(typical.get_start(), RIGHT, buff=0.25)
        first_card = BackgroundRectangle(first_readout, color=style.BACKGROUND, fill_opacity=0.85, buff=0.05)
        commit_step = float(self.facts["commit_step"].value)
        marker = Marker(chart, commit_step, f"step {shown(self.facts['commit_step'])}")
        # The followed seed walked: its guess's layout (where the finished picture stood) beside the layout it ends
        # with, and its own curve drawn by a dot at the same step, so the distance grows out of the pictures measured.
        own = np.clip(self.arrays["layout_distance"][:, example], 0.0, 1.0)
        walked = ValueTracker(0.0)  # guess index
        guess_layouts = Reel(np.stack([layout_picture(g, blocks) for g in guesses[:, example]]), np.arange(1, steps + 1))
        guess_layout = PixelPicture(guess_layouts.frame_at(0), height=self.layout_height).move_to(final_small)
        guess_layout_frame = guess_frame(guess_layout)
        layout_small_frame = Frame(layout_small)
        guess_label = LiveText(lambda: f"its guess at step {int(round(walked.get_value())) + 1}, as layout",
                               size=style.LABEL_SIZE, color=style.GUESS)
        guess_label.next_to(guess_layout_frame, UP, buff=0.12)
        ending_label = words("the layout it ends with", size=style.SMALL_SIZE, color=style.MUTED)
        ending_label.next_to(layout_small_frame, UP, buff=0.12)
        own_curve = chart.curve(np.arange(1, steps + 1, dtype=float), own, style.HIGHLIGHT, stroke_width=2.5)
        traced = own_curve.copy()
        dot = Dot(chart.point(1, own[0]), radius=0.09, color=style.HIGHLIGHT)
        last = max(steps - 1, 1)

        def at_step(position: float) -> np.ndarray:
            return chart.point(position + 1, float(np.interp(position, np.arange(steps), own)))

        def follow(mobject) -> None:
            mobject.show(guess_layouts.frame_at(walked.get_value()))

        def trace(mobject) -> None:
            mobject.pointwise_become_partial(own_curve, 0.0, float(np.clip(walked.get_value() / last, 1e-3, 1.0)))

        def walking(on: bool) -> None:
            for mobject, updater in ((guess_layout, follow), (dot, lambda m: m.move_to(at_step(walked.get_value()))),
                                     (guess_label, lambda m: m.refresh()), (traced, trace)):
                mobject.clear_updaters()
                if on:
                    mobject.add_updater(updater)

        with self.narrate("distance") as tracker:
            # the two pictures to the side, the chart beside them; the guess at the first step takes the picture's place
            self.play(self.camera_home(), FadeOut(Group(grid, final_grid, final_label, layout_label)),
                      final.animate.move_to(final_small).set(height=final_small.height),
                      final_frame.animate.become(guess_layout_frame),
                      layout.animate.move_to(layout_small).set(height=layout_small.height),
                      layout_frame.animate.become(layout_small_frame),
                      Create(chart.axes), FadeIn(chart.x_label, chart.y_label, chart.ticks), run_time=1.2)
            self.play(FadeOut(final), FadeIn(guess_layout), FadeIn(guess_label), FadeIn(ending_label),
                      FadeIn(dot, scale=0.5), run_time=0.6)
            self.add(traced)
            walking(True)
            # at every step: the guess's layout walks to the ending's, and its distance is drawn as it goes
            # (slowly at first, where the layout changes most)
            self.play_along(walked.animate.set_value(steps - 1), rate_func=lambda t: t * t, least=1.0, most=6.0,
                            leave=0.2)
            self.wait_until_bookmark("curves")
            self.play_along(LaggedStart(*(Create(c) for c in curves), lag_ratio=0.03), Create(typical),
                            least=1.2, most=3.0, leave=0.2)
            self.wait_until_bookmark("first")
            # back to the first step: the blur, still far from its ending
            self.play_along(walked.animate.set_value(0.0), rate_func=lambda t: 1 - (1 - t) ** 2, least=1.0, most=2.5,
                            leave=2.0)
            # the number beside the picture it was measured on
            self.play_along(FadeIn(first_card), FadeIn(first_readout, shift=0.2 * LEFT),
                            self.look_at(Group(final_frame, layout_frame, guess_label, first_readout),
                                         self.first_close_width), least=0.8, most=2.5, leave=0.2)
            self.wait_until_bookmark("threshold")
            self.play(self.camera_home(), Create(threshold_line), FadeIn(threshold_label), run_time=1.0)
            # The walk to where it stays under the line, its guess's layout turning into its ending's.
            rest = max(tracker.get_remaining_duration(), 1 / config.frame_rate)
            self.play(walked.animate.set_value(commit_step - 1), rate_func=linear, run_time=rest)

        spread = words(f"earliest step {shown(self.facts['commit_step_earliest'])}, latest {shown(self.facts['commit_step_latest'])}",
                       size=style.SMALL_SIZE, color=style.MUTED)
        spread.next_to(chart.axes, DOWN, buff=0.7).align_to(chart.axes, RIGHT)
        commit_steps = np.asarray(self.arrays["commit_steps"], dtype=float)
        quick = curves[int(np.argmin(commit_steps))]
        slow = curves[int(np.argmax(commit_steps))]
        with self.narrate("commit") as tracker:
            self.wait_until_bookmark("commit")
            # in to where the typical curve crosses the line, and the step it does so
            near = VGroup(marker, Line(chart.point(1, 0), chart.point(min(3 * commit_step, steps), 0)))
            self.play_along(Create(marker.line), FadeIn(marker.label), self.look_at(near, self.commit_close_width),
                            least=1.0, most=5.5, leave=0.2)
            self.wait_until_bookmark("spread")
            # back out to both, and on to the end of the walk: after the line, its layout only fills in
            rest = max(tracker.get_remaining_duration(), 1 / config.frame_rate)
            self.play(self.camera_home(), FadeIn(spread),
                      quick.animate.set_stroke(color=style.SIGNAL, opacity=1.0, width=2.5),
                      slow.animate.set_stroke(color=style.NOISE, opacity=1.0, width=2.5),
                      walked.animate.set_value(steps - 1), run_time=rest)
        walking(False)

        # --- forks of one walk
        fork_steps = self.arrays["fork_steps"]
        forks = PictureColumns(self.arrays["fork_finals"], [f"step {int(k)}" for k in fork_steps], width=self.fork_width,
                               height=self.fork_height, column_gap=self.fork_gap)
        forks.move_to(ORIGIN).align_to(np.array([0.0, self.fork_top, 0.0]), UP).to_edge(RIGHT, buff=0.5)
        reference = PixelPicture(self.arrays["fork_reference_final"], height=forks.frames[0][0].height - 0.04)
        reference_frame = Frame(reference, color=style.SIGNAL)
        Group(reference, reference_frame).next_to(forks, LEFT, buff=0.8).align_to(forks.frames[0][0], UP)
        reference_label = words("no fork", size=style.LABEL_SIZE, color=style.SIGNAL)
        reference_label.next_to(reference_frame, UP, buff=0.2).align_to(forks.headings[0], DOWN)
        fork_heading = words("fresh noise from", size=style.SMALL_SIZE, color=style.MUTED)
        fork_heading.next_to(Group(*forks.headings), UP, buff=0.15)
        shares = [forks.score_under(i, f"{100 * v:.1f}%") for i, v in enumerate(self.arrays["fork_change_share"])]
        share_heading = words("change", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        share_heading.next_to(shares[0], LEFT, buff=0.25)
        share_heading.set_x(reference.get_x())
        share_meaning = words("how much the ending changes, as a share of the gap between two seeds' pictures",
                              size=style.SMALL_SIZE, color=style.MUTED)
        share_meaning.next_to(VGroup(*shares), DOWN, buff=0.3).set_x(0)
        # the unforked walk, large: the picture at every step, fresh noise and all, down to its ending
        noisy = self.arrays["fork_reference_pictures"]
        noisy_film = Reel(noisy, np.arange(len(noisy)))
        noisy_walk = PixelPicture(noisy_film.frame_at(0), height=self.noisy_height).move_to(self.noisy_at)
        noisy_frame = Frame(noisy_walk, color=style.SIGNAL)
        noisy_label = words("one walk, fresh noise added at every step", size=style.LABEL_SIZE, color=style.SIGNAL)
        noisy_label.next_to(noisy_frame, UP, buff=0.2)
        noisy_step = ValueTracker(0.0)
        with self.narrate("forks"):
            self.play(FadeOut(Group(chart, *curves, typical, traced, dot, first_card, first_readout,
                                    threshold_line, threshold_label, marker, spread, guess_layout, final_frame,
                                    guess_label, layout, layout_frame, ending_label, prompt)),
                      FadeIn(noisy_walk, scale=0.8), Create(noisy_frame), FadeIn(noisy_label), run_time=0.8)
            noisy_walk.add_updater(lambda m: m.show(noisy_film.frame_at(noisy_step.get_value())))
            self.play_along(noisy_step.animate.set_value(0.6 * noisy_film.last), rate_func=linear,
                            least=1.0, most=5.0, leave=0.1)
            self.wait_until_bookmark("walk")
            self.play_along(noisy_step.animate.set_value(noisy_film.last), rate_func=linear, least=0.8, most=3.0,
                            leave=0.1)
            noisy_walk.clear_updaters()
            self.wait_until_bookmark("fork")
            # its ending goes to the side; each fork repeats it, then takes fresh noise and ends elsewhere
            self.play(FadeOut(noisy_label), noisy_walk.animate.move_to(reference).set(height=reference.height),
                      noisy_frame.animate.become(reference_frame), FadeIn(reference_label), run_time=0.8)
            self.remove(noisy_walk, noisy_frame)
            self.add(reference, reference_frame)
            arrivals = []
            for index, column in enumerate(forks.columns):
                # each branch comes out of the unforked ending and goes to its place
                moves = [FadeIn(cell, target_position=reference.get_center()) for cell in column[1]]
                arrivals.append(AnimationGroup(FadeIn(forks.headings[index]), *moves))
            self.play_along(FadeIn(fork_heading), LaggedStart(*arrivals, lag_ratio=0.45),
                            least=1.5, most=8.0, leave=0.2)

        settled = int(np.searchsorted(fork_steps, float(self.facts["fork_settled_step"].value)))
        settled = min(settled, len(fork_steps) - 1)
        # Each fork's ending against the unforked ending, pixel by pixel: bright where fresh noise changed it.
        changes = [[self.changed_picture(picture, column) for picture, column in zip(self.fork_pictures(forks, i),
                                                                                     self.arrays["fork_finals"][i])]
                   for i in range(len(fork_steps))]
        change_key = words("bright: what fresh\nnoise changed", size=style.SMALL_SIZE, color=style.MUTED)
        change_key.next_to(reference_frame, DOWN, buff=0.35)
        settled_box = SurroundingRectangle(forks.columns[settled], color=style.HIGHLIGHT, buff=0.1)

        def show_changes(columns) -> list:
            return [LaggedStart(*(FadeIn(Group(*changes[i])) for i in columns), lag_ratio=0.3)] if columns else []

        with self.narrate("change"):
            self.wait_until_bookmark("first")
            # the first fork beside the unforked ending, close: what fresh noise changed lights up
            self.play_along(self.look_at(Group(reference_frame, reference_label, forks.columns[0]),
                                         self.fork_close_width),
                            FadeIn(change_key), *show_changes([0]), least=1.2, most=4.0, leave=0.2)
            self.wait_until_bookmark("gap")
            self.play_along(self.look_at(Group(reference_frame, forks.columns[0], shares[0], share_heading),
                                         self.fork_close_width),
                            FadeIn(share_heading), FadeIn(shares[0], shift=0.3 * DOWN), least=0.8, most=3.0)
            self.wait_until_bookmark("settled")
            self.play_along(self.camera_home(), *show_changes(range(1, settled + 1)), FadeIn(share_meaning),
                            *self.reveal(shares[1:settled + 1]), Create(settled_box), least=1.2, most=4.0, leave=0.2)
            self.wait_until_bookmark("flip")
            # what is left to change there: details
            self.play_along(self.look_at(settled_box, self.column_close_width), least=1.0, most=3.0, leave=0.2)
            self.wait_until_bookmark("last")
            self.play_along(self.camera_home(), FadeOut(settled_box), *show_changes(range(settled + 1, len(fork_steps))),
                            *self.reveal(shares[settled + 1:]), least=1.2, most=4.0, leave=0.2)

        early_columns = forks.columns[:settled] if settled else forks.columns[:1]
        later_columns = forks.columns[len(early_columns):]
        early = SurroundingRectangle(Group(*(column[1] for column in early_columns)), color=style.NOISE, buff=0.1)
        later = (SurroundingRectangle(Group(*(column[1] for column in later_columns)), color=style.MODEL, buff=0.1)
                 if later_columns else None)
        with self.narrate("end"):
            # the endings again, pictures not changes
            self.play_along(FadeOut(Group(*(c for column in changes for c in column))), FadeOut(change_key),
                            least=1.0, most=3.0, leave=0.2)
            self.wait_until_bookmark("early")
            # the early forks' endings differ in layout...
            self.play_along(Create(early), self.look_at(early, max(early.width + 1.5, self.column_close_width)),
                            least=1.0, most=3.5, leave=0.2)
            self.wait_until_bookmark("details")
            # ...the later ones' only in details: back out to see both
            self.play_along(*([Create(later)] if later is not None else []), self.camera_home(),
                            least=1.0, most=3.5, leave=0.2)

    # --- pieces of the chapter

    def typical_seed(self) -> int:
        """The seed the chapter follows: one that fixes its layout at the typical (median) step, and of those the
        one whose distance curve runs closest to the typical curve."""
        distance = np.clip(np.asarray(self.arrays["layout_distance"], dtype=float), 0.0, 1.0)
        commit = np.asarray(self.arrays["commit_steps"], dtype=float)
        gaps = np.abs(distance - np.median(distance, axis=1, keepdims=True)).mean(axis=0)
        gaps = gaps + 10.0 * np.abs(commit - float(self.facts["commit_step"].value))
        return int(np.argmin(gaps))

    @staticmethod
    def fork_pictures(forks: PictureColumns, index: int) -> list:
        """The pictures of column ``index`` of the forks, top to bottom (each stack cell is a picture and its frame)."""
        return [cell[0] for cell in forks.columns[index][1]]

    def changed_picture(self, picture: PixelPicture, pixels: np.ndarray) -> PixelPicture:
        """How far ``pixels`` lies from the unforked ending at each pixel, grey (doubled, so a change of half the
        brightness range is white), in the place and size of ``picture``. For the eye only: no number is read from it."""
        difference = np.abs(pixels.astype(np.float64) - self.arrays["fork_reference_final"].astype(np.float64))
        grey = np.clip(2.0 * difference.mean(axis=-1), 0, 255).round().astype(np.uint8)
        shown_picture = PixelPicture(np.repeat(grey[..., None], 3, axis=-1), height=picture.height)
        return shown_picture.match_height(picture).move_to(picture)

    @staticmethod
    def reveal(items) -> list:
        """Animations that fade in ``items`` one after another (a capture with few forks may have none left to show)."""
        return [LaggedStart(*(FadeIn(item) for item in items), lag_ratio=0.3)] if items else []

    def distance_chart(self, distance: np.ndarray):
        """Each seed's layout distance over the steps, faint, and the typical (median) seed's, bold."""
        steps = len(distance)
        chart = LevelChart(
            x_max=float(steps), width=self.chart_width, height=3.6, x_label="step", y_label="layout still to decide",
            x_ticks=[(1.0, "1"), (float(steps), str(steps))],
            y_ticks=[(1.0, "as far as\nanother seed"), (0.0, "none")],
        ).move_to(self.chart_center)
        xs = np.arange(1, steps + 1, dtype=float)
        # A guess can lie further from its own ending than the other seeds' endings do; the chart stops at 1.
        clipped = np.clip(distance, 0.0, 1.0)
        curves = [chart.curve(xs, clipped[:, s], style.MODEL, stroke_width=1.5).set_stroke(opacity=0.35)
                  for s in range(distance.shape[1])]
        typical = chart.curve(xs, np.median(clipped, axis=1), style.MODEL, stroke_width=style.CURVE_STROKE)
        return chart, curves, typical
