"""Chapter "Noise, forward and backward": a toy-world picture dissolves into noise beside the curve of what is left of it, then the film runs backwards.

It reads the forward capture (``python -m pipeline capture forward``): the recorded frames,
their steps, how strong picture and noise are at each, and the nearest-picture match rate;
every number it says or shows is one of that capture's facts or arrays.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    BackgroundRectangle,
    Create,
    CurvedArrow,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    GrowArrow,
    LaggedStart,
    Line,
    Square,
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
from scenes.pictures import CaptionedPicture, Frame, PixelPicture, Reel, noisy_frame
from scenes.words import ChapterTitle, StepCounter, readout, words


class NoiseForwardBackward(NarratedScene):
    """A picture sinks into noise step by step, is marked lost, and rises again when the film runs backwards."""

    picture_height = 4.2
    picture_center = np.array([-3.7, -0.35, 0.0])
    chart_center = np.array([3.3, -0.3, 0.0])
    # How far through the schedule the film has run when each block that plays it forwards ends.
    share_after_noise_block = 0.1
    share_after_curves_block = 0.2
    share_after_fade_block = 0.7
    backward_seconds = 7.0
    actual_size = 0.6  # the picture's height at first, before it is enlarged
    share_first_noise = 0.02  # how far the film runs for "a little random noise"
    close_width = 9.5  # the camera's frame, close to the picture (all of it in view)
    step_close_width = 6.0  # ... close to the one step back
    strip_length = 6  # thumbnails in the closing film strip, evenly spaced through the film
    strip_height = 1.75
    guesses_per_second = 3.0  # the toy pictures shown in turn where the way back ends
    grid_columns = 8  # the test's candidate pictures
    grid_cell = 0.78
    grid_right = 6.85  # the grid's right edge at most, inside the frame

    def tell(self) -> None:
        film = Reel(self.arrays["frames"], self.arrays["timesteps"], levels={
            "picture": self.arrays["signal_level"], "noise": self.arrays["noise_level"]})
        self.film = film
        self.position = ValueTracker(0.0)

        # --- the picture
        title = ChapterTitle(self.title)
        shown_picture = CaptionedPicture(film.frame_at(0), str(self.facts["caption"].value), height=self.picture_height)
        shown_picture.move_to(self.picture_center)
        picture, frame, caption = shown_picture.picture, shown_picture.frame, shown_picture.caption
        counter = StepCounter(0).next_to(frame, UP, buff=0.3).align_to(frame, LEFT)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.wait_until_bookmark("picture")
            # at its own size first (32 pixels), then enlarged
            small = self.actual_size / self.picture_height
            shown_picture.scale(small)
            self.play(title.animate.dock(), FadeIn(picture), Create(frame),
                      run_time=1.2)
            self.wait_until_bookmark("enlarged")
            self.play_along(shown_picture.animate.scale(1 / small), least=1.0, most=3.0)
            self.play(FadeIn(caption, shift=0.2 * UP), run_time=0.8)

        last_step = float(self.arrays["timesteps"][-1])

        def at_share(share: float) -> float:
            """The film's position a given share of the way through the schedule."""
            return film.position_of_step(share * last_step)

        picture.add_updater(lambda m: m.show(film.frame_at(self.position.get_value())))
        counter.add_updater(lambda m: m.set_value(round(film.step_at(self.position.get_value()))))
        with self.narrate("noise") as tracker:
            self.play(FadeIn(counter), run_time=0.6)
            # a little noise at once, as it is said
            self.play_film_to(at_share(self.share_first_noise), max(tracker.time_until_bookmark("more") - 0.2, 0.0))
            self.wait_until_bookmark("more")
            self.play_film_to(at_share(self.share_after_noise_block), tracker.get_remaining_duration())

        # --- the chart of what is left
        steps = self.arrays["timesteps"]
        chart = LevelChart(
            x_max=float(steps[-1]),
            x_ticks=[(float(steps[0]), str(int(steps[0]))), (float(steps[-1]), str(int(steps[-1])))],
            y_ticks=[(1.0, "full"), (0.0, "none")],
        ).move_to(self.chart_center)
        picture_curve = chart.add_curve("picture", steps, self.arrays["signal_level"], style.SIGNAL)
        noise_curve = chart.add_curve("noise", steps, self.arrays["noise_level"], style.NOISE)
        picture_label = words("picture", size=style.LABEL_SIZE, color=style.SIGNAL)
        picture_label.next_to(chart.point(0, 1.0), UP, buff=0.12).align_to(chart.axes, LEFT).shift(0.3 * RIGHT)
        noise_label = words("noise", size=style.LABEL_SIZE, color=style.NOISE)
        # Below and right of the rising noise curve, far enough that the moving dot passes it by.
        label_step = 0.18 * last_step
        noise_label.next_to(chart.point(label_step, film.level_at("noise", at_share(0.18))), RIGHT + DOWN, buff=0.3)
        now_line = Line(chart.point(0, 0), chart.point(0, 1), color=style.MUTED, stroke_width=style.GUIDE_STROKE)
        now_line.add_updater(lambda m: m.put_start_and_end_on(*self.now_line_ends(chart)))
        picture_dot = self.dot_on(chart, "picture", style.SIGNAL)
        noise_dot = self.dot_on(chart, "noise", style.NOISE)
        with self.narrate("curves") as tracker:
            self.play(Create(chart.axes), FadeIn(chart.x_label, chart.y_label, chart.ticks), run_time=1.0)
            self.add(now_line)
            self.wait_until_bookmark("picture_curve")
            self.play(Create(picture_curve), FadeIn(picture_label), FadeIn(picture_dot), run_time=1.2)
            self.wait_until_bookmark("noise_curve")
            self.play(Create(noise_curve), FadeIn(noise_label), FadeIn(noise_dot), run_time=1.2)
            self.play_film_to(at_share(self.share_after_curves_block), tracker.get_remaining_duration())

        # --- fading
        half_step = float(self.facts["half_step"].value)
        half_position = film.position_of_step(half_step)
        # The curves cross at the half step; below the crossing, between them, is clear.
        half_readout = readout(shown(self.facts["signal_percent_at_half"]),
                               chart.point(half_step, film.level_at("picture", half_position)),
                               direction=DOWN, color=style.SIGNAL, buff=0.45)
        with self.narrate("fade") as tracker:
            self.play_film_to(half_position, tracker.time_until_bookmark("half"))
            self.play(FadeIn(half_readout, shift=0.1 * RIGHT), run_time=0.6)
            self.play_film_to(at_share(self.share_after_fade_block), tracker.get_remaining_duration())

        # --- the test that still finds the picture, and the step at which it loses it
        lost_step = float(self.facts["lost_step"].value)
        lost_position = film.position_of_step(lost_step)
        test_curve = chart.add_curve("test", steps, self.arrays["match_rate"], style.HIGHLIGHT)
        test_label = words("test finds it", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        test_label.next_to(chart.point(0.55 * last_step, 1.0), UP, buff=0.12)
        lost_marker = Marker(chart, lost_step, f"lost at\nstep {shown(self.facts['lost_step'])}")
        # Left of the line, in the open space between the falling picture and the risen noise.
        lost_marker.label.next_to(chart.point(lost_step, 0.62), LEFT, buff=0.15)
        lost_readout = readout(shown(self.facts["signal_percent_at_lost_step"]),
                               chart.point(lost_step, film.level_at("picture", lost_position)),
                               direction=LEFT, color=style.SIGNAL, buff=0.3)
        # the pictures the test chooses among, over the chart while they are spoken of: the original framed
        candidates = self.candidate_grid().move_to(self.chart_center)
        candidates.shift(min(self.grid_right - candidates.get_right()[0], 0.0) * RIGHT)
        own = SurroundingRectangle(candidates.cells[0], color=style.SIGNAL, buff=0.05, stroke_width=4)
        own_label = words("the closest: the original", size=style.SMALL_SIZE, color=style.SIGNAL)
        own_label.next_to(candidates.cells, DOWN, buff=0.2)
        card = BackgroundRectangle(Group(chart.axes, chart.x_label, chart.y_label, chart.ticks, picture_label, noise_label,
                                         candidates, own_label), color=style.BACKGROUND, fill_opacity=1.0, buff=0.15)
        with self.narrate("test") as tracker:
            self.play(FadeOut(half_readout), run_time=0.5)
            self.wait_until_bookmark("candidates")
            self.play_along(FadeIn(card), LaggedStart(*(FadeIn(c, scale=0.6) for c in candidates.cells),
                                                      lag_ratio=0.03), FadeIn(candidates.heading), least=1.4, most=4.0)
            self.wait_until_bookmark("closest")
            self.play(Create(own), FadeIn(own_label), run_time=0.8)
            self.wait_until_bookmark("test_curve")
            self.play(FadeOut(Group(card, candidates, own, own_label)), run_time=0.6)
            self.play(Create(test_curve), FadeIn(test_label), run_time=1.5)
            self.play_film_to(lost_position, tracker.time_until_bookmark("lost"))
            self.play(Create(lost_marker.line), FadeIn(lost_marker.label), FadeIn(lost_readout), run_time=0.8)
            # close to the picture while it is said to be lost in the noise
            self.play_along(self.look_at(frame, self.close_width), least=1.0, most=6.0)

        # --- pure noise
        pure_caption = words("pure noise", size=style.LABEL_SIZE, color=style.NOISY).move_to(caption)
        caption_again = caption.copy()  # for the way back; the caption itself turns into "pure noise"
        frame_colour = frame.get_color()  # the frame turns the noise's colour at pure noise, and back with the picture
        with self.narrate("end") as tracker:
            self.play(FadeOut(lost_readout), self.camera_home(), run_time=0.8)
            self.play_film_to(film.last, tracker.time_until_bookmark("pure"))
            self.play(FadeTransform(caption, pure_caption), frame.animate.set_color(style.NOISY), run_time=0.8)
            # close to the pure noise: what a model starts from
            self.play_along(self.look_at(Group(frame, pure_caption), self.close_width), least=1.0, most=4.0)

        # --- the same film, backwards
        backwards = words("backwards", size=style.LABEL_SIZE, color=style.MODEL)
        backwards.next_to(counter, RIGHT, buff=0.4).align_to(counter, DOWN)
        with self.narrate("backward"):
            self.play_along(self.camera_home(), least=0.8, most=1.5)
            self.wait_until_bookmark("rewind")
            self.play(FadeIn(backwards, shift=0.2 * LEFT), FadeOut(pure_caption), run_time=0.5)
            self.play_film_to(0, self.backward_seconds)
            self.play(FadeIn(caption_again, shift=0.2 * UP), frame.animate.set_color(frame_colour), run_time=0.8)

        # --- the catch: without the recording, every frame but the noise is unknown
        picture.clear_updaters()
        counter.clear_updaters()
        now_line.clear_updaters()
        picture_dot.clear_updaters()
        noise_dot.clear_updaters()
        strip = self.film_strip()
        with self.narrate("catch") as tracker:
            self.wait_until_bookmark("strip")
            self.play(
                FadeOut(Group(chart.axes, chart.x_label, chart.y_label, chart.ticks, picture_curve, noise_curve,
                              test_curve, picture_label, noise_label, test_label, lost_marker, now_line,
                              picture_dot, noise_dot, counter, backwards, caption_again, frame)),
                picture.animate.set(height=strip.pictures[0].height).move_to(strip.pictures[0]),
                run_time=1.2,
            )
            self.remove(picture)
            self.add(strip.pictures[0])
            self.play(LaggedStart(*(FadeIn(Group(p, f)) for p, f in zip(strip.pictures[1:], strip.frames[1:])),
                                  lag_ratio=0.15),
                      FadeIn(strip.frames[0]), FadeIn(strip.labels), run_time=1.5)
            self.play(GrowArrow(strip.arrow), FadeIn(strip.arrow_label), run_time=0.8)
            self.wait_until_bookmark("unknown")
            self.play(*(FadeOut(Group(p, f)) for p, f in zip(strip.pictures[:-1], strip.frames[:-1])),
                      *(FadeIn(u) for u in strip.unknowns), FadeOut(strip.labels[:-1]), run_time=1.2)
            self.wait_until_bookmark("given")
            given = words("noise + a prompt", size=style.LABEL_SIZE, color=style.MODEL)
            given.next_to(strip.frames[-1], UP, buff=0.3)
            self.play(FadeIn(given, shift=0.2 * DOWN), strip.frames[-1].animate.set_color(style.MODEL), run_time=0.8)
            # which picture lies at the end of the way back, nothing in the noise says: any of the toy pictures could
            possible = self.arrays["candidates"]
            turn = ValueTracker(0.0)
            maybe = PixelPicture(possible[0], height=strip.pictures[0].height).move_to(strip.unknowns[0])
            maybe.add_updater(lambda m: m.show(possible[int(turn.get_value()) % len(possible)]))
            self.play(FadeOut(strip.unknowns[0][1]), FadeIn(maybe), run_time=0.4)
            seconds = max(tracker.time_until_bookmark("learn") - 0.4, 1 / config.frame_rate)
            self.play(turn.animate.set_value(seconds * self.guesses_per_second), rate_func=linear, run_time=seconds)
            maybe.clear_updaters()
            self.play(FadeOut(maybe), FadeIn(strip.unknowns[0][1]), run_time=0.4)
            self.wait_until_bookmark("learn")
            one_step = CurvedArrow(strip.frames[-1].get_top() + 0.1 * UP + 0.2 * LEFT,
                                   strip.unknowns[-1].get_top() + 0.1 * UP + 0.2 * RIGHT,
                                   angle=0.9, color=style.HIGHLIGHT, stroke_width=4)
            step_label = words("one step back", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
            step_label.next_to(one_step, UP, buff=0.12)
            self.play(FadeOut(given), Create(one_step), FadeIn(step_label), run_time=1.0)
            # close to that one step: from the noise to the unknown picture one step before it
            self.play_along(self.look_at(Group(strip.frames[-1], strip.unknowns[-1], one_step, step_label),
                                         self.step_close_width), least=1.0, most=5.0)

    # --- pieces of the chapter

    def play_film_to(self, position: float, seconds: float) -> None:
        """Run the film to ``position`` in ``seconds`` at an even pace (at once if there is no time)."""
        if seconds < 1 / config.frame_rate:
            self.position.set_value(position)
            return
        self.play(self.position.animate.set_value(position), run_time=seconds, rate_func=linear)

    def now_line_ends(self, chart: LevelChart) -> tuple[np.ndarray, np.ndarray]:
        step = self.film.step_at(self.position.get_value())
        return chart.point(step, 0), chart.point(step, 1)

    def dot_on(self, chart: LevelChart, level: str, color) -> Dot:
        def follow(dot: Dot) -> None:
            position = self.position.get_value()
            dot.move_to(chart.point(self.film.step_at(position), self.film.level_at(level, position)))

        dot = Dot(radius=0.09, color=color)
        follow(dot)
        dot.add_updater(follow)
        return dot

    def candidate_grid(self) -> Group:
        """The test's candidate pictures in a grid, index 0 (the picture itself) first, with a frame ready for it."""
        pixels = self.arrays["candidates"]
        columns = min(self.grid_columns, len(pixels))
        cells = Group(*(Group(p := PixelPicture(c, height=self.grid_cell), Frame(p, buff=0.01)) for c in pixels))
        cells.arrange_in_grid(cols=columns, buff=0.12)
        heading = words(f"{len(pixels)} toy pictures, one of them the original", size=style.SMALL_SIZE,
                        color=style.MUTED).next_to(cells, UP, buff=0.2)
        grid = Group(heading, cells)
        grid.cells, grid.heading = cells, heading
        return grid

    def film_strip(self) -> VGroup:
        """Thumbnails of the film from the clean picture (left) to pure noise (right), steps under each,
        an arrow for the way generation runs, and the question marks that replace the unknown frames."""
        film = self.film
        positions = np.linspace(0, film.last, self.strip_length).round().astype(int)
        pictures = [PixelPicture(film.frames[p], height=self.strip_height) for p in positions]
        Group(*pictures).arrange(RIGHT, buff=0.38).move_to(0.2 * UP)
        frames = [Frame(p) for p in pictures[:-1]] + [noisy_frame(pictures[-1])]  # the last: pure noise
        labels = VGroup(*(words(f"step {int(film.timesteps[p])}", size=style.SMALL_SIZE, color=style.MUTED)
                          .next_to(f, DOWN, buff=0.2) for p, f in zip(positions, frames)))
        arrow = Arrow(frames[-1].get_bottom() + 1.05 * DOWN, frames[0].get_bottom() + 1.05 * DOWN,
                      color=style.MODEL, stroke_width=style.ARROW_STROKE, buff=0)
        arrow.set_x(Group(*frames).get_x())
        arrow_label = words("generation runs this way", size=style.LABEL_SIZE, color=style.MODEL)
        arrow_label.next_to(arrow, DOWN, buff=0.2)
        unknowns = [VGroup(DashedVMobject(Square(f.width, color=style.MUTED, stroke_width=style.GUIDE_STROKE), num_dashes=24),
                           words("?", size=style.HEADING_SIZE, color=style.MUTED)).move_to(f)
                    for f in frames[:-1]]
        strip = VGroup(VGroup(*frames), labels, arrow, arrow_label)
        strip.pictures, strip.frames, strip.labels = pictures, frames, labels
        strip.arrow, strip.arrow_label, strip.unknowns = arrow, arrow_label, unknowns
        return strip
