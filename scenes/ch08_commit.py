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
    BackgroundRectangle,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
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
from scenes.charts import LevelChart, Marker
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Film, Frame, PictureColumns, PixelPicture
from scenes.words import ChapterTitle, LiveText, StepCounter, words


def layout_picture(pixels: np.ndarray, blocks: int) -> np.ndarray:
    """The picture as ``blocks`` x ``blocks`` blocks of mean colour, blown back up to its size: the layout, drawn.

    The same reduction as the capture's layout measure (pipeline/experiments/measures.py), for
    the screen only; no number is taken from it.
    """
    h, w = pixels.shape[:2]
    means = pixels.astype(np.float64).reshape(blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))
    return np.round(means).astype(np.uint8).repeat(h // blocks, axis=0).repeat(w // blocks, axis=1)


class WhenSeedMatters(NarratedScene):
    """Seeds' guesses settling on a layout early, the measured commit step, and forks of one walk that change less the later they split."""

    row_seeds = 6  # seeds whose guesses play side by side (or all, if the capture has fewer)
    row_height = 1.75
    row_y = 0.2
    layout_height = 2.3
    chart_center = np.array([2.2, -0.35, 0.0])  # the chart's whole group, axis words included
    chart_width = 5.6
    fork_width = 10.4
    fork_height = 5.0
    fork_gap = 0.3
    fork_top = 2.4

    def tell(self) -> None:
        guesses = self.arrays["predicted_clean_pictures"]  # (steps, seeds, H, W, 3)
        steps = len(guesses)
        seeds = min(self.row_seeds, guesses.shape[1])
        position = ValueTracker(0.0)  # guess index: 0 is the first step's guess

        # --- many seeds, one prompt
        title = ChapterTitle(self.title)
        prompt = words(f"\u201c{self.facts['prompt'].value}\u201d", size=style.LABEL_SIZE, color=style.MODEL)
        films = [Film(guesses[:, s], np.arange(1, steps + 1)) for s in range(seeds)]
        row = Group(*(PixelPicture(films[s].frame_at(0), height=self.row_height) for s in range(seeds)))
        row.arrange(RIGHT, buff=0.3).move_to(np.array([0.0, self.row_y, 0.0]))
        frames = VGroup(*(Frame(p) for p in row))
        seed_labels = VGroup(*(words(f"seed {int(self.arrays['seeds'][s])}", size=style.SMALL_SIZE, color=style.MUTED)
                               .next_to(f, DOWN, buff=0.15) for s, f in enumerate(frames)))
        guess_word = words("each seed's guess of its finished picture", size=style.LABEL_SIZE, color=style.MODEL)
        guess_word.next_to(frames, UP, buff=0.3)
        counter = StepCounter(1).next_to(seed_labels, DOWN, buff=0.45)
        for s, picture in enumerate(row):
            picture.add_updater(lambda m, s=s: m.show(films[s].frame_at(position.get_value())))
        counter.add_updater(lambda m: m.set_value(int(round(position.get_value())) + 1))
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.scale(0.62).to_edge(UP, buff=0.3), run_time=0.8)
            prompt.next_to(title, DOWN, buff=0.25)
            self.wait_until_bookmark("seeds")
            self.play(FadeIn(prompt), LaggedStart(*(FadeIn(Group(p, f)) for p, f in zip(row, frames)), lag_ratio=0.1),
                      FadeIn(seed_labels), FadeIn(guess_word), FadeIn(counter), run_time=1.2)
        with self.narrate("question") as tracker:
            self.wait_until_bookmark("walk")
            seconds = tracker.time_until_bookmark("when")
            if seconds < 1 / config.frame_rate:
                position.set_value(steps - 1)
            else:
                self.play(position.animate.set_value(steps - 1), rate_func=linear, run_time=seconds)

        # --- a layout, and how far each guess's layout still is from its ending's
        blocks = int(self.facts["layout_blocks"].value)
        example = self.typical_seed()
        final = PixelPicture(self.arrays["finals"][example], height=self.layout_height)
        layout = PixelPicture(layout_picture(self.arrays["finals"][example], blocks), height=self.layout_height)
        Group(final, layout).arrange(DOWN, buff=0.75).move_to(np.array([-4.6, -0.55, 0.0]))
        final_frame, layout_frame = Frame(final), Frame(layout)
        final_label = words("a finished picture", size=style.SMALL_SIZE, color=style.MUTED)
        final_label.next_to(final_frame, UP, buff=0.12)
        layout_label = words(f"its layout: {blocks} by {blocks} blocks", size=style.SMALL_SIZE, color=style.MUTED)
        layout_label.next_to(layout_frame, UP, buff=0.12)
        for picture in row:
            picture.clear_updaters()
        counter.clear_updaters()
        with self.narrate("layout"):
            self.play(FadeOut(Group(*row[1:], *frames[1:], *seed_labels, guess_word, counter)),
                      row[0].animate.move_to(final).set(height=final.height), frames[0].animate.become(final_frame),
                      run_time=1.0)
            # The moving copies hand over to the finished picture and its frame, which the chapter keeps using.
            self.remove(row[0], frames[0])
            self.add(final, final_frame)
            self.play(FadeIn(final_label), run_time=0.5)
            self.wait_until_bookmark("layout")
            self.play(FadeIn(layout), Create(layout_frame), FadeIn(layout_label), run_time=1.0)

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
        # The typical seed walked again: its guess's layout (where the finished picture stood) beside the layout it
        # ends with, and a dot on its own curve at the same step, so the distance is seen where it is measured.
        own = np.clip(self.arrays["layout_distance"][:, example], 0.0, 1.0)
        walked = ValueTracker(0.0)  # guess index
        guess_layouts = Film(np.stack([layout_picture(g, blocks) for g in guesses[:, example]]), np.arange(1, steps + 1))
        guess_layout = PixelPicture(guess_layouts.frame_at(0), height=self.layout_height).move_to(final)
        guess_label = LiveText(lambda: f"its guess at step {int(round(walked.get_value())) + 1}, as layout",
                               size=style.SMALL_SIZE, color=style.MODEL)
        guess_label.next_to(final_frame, UP, buff=0.12)
        ending_label = words("the layout it ends with", size=style.SMALL_SIZE, color=style.MUTED)
        ending_label.move_to(layout_label)
        own_curve = chart.curve(np.arange(1, steps + 1, dtype=float), own, style.HIGHLIGHT, stroke_width=2.5)
        dot = Dot(chart.point(1, own[0]), radius=0.09, color=style.HIGHLIGHT)

        def at_step(position: float) -> np.ndarray:
            return chart.point(position + 1, float(np.interp(position, np.arange(steps), own)))

        def follow(mobject) -> None:
            mobject.show(guess_layouts.frame_at(walked.get_value()))

        with self.narrate("distance") as tracker:
            self.play(Create(chart.axes), FadeIn(chart.x_label, chart.y_label, chart.ticks), run_time=1.0)
            self.wait_until_bookmark("curves")
            self.play(LaggedStart(*(Create(c) for c in curves), lag_ratio=0.03), run_time=2.0)
            self.play(Create(typical), run_time=1.0)
            self.wait_until_bookmark("first")
            self.play(FadeOut(final), FadeIn(guess_layout), FadeOut(final_label), FadeIn(guess_label),
                      FadeOut(layout_label), FadeIn(ending_label), Create(own_curve), FadeIn(dot, scale=0.5),
                      FadeIn(first_card), FadeIn(first_readout, shift=0.1 * LEFT), run_time=0.8)
            self.wait_until_bookmark("threshold")
            self.play(Create(threshold_line), FadeIn(threshold_label), run_time=0.8)
            # The walk to where it stays under the line, its guess's layout turning into its ending's.
            guess_layout.add_updater(follow)
            dot.add_updater(lambda m: m.move_to(at_step(walked.get_value())))
            guess_label.add_updater(lambda m: m.refresh())
            rest = max(tracker.get_remaining_duration(), 1 / config.frame_rate)
            self.play(walked.animate.set_value(commit_step - 1), rate_func=linear, run_time=rest)

        spread = words(f"earliest step {shown(self.facts['commit_step_earliest'])}, latest {shown(self.facts['commit_step_latest'])}",
                       size=style.SMALL_SIZE, color=style.MUTED)
        commit_steps = np.asarray(self.arrays["commit_steps"], dtype=float)
        quick = curves[int(np.argmin(commit_steps))]
        slow = curves[int(np.argmax(commit_steps))]
        with self.narrate("commit") as tracker:
            self.wait_until_bookmark("commit")
            self.play(Create(marker.line), FadeIn(marker.label), run_time=0.8)
            self.wait_until_bookmark("spread")
            spread.next_to(chart.axes, DOWN, buff=0.7).align_to(chart.axes, RIGHT)
            self.play(FadeIn(spread), quick.animate.set_stroke(color=style.SIGNAL, opacity=1.0, width=2.5),
                      slow.animate.set_stroke(color=style.NOISE, opacity=1.0, width=2.5), run_time=0.8)
            # and on to the end of the walk: after the line, its layout only fills in
            rest = max(tracker.get_remaining_duration(), 1 / config.frame_rate)
            self.play(walked.animate.set_value(steps - 1), rate_func=linear, run_time=rest)
        for mobject in (guess_layout, dot, guess_label):
            mobject.clear_updaters()

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
        with self.narrate("forks"):
            self.play(FadeOut(Group(chart, *curves, typical, own_curve, dot, first_card, first_readout, threshold_line,
                                    threshold_label, marker, spread, guess_layout, final_frame, guess_label, layout,
                                    layout_frame, ending_label, prompt)),
                      run_time=0.8)
            self.wait_until_bookmark("walk")
            self.play(FadeIn(reference), Create(reference_frame), FadeIn(reference_label), run_time=0.8)
            self.wait_until_bookmark("fork")
            self.play(FadeIn(fork_heading),
                      LaggedStart(*(FadeIn(column) for column in forks.columns), lag_ratio=0.2), run_time=2.5)

        settled = int(np.searchsorted(fork_steps, float(self.facts["fork_settled_step"].value)))
        settled = min(settled, len(fork_steps) - 1)
        # Each fork's ending against the unforked ending, pixel by pixel: bright where fresh noise changed it.
        changes = [[self.changed_picture(picture, column) for picture, column in zip(self.fork_pictures(forks, i),
                                                                                     self.arrays["fork_finals"][i])]
                   for i in range(len(fork_steps))]
        change_key = words("bright: what fresh\nnoise changed", size=style.SMALL_SIZE, color=style.MUTED)
        change_key.next_to(reference_frame, DOWN, buff=0.35)

        def show_changes(columns, seconds: float) -> None:
            if columns:
                self.play(LaggedStart(*(FadeIn(Group(*changes[i])) for i in columns), lag_ratio=0.3), run_time=seconds)

        with self.narrate("change"):
            self.wait_until_bookmark("first")
            self.play(FadeIn(share_heading), FadeIn(shares[0]), FadeIn(share_meaning), FadeIn(change_key),
                      FadeIn(Group(*changes[0])), run_time=1.0)
            self.wait_until_bookmark("settled")
            show_changes(range(1, settled + 1), 1.2)
            self.reveal(shares[1:settled + 1], 0.8)
            self.play(Indicate(forks.columns[settled], color=style.HIGHLIGHT, scale_factor=1.03), run_time=0.8)
            self.wait_until_bookmark("last")
            show_changes(range(settled + 1, len(fork_steps)), 1.0)
            self.reveal(shares[settled + 1:], 0.8)

        early_columns = forks.columns[:settled] if settled else forks.columns[:1]
        early = SurroundingRectangle(Group(*(column[1] for column in early_columns)), color=style.NOISE, buff=0.1)
        with self.narrate("end"):
            self.wait_until_bookmark("early")
            # the endings again: the early forks' differ in layout, the later ones' only in details
            self.play(Create(early), FadeOut(Group(*(c for column in changes for c in column))), FadeOut(change_key),
                      run_time=1.0)

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

    def reveal(self, items, seconds: float) -> None:
        """Fade in ``items`` one after another (a capture with few forks may have none left to show)."""
        if items:
            self.play(LaggedStart(*(FadeIn(item) for item in items), lag_ratio=0.3), run_time=seconds)

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
