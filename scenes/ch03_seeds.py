"""Chapter "The starting point": the seed makes the starting noise, and one prompt walked from different seeds ends in different, equally good pictures.

It reads the seeds capture (``python -m pipeline capture seeds``): every seed's starting noise
and final picture for one prompt; every number it says or shows is one of that capture's
facts or arrays.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    Group,
    GrowArrow,
    Indicate,
    LaggedStart,
    MoveToTarget,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    Write,
    config,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PixelPicture
from scenes.words import ChapterTitle, ReadsTheJudge, StepCounter, words


class StartingPoint(ReadsTheJudge, NarratedScene):
    """A seed becomes noise; a row of seeds walked to one prompt becomes a row of different pictures; then all of them."""

    big_height = 4.4  # the first seed's noise, large
    big_center = np.array([1.7, -0.45, 0.0])
    seed_center = np.array([-4.3, -0.45, 0.0])
    again_height = 3.1  # the noise beside the same seed's noise made again
    shifted_center = np.array([0.7, -0.45, 0.0])
    again_center = np.array([4.9, -0.45, 0.0])
    seeds_flicked = 6  # seeds the big picture runs through when "the seed changes"
    flick_seconds = 0.55
    row_length = 5  # seeds walked side by side
    row_height = 1.75
    row_gap = 0.5
    row_shift = 1.1  # the rows sit right of centre, leaving the left for the row names
    noise_row_y = 1.45
    final_row_y = -1.95
    grid_columns = 8  # every seed's picture, at the end
    grid_area = (12.4, 5.1)  # width and height the grid may fill
    grid_center = np.array([0.0, -0.3, 0.0])

    def tell(self) -> None:
        seeds, noise, finals = self.arrays["seeds"], self.arrays["start_noise_pictures"], self.arrays["finals"]

        # --- the starting noise
        title = ChapterTitle(self.title)
        big = PixelPicture(noise[0], height=self.big_height).move_to(self.big_center)
        big_frame = Frame(big)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.wait_until_bookmark("noise")
            self.play(title.animate.scale(0.62).to_edge(UP, buff=0.3), FadeIn(big), Create(big_frame), run_time=1.2)
            self.play(big_frame.animate.set_color(style.NOISE), run_time=0.5)

        # --- from a seed
        seed = StepCounter(int(seeds[0]), label="seed", size=style.HEADING_SIZE).move_to(self.seed_center)
        seed_arrow = Arrow(seed.get_right(), big_frame.get_left(), buff=0.35, color=style.MUTED, stroke_width=4)
        generator = words("random numbers", size=style.SMALL_SIZE, color=style.MUTED)
        generator.next_to(seed_arrow, UP, buff=0.12)
        # the same seed's noise made again, beside it: the same, number for number
        again = PixelPicture(noise[0], height=self.again_height).move_to(self.again_center)
        again_frame = Frame(again, color=style.NOISE)
        again_label = words(f"seed {int(seeds[0])}, made again", size=style.SMALL_SIZE, color=style.MUTED)
        again_label.next_to(again_frame, DOWN, buff=0.2)
        same_sign, other_sign = (words(sign, size=style.TITLE_SIZE, color=style.HIGHLIGHT) for sign in ("=", "\u2260"))
        with self.narrate("seed"):
            self.wait_until_bookmark("seed")
            self.play(FadeIn(seed, shift=0.2 * RIGHT), run_time=0.8)
            self.play(GrowArrow(seed_arrow), FadeIn(generator), run_time=0.8)
            self.wait_until_bookmark("same")
            big.generate_target().fit_in(self.again_height).move_to(self.shifted_center)
            moved_frame = Frame(big.target, color=style.NOISE)
            arrow_target = Arrow(seed.get_right(), moved_frame.get_left(), buff=0.35, color=style.MUTED, stroke_width=4)
            self.play(MoveToTarget(big), big_frame.animate.become(moved_frame), seed_arrow.animate.become(arrow_target),
                      generator.animate.next_to(arrow_target, UP, buff=0.12), run_time=0.8)
            for sign in (same_sign, other_sign):
                sign.move_to((moved_frame.get_right() + again_frame.get_left()) / 2)
            self.play(TransformFromCopy(Group(big, big_frame), Group(again, again_frame)), FadeIn(again_label),
                      FadeIn(same_sign), run_time=1.0)
            self.wait_until_bookmark("change")
            # The seed runs through a few values and the noise with it, while the copy stays the first seed's; it
            # ends on the first seed again, equal once more.
            flicked = list(range(1, min(self.seeds_flicked, len(seeds)))) + [0]
            for index in flicked:
                seed.set_value(int(seeds[index]))
                big.show(noise[index])
                shown_sign, hidden_sign = (same_sign, other_sign) if index == 0 else (other_sign, same_sign)
                self.remove(hidden_sign)
                self.add(shown_sign)
                self.wait(self.flick_seconds)

        # --- a row of seeds, one prompt, a row of pictures
        count = min(self.row_length, len(seeds))
        noise_row = self.picture_row(noise[:count], self.noise_row_y)
        seed_labels = VGroup(*(words(f"seed {int(s)}", size=style.SMALL_SIZE, color=style.MUTED)
                               .next_to(f, DOWN, buff=0.15) for s, f in zip(seeds[:count], noise_row.frames)))
        final_row = self.picture_row(finals[:count], self.final_row_y)
        arrows = VGroup(*(Arrow(label.get_bottom(), f.get_top(), buff=0.15, color=style.MODEL, stroke_width=4)
                          for label, f in zip(seed_labels, final_row.frames)))
        left_edge = noise_row.frames.get_left()[0]
        noise_name = self.row_name("noise", style.NOISE, noise_row.frames, left_edge)
        picture_name = self.row_name("picture", style.SIGNAL, final_row.frames, left_edge)
        prompt = words(f"\u201c{self.facts['prompt'].value}\u201d", size=style.LABEL_SIZE, color=style.MODEL)
        prompt_steps = words(f"{shown(self.facts['steps'])} steps", size=style.SMALL_SIZE, color=style.MUTED)
        prompt_label = VGroup(prompt, prompt_steps).arrange(DOWN, buff=0.12)
        prompt_label.move_to(np.array([(left_edge + self.frame_left()) / 2, arrows.get_y(), 0.0]))
        with self.narrate("row"):
            self.wait_until_bookmark("row")
            self.play(FadeOut(seed), FadeOut(seed_arrow), FadeOut(generator), FadeOut(again), FadeOut(again_frame),
                      FadeOut(again_label), FadeOut(same_sign),
                      big.animate.fit_in(self.row_height).move_to(noise_row.pictures[0]),
                      big_frame.animate.become(noise_row.frames[0]), run_time=1.2)
            self.remove(big, big_frame)
            self.add(noise_row.pictures[0], noise_row.frames[0])
            self.play(LaggedStart(*(FadeIn(Group(p, f)) for p, f in
                                    zip(noise_row.pictures[1:], noise_row.frames[1:])), lag_ratio=0.15),
                      FadeIn(seed_labels), FadeIn(noise_name), run_time=1.2)
            self.wait_until_bookmark("prompt")
            self.play(FadeIn(prompt, shift=0.15 * RIGHT), run_time=0.8)
            self.wait_until_bookmark("walk")
            self.play(LaggedStart(*(GrowArrow(a) for a in arrows), lag_ratio=0.15), FadeIn(prompt_steps),
                      run_time=1.0)
            self.play(LaggedStart(*(FadeIn(Group(p, f), shift=0.2 * DOWN) for p, f in
                                    zip(final_row.pictures, final_row.frames)), lag_ratio=0.2),
                      FadeIn(picture_name), run_time=1.6)

        # --- same prompt, different pictures
        with self.narrate("different"):
            self.wait_until_bookmark("pictures")
            self.play(*(f.animate.set_color(style.SIGNAL) for f in final_row.frames), run_time=0.6)
            self.wait_until_bookmark("differ")
            self.play(LaggedStart(*(self.glance(f) for f in final_row.frames), lag_ratio=0.25), run_time=2.0)

        # --- every seed
        grid = self.picture_grid(finals)
        seed_count = words(f"{shown(self.facts['seed_count'])} seeds, one prompt", size=style.LABEL_SIZE,
                           color=style.MUTED)
        spread = words(f"two seeds' pictures differ by {shown(self.facts['seed_spread'])} of full brightness, "
                       f"on average", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        if self.facts["judged"].value:
            judged = words(f"a separate classifier: a {self.facts['object'].value} in "
                           f"{shown(self.facts['judged_object_share'])} of "
                           f"them, {self.counted('judged_colour_count', 'colour')}, "
                           f"{self.counted('judged_background_count', 'background')}", size=style.LABEL_SIZE,
                           color=style.MODEL)
        else:  # another model's pictures: the judge knows only the toy world's
            judged = words("one prompt: only the seed set them apart", size=style.LABEL_SIZE, color=style.MODEL)
        with self.narrate("all"):
            self.wait_until_bookmark("grid")
            self.play(FadeOut(Group(noise_row, seed_labels, arrows, noise_name, picture_name, prompt_label)),
                      *(Group(p, f).animate.move_to(g) for p, f, g in
                        zip(final_row.pictures, final_row.frames, grid.frames)),
                      *(p.animate.set(height=grid.frames[0].height - 0.06) for p in final_row.pictures),
                      *(f.animate.become(g) for f, g in zip(final_row.frames, grid.frames)),
                      run_time=1.2)
            self.remove(*final_row.pictures, *final_row.frames)
            self.add(*grid.pictures[:count], *grid.frames[:count])
            seed_count.next_to(grid.frames, UP, buff=0.25)
            # a small capture may have no seeds beyond the ones already on screen
            rest = [FadeIn(Group(p, f)) for p, f in zip(grid.pictures[count:], grid.frames[count:])]
            self.play(*([LaggedStart(*rest, lag_ratio=0.04)] if rest else []), FadeIn(seed_count), run_time=1.8)
            self.wait_until_bookmark("spread")
            spread.next_to(grid.frames, DOWN, buff=0.3)
            if spread.width > self.grid_area[0]:
                spread.width = self.grid_area[0]
            self.play(FadeIn(spread, shift=0.15 * UP), run_time=0.8)
            self.wait_until_bookmark("judge")
            judged.move_to(spread)
            if judged.width > self.grid_area[0]:
                judged.width = self.grid_area[0]
            self.play(FadeOut(spread, shift=0.15 * UP), FadeIn(judged, shift=0.15 * UP), run_time=0.8)

        # --- a family of pictures; the seed picks one
        family = SurroundingRectangle(grid.frames, buff=0.15, color=style.MODEL, stroke_width=3, corner_radius=0.1)
        chosen = SurroundingRectangle(grid.frames[0], buff=0.06, color=style.HIGHLIGHT, stroke_width=5)
        with self.narrate("end"):
            self.wait_until_bookmark("family")
            self.play(FadeOut(judged), Create(family), seed_count.animate.set_color(style.MODEL), run_time=1.0)
            self.wait_until_bookmark("pick")
            self.play(Create(chosen), run_time=0.6)
            for frame in grid.frames[1:min(len(grid.frames), self.seeds_flicked)]:
                self.play(chosen.animate.move_to(frame), run_time=0.35)

    # --- pieces of the chapter

    def counted(self, fact: str, thing: str) -> str:
        """'8 colours', '1 colour': a count fact and what it counts."""
        return f"{shown(self.facts[fact])} {thing}{'' if self.facts[fact].value == 1 else 's'}"


    @staticmethod
    def frame_left() -> float:
        return -config.frame_width / 2

    def picture_row(self, pictures: np.ndarray, y: float) -> Group:
        """Pictures side by side at height ``y``, each in a frame, the row right of centre."""
        shown_pictures = [PixelPicture(p, height=self.row_height) for p in pictures]
        Group(*shown_pictures).arrange(RIGHT, buff=self.row_gap).move_to(np.array([self.row_shift, y, 0.0]))
        frames = VGroup(*(Frame(p) for p in shown_pictures))
        row = Group(*shown_pictures, frames)
        row.pictures, row.frames = shown_pictures, frames
        return row

    def row_name(self, name: str, color, frames: VGroup, left_edge: float):
        """A row's name in the space left of it, centred there."""
        text = words(name, size=style.LABEL_SIZE, color=color)
        return text.move_to(np.array([(left_edge + self.frame_left()) / 2, frames.get_y(), 0.0]))

    def picture_grid(self, pictures: np.ndarray) -> Group:
        """Every picture in rows of ``grid_columns``, as large as the grid area allows."""
        columns = min(self.grid_columns, len(pictures))
        rows = -(-len(pictures) // columns)
        gap_share = 0.12  # the gap between pictures, as a share of a picture's side
        width, height = self.grid_area
        side = min(width / (columns + (columns - 1) * gap_share), height / (rows + (rows - 1) * gap_share))
        pitch = side * (1 + gap_share)
        shown_pictures = []
        for index, pixels in enumerate(pictures):
            row, column = divmod(index, columns)
            offset = np.array([(column - (columns - 1) / 2) * pitch, ((rows - 1) / 2 - row) * pitch, 0.0])
            shown_pictures.append(PixelPicture(pixels, height=side).move_to(self.grid_center + offset))
        frames = VGroup(*(Frame(p, color=style.SIGNAL) for p in shown_pictures))
        grid = Group(*shown_pictures, frames)
        grid.pictures, grid.frames = shown_pictures, frames
        return grid

    @staticmethod
    def glance(frame) -> Indicate:
        """A brief look at one picture: its frame lights up and settles back."""
        return Indicate(frame, color=style.HIGHLIGHT, scale_factor=1.08)
