"""Chapter "The starting point": the seed makes the starting noise, and one prompt walked from different seeds ends in different, equally good pictures.

It reads the seeds capture (``python -m pipeline capture seeds``): every seed's starting noise,
its guesses along the walk and its final picture for one prompt, and what the independent judge
sees in each final picture; every number it says or shows is one of that capture's facts or
arrays, and every picture one of its pictures (or, for "pixel by pixel", two of them taken one
from the other).
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
    LaggedStart,
    MoveToTarget,
    SurroundingRectangle,
    TransformFromCopy,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
    there_and_back,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PixelPicture, Reel, noisy_frame
from scenes.words import ChapterTitle, ReadsTheJudge, StepCounter, judge_words, prompt_words, words


def _filled_to(pixels: np.ndarray, share: float) -> np.ndarray:
    """The picture as a generator writes it: its first ``share`` of pixels in reading order, the rest empty."""
    flat = np.array(pixels, dtype=np.uint8).reshape(-1, pixels.shape[-1])
    flat[int(round(np.clip(share, 0.0, 1.0) * len(flat))):] = _EMPTY[: flat.shape[1]]
    return flat.reshape(pixels.shape)


# An empty pixel: the screen's own background, so an unwritten pixel is no colour at all.
_EMPTY = np.array([round(255 * c) for c in style.BACKGROUND.to_rgb()] + [255], dtype=np.uint8)


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two pictures taken one from the other, pixel by pixel and channel by channel: black where they agree."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).astype(np.uint8)


class StartingPoint(ReadsTheJudge, NarratedScene):
    """A seed writes the noise; a row of seeds walked to one prompt becomes a row of different pictures; all of them,
    two taken one from the other, sorted by what the judge sees; the seed picks one, and its walk plays."""

    big_height = 4.4  # the first seed's noise, large
    big_center = np.array([1.7, -0.45, 0.0])
    pixels_width = 3.6  # the camera's frame when it goes into the noise's pixels
    seed_center = np.array([-4.3, -0.45, 0.0])
    again_height = 3.1  # the noise beside the same seed's noise made again
    shifted_center = np.array([0.7, -0.45, 0.0])
    again_center = np.array([4.9, -0.45, 0.0])
    seeds_flicked = 6  # seeds the big picture runs through when "the seed changes"
    row_length = 5  # seeds walked side by side
    row_height = 1.75
    row_gap = 0.5
    row_shift = 1.1  # the rows sit right of centre, leaving the left for the row names
    noise_row_y = 1.45
    final_row_y = -1.95
    wide_height = 2.3  # the walked pictures alone, large, side by side
    wide_gap = 0.4
    wide_y = 0.45
    under_height = 1.2  # each picture's noise, back under it
    under_y = -2.55
    close_width = 5.0  # the camera's frame going along the row of pictures
    grid_columns = 8  # every seed's picture
    grid_area = (12.4, 5.1)  # width and height the grid may fill
    grid_center = np.array([0.0, -0.3, 0.0])
    pair_height = 3.2  # two seeds' pictures and their difference
    pair_spacing = 4.6
    pair_y = 0.35
    pair_seconds = 0.9  # how long each pair stays when the pairs change
    group_area = (12.8, 4.5)  # the pictures sorted by what the judge sees
    group_top = 2.35
    group_gap = 0.45
    family_scale = 0.48  # the family of pictures, aside, when the seed has picked one
    family_center = np.array([-3.4, -0.3, 0.0])
    picked_height = 4.2  # the picked picture, large, beside it
    picked_center = np.array([3.5, -0.3, 0.0])

    def tell(self) -> None:
        seeds, noise, finals = self.arrays["seeds"], self.arrays["start_noise_pictures"], self.arrays["finals"]

        # --- the starting noise
        title = ChapterTitle(self.title)
        big = PixelPicture(noise[0], height=self.big_height).move_to(self.big_center)
        big_frame = Frame(big)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.wait_until_bookmark("noise")
            self.play(title.animate.dock(), FadeIn(big), Create(big_frame), run_time=1.2)
            self.play(big_frame.animate.set_color(style.NOISY), run_time=0.4)
            # "every pixel a random colour": the camera goes into the noise until its pixels are squares
            corner = big.get_corner(UP + RIGHT) + np.array([-0.3 * big.width, -0.35 * big.height, 0.0])
            self.play_along(self.look_at(corner, self.pixels_width), least=1.2, most=4.0, leave=0.1)

        # --- from a seed: the seed starts a generator, and the generator writes the noise pixel by pixel
        seed = StepCounter(int(seeds[0]), label="seed").move_to(self.seed_center)
        seed_arrow = Arrow(seed.get_right(), big_frame.get_left(), buff=0.35, color=style.MUTED, stroke_width=style.ARROW_STROKE)
        generator = words("random numbers", size=style.SMALL_SIZE, color=style.MUTED)
        generator.next_to(seed_arrow, UP, buff=0.12)
        written = ValueTracker(1.0)
        big.add_updater(lambda m: m.show(_filled_to(noise[0], written.get_value())))
        again = PixelPicture(_filled_to(noise[0], 0.0), height=self.again_height).move_to(self.again_center)
        again_frame = noisy_frame(again)
        again_label = words(f"seed {int(seeds[0])}, made again", size=style.SMALL_SIZE, color=style.SEED)
        again_label.next_to(again_frame, DOWN, buff=0.2)
        rewritten = ValueTracker(0.0)
        same_sign, other_sign = (words(sign, size=style.TITLE_SIZE, color=style.HIGHLIGHT) for sign in ("=", "\u2260"))
        with self.narrate("seed"):
            self.play_along(self.camera_home(), least=0.8, most=3.0, leave=0.1)  # "Where does this noise come from?"
            self.wait_until_bookmark("seed")
            self.play(FadeIn(seed, shift=0.2 * RIGHT), GrowArrow(seed_arrow), FadeIn(generator), run_time=0.8)
            written.set_value(0.0)
            self.play_along(written.animate.set_value(1.0), rate_func=linear, least=1.5, most=3.5, leave=0.2)
            big.clear_updaters()
            self.wait_until_bookmark("same")
            big.generate_target().fit_in(self.again_height).move_to(self.shifted_center)
            moved_frame = noisy_frame(big.target)
            arrow_target = Arrow(seed.get_right(), moved_frame.get_left(), buff=0.35, color=style.MUTED, stroke_width=style.ARROW_STROKE)
            for sign in (same_sign, other_sign):
                sign.move_to((moved_frame.get_right() + again_frame.get_left()) / 2)
            self.play(MoveToTarget(big), big_frame.animate.become(moved_frame), seed_arrow.animate.become(arrow_target),
                      generator.animate.next_to(arrow_target, UP, buff=0.12), FadeIn(again), Create(again_frame),
                      FadeIn(again_label), run_time=0.8)
            # the same seed writes the same numbers again: the copy fills in, pixel for pixel the same
            again.add_updater(lambda m: m.show(_filled_to(noise[0], rewritten.get_value())))
            self.play_along(rewritten.animate.set_value(1.0), rate_func=linear, least=1.2, most=3.0, leave=0.6)
            again.clear_updaters()
            self.play(FadeIn(same_sign, scale=0.6), run_time=0.4)
            self.wait_until_bookmark("change")
            # The seed runs through a few values and the noise with it, while the copy stays the first seed's; it
            # ends on the first seed again, equal once more.
            flicked = list(range(1, min(self.seeds_flicked, len(seeds)))) + [0]
            pace = min(max((self.time_to_next_words() - 0.2) / len(flicked), 0.3), 0.9)
            for index in flicked:
                seed.set_value(int(seeds[index]))
                big.show(noise[index])
                shown_sign, hidden_sign = (same_sign, other_sign) if index == 0 else (other_sign, same_sign)
                self.remove(hidden_sign)
                self.add(shown_sign)
                self.wait(pace)

        # --- a row of seeds, one prompt, a row of pictures walked from them
        count = min(self.row_length, len(seeds))
        noise_row = self.picture_row(noise[:count], self.noise_row_y, self.row_height, self.row_gap, self.row_shift)
        seed_labels = VGroup(*(words(f"seed {int(s)}", size=style.SMALL_SIZE, color=style.SEED)
                               .next_to(f, DOWN, buff=0.15) for s, f in zip(seeds[:count], noise_row.frames)))
        final_row = self.picture_row(noise[:count], self.final_row_y, self.row_height, self.row_gap, self.row_shift)
        arrows = VGroup(*(Arrow(label.get_bottom(), f.get_top(), buff=0.15, color=style.MODEL, stroke_width=style.ARROW_STROKE)
                          for label, f in zip(seed_labels, final_row.frames)))
        left_edge = noise_row.frames.get_left()[0]
        noise_name = self.row_name("noise", style.NOISY, noise_row.frames, left_edge)
        picture_name = self.row_name("picture", style.SIGNAL, final_row.frames, left_edge)
        prompt = prompt_words(str(self.facts['prompt'].value))
        counter = StepCounter(0)
        prompt_label = VGroup(prompt, counter).arrange(DOWN, buff=0.15)
        prompt_label.move_to(np.array([(left_edge + self.frame_left()) / 2, arrows.get_y(), 0.0]))
        if prompt_label.width > left_edge - self.frame_left() - 0.3:
            prompt_label.width = left_edge - self.frame_left() - 0.3
        # each seed's walk: its noise, the model's guess after every step, its final picture
        walks = [self.walk_of(i) for i in range(count)]
        walked = ValueTracker(0.0)
        with self.narrate("row"):
            self.wait_until_bookmark("row")
            self.play(FadeOut(seed), FadeOut(seed_arrow), FadeOut(generator), FadeOut(again), FadeOut(again_frame),
                      FadeOut(again_label), FadeOut(same_sign),
                      big.animate.fit_in(self.row_height).move_to(noise_row.pictures[0]),
                      big_frame.animate.become(noise_row.frames[0]), run_time=1.0)
            self.remove(big, big_frame)
            self.add(noise_row.pictures[0], noise_row.frames[0])
            self.play_along(LaggedStart(*(FadeIn(Group(p, f), shift=0.3 * RIGHT) for p, f in
                                          zip(noise_row.pictures[1:], noise_row.frames[1:])), lag_ratio=0.2),
                            FadeIn(seed_labels), FadeIn(noise_name), least=1.0, most=3.5, leave=0.2)
            self.wait_until_bookmark("prompt")
            # the one prompt goes to every starting point
            self.play_along(FadeIn(prompt, shift=0.15 * RIGHT), LaggedStart(*(GrowArrow(a) for a in arrows),
                                                                            lag_ratio=0.15),
                            least=0.8, most=2.0, leave=0.2)
            self.wait_until_bookmark("walk")
            # each noise goes down its arrow, and the model walks it, all of them at once, step by step
            self.play(LaggedStart(*(TransformFromCopy(Group(p, f), Group(q, g)) for p, f, q, g in
                                    zip(noise_row.pictures, noise_row.frames, final_row.pictures, final_row.frames)),
                                  lag_ratio=0.1), FadeIn(counter), run_time=0.8)
            for picture, film in zip(final_row.pictures, walks):
                picture.add_updater(lambda m, film=film: m.show(film.frame_at(walked.get_value())))
            counter.add_updater(lambda m: m.set_value(round(walks[0].step_at(walked.get_value()))))
            self.play_along(walked.animate.set_value(walks[0].last), FadeIn(picture_name),
                            *(f.animate.set_color(style.SIGNAL) for f in final_row.frames),
                            rate_func=linear, least=2.5, most=5.0, leave=0.1)
            for mobject in (*final_row.pictures, counter):
                mobject.clear_updaters()

        # --- same prompt, different pictures: side by side and large; then each one's noise under it
        wide = self.picture_row(finals[:count], self.wide_y, self.wide_height, self.wide_gap, 0.0)
        for frame in wide.frames:
            frame.set_color(style.SIGNAL)
        under = self.picture_row(noise[:count], self.under_y, self.under_height, self.wide_gap, 0.0)
        for picture, frame, above in zip(under.pictures, under.frames, wide.frames):
            Group(picture, frame).set_x(above.get_x())
            frame.set_color(style.NOISY)
        ups = VGroup(*(Arrow(f.get_top(), g.get_bottom(), buff=0.1, color=style.MUTED, stroke_width=style.ARROW_STROKE)
                       for f, g in zip(under.frames, wide.frames)))
        with self.narrate("different"):
            self.wait_until_bookmark("pictures")
            self.play_along(FadeOut(Group(noise_row, seed_labels, arrows, noise_name, picture_name, counter)),
                            *(p.animate.fit_in(self.wide_height).move_to(q) for p, q in
                              zip(final_row.pictures, wide.pictures)),
                            *(f.animate.become(g) for f, g in zip(final_row.frames, wide.frames)),
                            prompt.animate.next_to(wide.frames, UP, buff=0.45),
                            least=1.0, most=2.0, leave=0.2)
            self.remove(*final_row.pictures, *final_row.frames)
            self.add(*wide.pictures, wide.frames)
            self.wait_until_bookmark("differ")
            # the camera goes along the row, from the first picture to the last: how they differ
            self.play(self.look_at(wide.frames[0], self.close_width), run_time=0.8)
            self.play_along(self.camera.frame.animate.move_to(wide.frames[-1]), least=1.0, most=4.5, leave=0.4,
                            rate_func=linear)
            self.wait_until_bookmark("open")
            # everything the prompt left open, the noise decided: each picture's noise comes back under it
            self.play_along(self.camera_home(), LaggedStart(*(FadeIn(Group(p, f), shift=0.3 * UP) for p, f in
                                                              zip(under.pictures, under.frames)), lag_ratio=0.15),
                            LaggedStart(*(GrowArrow(a) for a in ups), lag_ratio=0.15),
                            least=1.2, most=3.0, leave=0.2)

        # --- every seed: all of them; two taken one from the other; what the judge sees in them
        grid = self.picture_grid(finals)
        seed_count = words(f"{shown(self.facts['seed_count'])} seeds, one prompt", size=style.LABEL_SIZE,
                           color=style.MUTED)
        seed_count.next_to(grid.frames, UP, buff=0.25)
        with self.narrate("all"):
            self.wait_until_bookmark("grid")
            self.play(FadeOut(Group(under, ups, prompt)),
                      *(p.animate.fit_in(grid.side).move_to(g) for p, g in zip(wide.pictures, grid.pictures)),
                      *(f.animate.become(g) for f, g in zip(wide.frames, grid.frames)),
                      run_time=1.0)
            self.remove(*wide.pictures, *wide.frames)
            self.add(*grid.pictures[:count], *grid.frames[:count])
            # a small capture may have no seeds beyond the ones already on screen
            rest = [FadeIn(Group(p, f), scale=0.7) for p, f in zip(grid.pictures[count:], grid.frames[count:])]
            self.play_along(*([LaggedStart(*rest, lag_ratio=0.05)] if rest else []), FadeIn(seed_count),
                            least=1.0, most=2.5, leave=0.1)
            self.wait_until_bookmark("spread")
            if len(finals) >= 2:
                self.pixel_by_pixel(grid, seed_count, seeds, finals)
            self.wait_until_bookmark("judge")
            self.judged(grid, seed_count)

        # --- a family of pictures; the seed picks one, and its walk plays
        walk = self.walk_of(0)
        picked = PixelPicture(finals[0], height=self.picked_height).move_to(self.picked_center)
        picked_frame = Frame(picked, color=style.HIGHLIGHT)
        picked_seed = StepCounter(int(seeds[0]), label="seed")
        picked_seed.next_to(picked_frame, UP, buff=0.2)
        picked_counter = StepCounter(walk.step_at(walk.last))
        picked_counter.next_to(picked_frame, DOWN, buff=0.2)
        with self.narrate("end"):
            if self.sorted_by is not None:  # "a prompt does not point at one picture": back into one family
                self.play_along(*self.sorted_by, least=1.0, most=2.5, leave=0.2)
            family = SurroundingRectangle(grid.frames, buff=0.15, color=style.MODEL, stroke_width=style.MARK_STROKE,
                                          corner_radius=0.1)
            chosen = SurroundingRectangle(grid.frames[0], buff=0.06, color=style.HIGHLIGHT, stroke_width=5)
            self.wait_until_bookmark("family")
            self.play(Create(family), seed_count.animate.set_color(style.MODEL), run_time=1.0)
            self.wait_until_bookmark("pick")
            self.play(Create(chosen), run_time=0.4)
            others = list(range(1, min(len(grid.frames), self.seeds_flicked)))
            for index in [*others, 0] if others else []:
                self.play(chosen.animate.move_to(grid.frames[index]), run_time=0.25)
            # the family steps aside and the picked picture comes out of it, large: the one we get
            self.play(Group(*grid.pictures, grid.frames, family, chosen, seed_count).animate
                      .scale(self.family_scale).move_to(self.family_center), run_time=0.8)
            self.play(TransformFromCopy(Group(grid.pictures[0], grid.frames[0]), Group(picked, picked_frame)),
                      FadeIn(picked_seed), FadeIn(picked_counter), run_time=0.8)
            # its walk plays again from its noise: when, during the walk, is the choice made?
            walked.set_value(0.0)
            picked.add_updater(lambda m: m.show(walk.frame_at(walked.get_value())))
            picked_counter.add_updater(lambda m: m.set_value(round(walk.step_at(walked.get_value()))))
            self.play_along(walked.animate.set_value(walk.last), rate_func=linear, least=2.5, most=6.0, leave=0.0)
            for mobject in (picked, picked_counter):
                mobject.clear_updaters()

    # --- the parts of "all"

    def pixel_by_pixel(self, grid: Group, seed_count, seeds: np.ndarray, finals: np.ndarray) -> None:
        """Two seeds' pictures come out of the grid, side by side, and one is taken from the other: what is left is
        their difference, pixel by pixel, and the measured average over every pair grows out of it. Other pairs
        follow, while the narration goes on, and the last pair goes back into the grid."""
        places = [np.array([x * self.pair_spacing, self.pair_y, 0.0]) for x in (-1, 0, 1)]
        left = PixelPicture(finals[0], height=self.pair_height).move_to(places[0])
        right = PixelPicture(finals[1], height=self.pair_height).move_to(places[1])
        difference = PixelPicture(_difference(finals[0], finals[1]), height=self.pair_height).move_to(places[2])
        frames = [Frame(p, color=c) for p, c in zip((left, right, difference),
                                                    (style.SIGNAL, style.SIGNAL, style.HIGHLIGHT))]
        minus = words("\u2212", size=style.TITLE_SIZE).move_to((frames[0].get_right() + frames[1].get_left()) / 2)
        equals = words("=", size=style.TITLE_SIZE).move_to((frames[1].get_right() + frames[2].get_left()) / 2)
        names = [StepCounter(int(seeds[i]), label="seed").next_to(frames[i], DOWN, buff=0.2)
                 for i in (0, 1)]
        names.append(words("pixel by pixel", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
                     .next_to(frames[2], DOWN, buff=0.2))
        spread = words(f"two seeds' pictures differ by {shown(self.facts['seed_spread'])} of full brightness, "
                       f"on average", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        spread.next_to(Group(*names), DOWN, buff=0.45).set_x(0.0)
        if spread.width > self.grid_area[0]:
            spread.width = self.grid_area[0]
        grid_parts = Group(*grid.pictures[2:], *grid.frames[2:], seed_count)
        self.play(FadeOut(grid_parts),
                  TransformFromCopy(Group(grid.pictures[0], grid.frames[0]), Group(left, frames[0])),
                  TransformFromCopy(Group(grid.pictures[1], grid.frames[1]), Group(right, frames[1])),
                  FadeOut(Group(grid.pictures[0], grid.pictures[1], grid.frames[0], grid.frames[1])),
                  FadeIn(names[0]), FadeIn(names[1]), run_time=1.0)
        self.play(FadeIn(minus), FadeIn(equals), run_time=0.3)
        ghost = difference.copy()
        self.play(TransformFromCopy(Group(left, frames[0]), Group(difference, frames[2])),
                  TransformFromCopy(right, ghost), FadeIn(names[2]), run_time=1.0)
        self.remove(ghost)
        self.play(FadeIn(spread, target_position=difference.get_center(), scale=0.3), run_time=0.9)  # grows out of it
        # other pairs, while the narration goes on: every pair differs, and none is the right one
        pairs = [(i, i + 1) for i in range(2, len(finals) - 1, 2)]
        pair = (0, 1)
        for a, b in pairs:
            if self.time_to_next_words() < self.pair_seconds + 1.2:
                break
            left.show(finals[a])
            right.show(finals[b])
            difference.show(_difference(finals[a], finals[b]))
            names[0].set_value(int(seeds[a]))
            names[1].set_value(int(seeds[b]))
            pair = (a, b)
            self.wait(self.pair_seconds)
        # the pair goes back to its places in the grid, and the grid comes back
        self.play(FadeOut(Group(difference, frames[2], names[2], minus, equals, spread, names[0], names[1])),
                  Group(left, frames[0]).animate.move_to(grid.frames[pair[0]]).set(height=grid.frames[0].height),
                  Group(right, frames[1]).animate.move_to(grid.frames[pair[1]]).set(height=grid.frames[0].height),
                  FadeIn(Group(*(p for i, p in enumerate(grid.pictures) if i not in pair),
                               *(f for i, f in enumerate(grid.frames) if i not in pair), seed_count)),
                  run_time=min(max(self.time_to_next_words() - 0.1, 0.6), 1.2))
        self.remove(left, right, frames[0], frames[1])
        self.add(*(grid.pictures[i] for i in pair), *(grid.frames[i] for i in pair))

    def judged(self, grid: Group, seed_count) -> None:
        """What the judge (a classifier trained apart from the model) sees: the object in each picture (its frame turns
        the judge's yes, or its no where the object is missed), then the pictures sorted into groups, by colour and then
        by background (or by seen and missed). ``self.sorted_by`` is left as the animations that bring them back."""
        self.sorted_by = None
        count_place = np.array([0.0, grid.frames.get_bottom()[1] - 0.45, 0.0])
        if not self.facts["judged"].value:  # another model's pictures: the judge knows only the toy world's
            note = words("one prompt: only the seed set them apart", size=style.LABEL_SIZE, color=style.MODEL)
            self.play_along(FadeIn(note.move_to(count_place), shift=0.15 * UP), least=0.8, most=1.5)
            self.wait_until_bookmark("backgrounds")
            self.play_along(FadeOut(note), least=0.5, most=1.0)
            return
        presence = np.asarray(self.arrays["judged_presence"], dtype=float)
        seen = presence > float(self.capture.spec["judge"]["present_above"])
        thing = self.facts["object"].value
        verdict = judge_words(f"the judge: a {thing} in {shown(self.facts['judged_object_share'])} of them")
        verdict.move_to(count_place)
        # the judge reads the pictures one by one: each comes forward as it is read, and its frame says what
        # the judge saw
        self.play_along(LaggedStart(*(p.animate(rate_func=there_and_back).scale(1.18) for p in grid.pictures),
                                    lag_ratio=0.08),
                        LaggedStart(*(f.animate.set_color(style.JUDGE_YES if s else style.JUDGE_NO)
                                      for f, s in zip(grid.frames, seen)), lag_ratio=0.08),
                        FadeIn(verdict, shift=0.15 * UP), least=1.5, most=3.5, leave=0.3)
        home = [(f.get_center(), f.height) for f in grid.frames]
        cells = [Group(p, f) for p, f in zip(grid.pictures, grid.frames)]
        self.wait_until_bookmark("colours")
        if self.facts["all_judged_object"].value:
            keys, say = [str(c) for c in self.arrays["judged_colours"]], self.counted("judged_colour_count", "colour")
        else:
            keys, say = [thing if s else f"no {thing}" for s in seen], f"a {thing} in " \
                f"{shown(self.facts['judged_object_share'])}"
        headings = self.sort_into(cells, keys, say, VGroup(verdict, seed_count))
        self.wait_until_bookmark("backgrounds")
        if self.facts["all_judged_object"].value:
            headings = self.sort_into(cells, [str(b) for b in self.arrays["judged_backgrounds"]],
                                      self.counted("judged_background_count", "background"), headings)
        else:  # the camera goes to the pictures where the walk missed the object
            missed = Group(*(c for c, s in zip(cells, seen) if not s))
            self.play_along(self.look_at(missed, max(missed.width + 2.0, 0.45 * config.frame_width)), least=1.0,
                            most=3.0)
            self.play(self.camera_home(), run_time=0.8)
        self.sorted_by = [FadeOut(headings), FadeIn(seed_count), *(c.animate.move_to(spot).set(height=height)
                                                                   for c, (spot, height) in zip(cells, home))]

    def sort_into(self, cells: list[Group], keys: list[str], said: str, before) -> VGroup:
        """The pictures move into groups, one per key (the largest group first), each under its name, with the
        count said under them all; ``before`` (the words shown until now) goes. Returns the new words."""
        names = sorted(set(keys), key=lambda k: (-keys.count(k), keys.index(k)))
        members = [[i for i, k in enumerate(keys) if k == name] for name in names]
        side, places = self.group_places([len(m) for m in members])
        headings = VGroup()
        moves = []
        for name, indices, spots in zip(names, members, places):
            for index, spot in zip(indices, spots):
                moves.append(cells[index].animate.move_to(spot).set(height=side + 0.08))
            heading = words(name, size=style.SMALL_SIZE, color=style.MUTED)
            block_width = max(s[0] for s in spots) - min(s[0] for s in spots) + side
            if heading.width > block_width + 0.8 * self.group_gap:
                heading.width = block_width + 0.8 * self.group_gap
            heading.next_to(np.array([np.mean([s[0] for s in spots]), self.group_top, 0.0]), UP, buff=0.12)
            headings.add(heading)
        count = words(said, size=style.LABEL_SIZE, color=style.MODEL)
        lowest = min(spot[1] for spots in places for spot in spots) - side / 2
        count.next_to(np.array([0.0, lowest, 0.0]), DOWN, buff=0.35)
        self.play_along(FadeOut(before), *moves, least=1.0, most=2.0, leave=1.0)
        self.play(FadeIn(headings, shift=0.1 * DOWN), FadeIn(count, shift=0.15 * UP), run_time=0.6)
        return VGroup(headings, count)

    def group_places(self, sizes: list[int]) -> tuple[float, list[list[np.ndarray]]]:
        """Where each group's pictures go: groups side by side, top-aligned, each a block of rows of pictures; the
        number of rows is the one that lets the pictures be largest. Returns the pictures' side and the places."""
        width, height = self.group_area
        share = 0.12  # the gap between pictures, as a share of a picture's side
        best = None
        for rows in range(1, max(sizes) + 1):
            columns = [-(-n // rows) for n in sizes]
            across = sum(columns) * (1 + share) - len(sizes) * share
            side = min(height / (rows + (rows - 1) * share), (width - (len(sizes) - 1) * self.group_gap) / across)
            if best is None or side > best[0]:
                best = (side, columns)
        side, columns = best
        pitch = side * (1 + share)
        total = sum(c * pitch - side * share for c in columns) + (len(sizes) - 1) * self.group_gap
        x = -total / 2
        places = []
        for n, c in zip(sizes, columns):
            spots = [np.array([x + (k % c) * pitch + side / 2, self.group_top - (k // c) * pitch - side / 2, 0.0])
                     for k in range(n)]
            places.append(spots)
            x += c * pitch - side * share + self.group_gap
        return side, places

    # --- pieces of the chapter

    def walk_of(self, index: int) -> Reel:
        """Seed ``index``'s walk as a film: its noise, the model's guess of the final picture after every step, and
        its final picture; each frame's step is the number of steps taken."""
        noise, finals = self.arrays["start_noise_pictures"], self.arrays["finals"]
        guesses = np.asarray(self.arrays["predicted_clean_pictures"])  # (steps, seeds, H, W, 3)
        along = guesses[:, index] if guesses.ndim == 5 and guesses.shape[1] > index else noise[:0]
        frames = np.concatenate([noise[index][None], along, finals[index][None]])
        return Reel(frames, np.minimum(np.arange(len(frames)), len(along)))

    def counted(self, fact: str, thing: str) -> str:
        """'8 colours', '1 colour': a count fact and what it counts."""
        return f"{shown(self.facts[fact])} {thing}{'' if self.facts[fact].value == 1 else 's'}"

    @staticmethod
    def frame_left() -> float:
        return -config.frame_width / 2

    @staticmethod
    def picture_row(pictures: np.ndarray, y: float, height: float, gap: float, x: float) -> Group:
        """Pictures side by side at height ``y``, each in a frame, the row centred on ``x``."""
        shown_pictures = [PixelPicture(p, height=height) for p in pictures]
        Group(*shown_pictures).arrange(RIGHT, buff=gap).move_to(np.array([x, y, 0.0]))
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
        grid.pictures, grid.frames, grid.side = shown_pictures, frames, side
        return grid
