"""Chapter "The walk": the model's walk from noise to a picture, each step's noisy picture beside its guess of the finished picture, and the path both take across the map of pictures.

It reads the walk capture (``python -m pipeline capture walk``) for the pictures and every
number it says, and the map capture (``python -m pipeline capture map``) for the map's two
axes, on which it places the walk's own pictures, so the path always belongs to the pictures shown; and
the seeds capture for finished pictures that arrive at their own points on the map.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    DashedLine,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    GrowArrow,
    Indicate,
    LaggedStart,
    Line,
    Square,
    ValueTracker,
    VGroup,
    VMobject,
    Write,
    config,
    interpolate_color,
    linear,
)

from scenes import pictures, style
from scenes.charts import LabelledMap, finished_pictures_xy, picture_map_xy
from scenes.narration import NarratedScene
from scenes.pictures import Frame, PixelPicture, Reel, noisy_frame
from scenes.words import ChapterTitle, LiveText, StepCounter, prompt_words, words


class TheWalk(NarratedScene):
    """Noise and the model's guess side by side, one step at a time, then the same walk traced on the map of pictures."""

    # The two pictures large, side by side, while the narration explains them.
    big_height = 3.7
    big_centers = (np.array([-3.3, -0.45, 0.0]), np.array([3.3, -0.45, 0.0]))
    # Then smaller on the left, the map on the right.
    small_height = 3.0
    small_centers = (np.array([-5.1, -0.3, 0.0]), np.array([-1.75, -0.3, 0.0]))
    map_width, map_height = 5.6, 4.7
    map_center = np.array([3.45, -0.2, 0.0])
    map_room = 0.12  # share of the walk's extent added on every side of the map
    # The step counter: centred above the two large pictures, then above the two small ones.
    counter_centers = (np.array([0.0, 2.55, 0.0]), np.array([-3.4, 2.3, 0.0]))
    step_arrow_drop = 0.85  # how far under the pictures the "small step" arrow runs, clear of the readouts
    first_step_seconds = 1.6
    thumbnail_height = 0.9  # the finished picture pinned to the end of the path
    ending_seconds = 1.2  # the walk's ending shown over its first guess
    replay_seconds = 5.0  # the walk played once more at the end
    close_width = 8.5  # the camera's frame, close to the noise (the whole picture in view)
    guess_close_width = 9.5  # ... close to the first guess, its label and readout in view
    end_room = 1.2  # ... close to the whole map at the walk's end, this much wider than the map
    others_height = 0.42  # other finished pictures, as they arrive at their points on the map

    def tell(self) -> None:
        pictures_map = self.captures["map"]
        seen = self.arrays["trajectory_pictures"]  # the starting noise, then the state after each step
        guesses = self.arrays["predicted_clean_pictures"]  # the guess made at each step
        steps = len(guesses)
        # Position p on the walk: p steps taken. The picture seen is the film of states at p; the
        # guess shown is the one the last step made (guess i belongs to step i + 1).
        self.seen_film = Reel(seen, np.arange(len(seen)))
        self.guess_film = Reel(guesses, np.arange(1, steps + 1))
        self.position = ValueTracker(0.0)
        self.steps = steps
        noise_percent = np.append(100 * self.arrays["noise_level"], 0.0)  # what is left of the noise after p steps
        guess_off = self.arrays["guess_distance"]

        # --- the prompt and the noise
        title = ChapterTitle(self.title)
        prompt = prompt_words(str(self.facts['prompt'].value))
        seen_picture = PixelPicture(seen[0], height=self.big_height).move_to(self.big_centers[0])
        seen_frame = noisy_frame(seen_picture)
        seen_label = words("what the model sees", size=style.LABEL_SIZE).next_to(seen_frame, UP, buff=0.2)
        noise_readout = LiveText(lambda: f"noise {noise_percent[self.step_now()]:.0f}%", size=style.SMALL_SIZE,
                                 color=style.NOISY)
        noise_readout.add_updater(lambda m: m.refresh().next_to(seen_frame, DOWN, buff=0.2))
        counter = StepCounter(0).move_to(self.counter_centers[0])
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.dock(), run_time=0.8)
            prompt.next_to(title, DOWN, buff=0.35)
            self.wait_until_bookmark("prompt")
            self.play(FadeIn(prompt, shift=0.2 * DOWN), run_time=0.8)
            self.wait_until_bookmark("noise")
            self.play(FadeIn(seen_picture), Create(seen_frame), FadeIn(noise_readout),
                      prompt.animate.next_to(title, DOWN, buff=0.2).to_edge(LEFT, buff=0.6),
                      run_time=1.0)
            self.wait_until_bookmark("sees")
            self.play(FadeIn(seen_label, shift=0.1 * DOWN), FadeIn(counter), run_time=0.8)
            # close to the noise: nothing in it but random colours
            self.play_along(self.look_at(seen_frame, self.close_width), least=1.0, most=3.0)

        # --- the first guess
        guess_picture = PixelPicture(guesses[0], height=self.big_height).move_to(self.big_centers[1])
        guess_frame = pictures.guess_frame(guess_picture)
        guess_label = words("its guess of the finished picture", size=style.LABEL_SIZE, color=style.GUESS)
        guess_label.next_to(guess_frame, UP, buff=0.2)
        unknown = VGroup(DashedVMobject(Square(guess_frame.width, color=style.MUTED, stroke_width=style.GUIDE_STROKE), num_dashes=40),
                         words("?", size=style.TITLE_SIZE, color=style.MUTED)).move_to(guess_frame)
        guess_readout = LiveText(lambda: f"{guess_off[max(self.step_now(), 1) - 1]:.1f}% away from the final picture",
                                 size=style.SMALL_SIZE, color=style.MODEL)
        guess_readout.add_updater(lambda m: m.refresh().next_to(guess_frame, DOWN, buff=0.2))
        guess_arrow = Arrow(seen_frame.get_right(), guess_frame.get_left(), buff=0.25, color=style.MODEL,
                            stroke_width=style.ARROW_STROKE)
        guess_word = words("guess", size=style.SMALL_SIZE, color=style.MODEL).next_to(guess_arrow, UP, buff=0.1)
        ending = PixelPicture(self.arrays["final_picture"], height=self.big_height).move_to(guess_picture)
        ending_label = words("where this walk will end", size=style.LABEL_SIZE, color=style.SIGNAL).move_to(guess_label)
        with self.narrate("guess"):
            self.play(self.camera_home(), FadeIn(unknown), FadeIn(guess_label), run_time=1.0)
            self.wait_until_bookmark("guess")
            self.play(GrowArrow(guess_arrow), FadeIn(guess_word), run_time=0.8)
            self.play_along(FadeOut(unknown), FadeIn(guess_picture), Create(guess_frame), least=1.0, most=2.0)
            self.wait_until_bookmark("blur")
            # close to the guess: a blur
            self.play_along(self.look_at(guess_frame, self.guess_close_width), least=1.0, most=2.5)
            self.wait_until_bookmark("away")
            # where the walk will end, laid over the blur for a moment: the distance the readout gives
            guess_readout.refresh(force=True).next_to(guess_frame, DOWN, buff=0.2)
            self.play(FadeIn(ending), FadeOut(guess_label), FadeIn(ending_label), FadeIn(guess_readout, shift=0.1 * UP),
                      run_time=0.7)
            self.wait(self.ending_seconds)
            self.play(FadeOut(ending), FadeOut(ending_label), FadeIn(guess_label), self.camera_home(), run_time=1.0)

        # --- one small step, and a new guess
        seen_picture.add_updater(lambda m: m.show(self.seen_film.frame_at(self.position.get_value())))
        guess_picture.add_updater(lambda m: m.show(self.guess_film.frame_at(self.position.get_value() - 1)))
        counter.add_updater(lambda m: m.set_value(self.step_now()))
        step_arrow = Arrow(guess_frame.get_bottom() + self.step_arrow_drop * DOWN,
                           seen_frame.get_bottom() + self.step_arrow_drop * DOWN,
                           buff=0.3, color=style.HIGHLIGHT, stroke_width=style.ARROW_STROKE)
        step_word = words("a small step towards it", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        step_word.next_to(step_arrow, DOWN, buff=0.06)
        with self.narrate("step"):
            self.wait_until_bookmark("step")
            self.play(GrowArrow(step_arrow), FadeIn(step_word), run_time=0.8)
            self.play_walk_to(1, self.time_along(least=self.first_step_seconds))
            self.wait_until_bookmark("again")
            self.play(Indicate(guess_frame, color=style.GUESS, scale_factor=1.04), run_time=0.8)
            self.play_walk_to(min(2, steps), self.time_along(least=self.first_step_seconds))

        # --- the map
        start_xy, end_xy = self.walk_on_map(pictures_map, seen, guesses)
        the_map = self.picture_map(start_xy, end_xy, pictures_map)
        caption = words("every picture is a point", size=style.LABEL_SIZE, color=style.INK)
        caption.next_to(the_map.border, UP, buff=0.2)
        spread = VGroup(
            words("two directions: where pictures differ most", size=style.SMALL_SIZE, color=style.MUTED),
            words(f"(together, {100 * pictures_map.arrays['picture_variance_share'].sum():.0f}% of the difference)",
                  size=style.SMALL_SIZE, color=style.MUTED),
            words("faint dots: other finished pictures", size=style.SMALL_SIZE, color=style.MUTED),
        ).arrange(DOWN, buff=0.1)
        spread.scale_to_fit_width(min(spread.width, self.map_width)).next_to(the_map.border, DOWN, buff=0.15)
        with self.narrate("map"):
            self.play(FadeOut(step_arrow), FadeOut(step_word), FadeOut(guess_arrow), FadeOut(guess_word), run_time=0.6)
            noise_readout.clear_updaters()
            guess_readout.clear_updaters()
            self.play(
                Group(seen_picture, seen_frame).animate.set(height=seen_frame.height * self.small_height / self.big_height).move_to(self.small_centers[0]),
                Group(guess_picture, guess_frame).animate.set(height=guess_frame.height * self.small_height / self.big_height).move_to(self.small_centers[1]),
                FadeOut(seen_label), FadeOut(guess_label), FadeOut(noise_readout), FadeOut(guess_readout),
                counter.animate.move_to(self.counter_centers[1]),
                run_time=1.2,
            )
            seen_label = words("what it sees", size=style.LABEL_SIZE).next_to(seen_frame, UP, buff=0.2)
            guess_label = words("its guess", size=style.LABEL_SIZE, color=style.GUESS)
            guess_label.next_to(guess_frame, UP, buff=0.2)
            noise_readout.add_updater(lambda m: m.refresh().next_to(seen_frame, DOWN, buff=0.2))
            guess_readout.text_of = lambda: f"{guess_off[max(self.step_now(), 1) - 1]:.1f}% from the end"
            guess_readout.add_updater(lambda m: m.refresh().next_to(guess_frame, DOWN, buff=0.2))
            self.play(FadeIn(seen_label), FadeIn(guess_label), FadeIn(noise_readout), FadeIn(guess_readout),
                      run_time=0.6)
            self.wait_until_bookmark("map")
            self.play_along(Create(the_map.border), FadeIn(caption), least=1.0, most=2.0)
            # the picture the model sees now flies to its point on the map
            self.wait_until_bookmark("point")
            here = self.seen_xy[min(self.step_now(), len(self.seen_xy) - 1)]
            flying = seen_picture.copy().clear_updaters()
            point = Dot(the_map.to_scene(here), radius=0.09, color=style.INK)
            self.play_along(flying.animate.set(height=0.18).move_to(point).set_opacity(0.2), FadeIn(point),
                            least=1.0, most=2.5)
            self.remove(flying)
            self.wait_until_bookmark("spread")
            self.play_along(FadeIn(spread), *(GrowArrow(axis) for axis in self.directions(the_map)), least=0.8, most=2.0)
            # other finished pictures arrive at their points, and become the faint dots
            self.wait_until_bookmark("others")
            arriving = self.finished_pictures_on(the_map)
            if len(arriving):
                self.play_along(LaggedStart(*(FadeIn(p, scale=1.6) for p in arriving), lag_ratio=0.08),
                                least=1.0, most=2.5)
            self.play_along(*(p.animate.set(height=0.09).set_opacity(0.0) for p in arriving), FadeIn(the_map.others),
                            least=0.8, most=1.5)
            self.remove(*arriving)

        # --- the walk on the map
        seen_path, guess_path, seen_dot, guess_dot, pointer = self.paths_on(the_map)
        with self.narrate("walk") as tracker:
            self.wait_until_bookmark("trace")
            self.play(FadeIn(the_map.dots[0]), FadeIn(the_map.label_of[0]), FadeIn(seen_dot), FadeIn(guess_dot),
                      FadeOut(point), run_time=0.6)
            self.add(seen_path, guess_path, pointer)
            close_step = float(self.facts["close_step"].value)
            self.play_walk_to(close_step, tracker.time_until_bookmark("close"))
            self.play(Indicate(guess_readout, color=style.HIGHLIGHT), Indicate(noise_readout, color=style.HIGHLIGHT),
                      run_time=1.0)
            self.play_walk_to(float(self.facts["halfway_step"].value), tracker.time_until_bookmark("halfway"))
            self.play(Indicate(guess_readout, color=style.HIGHLIGHT), run_time=1.0)
            self.play_walk_to(steps, tracker.get_remaining_duration())

        # --- the end of the walk
        thumbnail = PixelPicture(self.arrays["final_picture"], height=self.thumbnail_height)
        thumbnail_frame = Frame(thumbnail, color=style.SIGNAL)
        end_label = VGroup(words("the finished", size=style.SMALL_SIZE, color=style.SIGNAL),
                           words("picture", size=style.SMALL_SIZE, color=style.SIGNAL)).arrange(DOWN, buff=0.08)
        pinned = self.pin_beside_end(the_map, Group(thumbnail, thumbnail_frame), end_label)
        with self.narrate("end") as tracker:
            self.wait_until_bookmark("end")
            self.play(FadeOut(pointer), FadeIn(the_map.dots[1]), FadeIn(pinned), run_time=1.0)
            # close to where the walk arrived: the end of the path, where its guesses pointed
            self.play_along(self.look_at(the_map.border, the_map.border.width + self.end_room), least=1.0, most=3.0)
            self.wait_until_bookmark("layout")
            # The walk once more, quickly, from its noise: the guess has its shape within the first steps, and
            # only sharpens after.
            pointer.clear_updaters()
            self.play(self.position.animate.set_value(0.0), self.camera_home(), run_time=0.8)
            replay = max(min(self.replay_seconds, tracker.get_remaining_duration() - 0.2), 1 / config.frame_rate)
            self.play(self.position.animate.set_value(float(steps)), rate_func=linear, run_time=replay)
            for mobject in (seen_picture, guess_picture, counter, seen_dot, guess_dot, seen_path, guess_path,
                            noise_readout, guess_readout):
                mobject.clear_updaters()

    # --- the walk's clock

    def step_now(self) -> int:
        """Steps taken at the walk's current position, as the counter shows them."""
        return int(np.clip(round(self.position.get_value()), 0, self.steps))

    def play_walk_to(self, position: float, seconds: float) -> None:
        """Walk forwards to ``position`` in ``seconds`` at an even pace (at once if there is no time); never back."""
        position = max(min(float(position), self.steps), self.position.get_value())
        if seconds < 1 / config.frame_rate:
            self.position.set_value(position)
            return
        self.play(self.position.animate.set_value(position), run_time=seconds, rate_func=linear)

    # --- the map

    def walk_on_map(self, pictures_map, seen: np.ndarray, guesses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Place the states and the guesses on the map; return where the walk starts and ends."""
        self.seen_xy = picture_map_xy(pictures_map, seen)
        self.guess_xy = picture_map_xy(pictures_map, guesses)
        return self.seen_xy[0], self.seen_xy[-1]

    def picture_map(self, start_xy: np.ndarray, end_xy: np.ndarray, pictures_map) -> LabelledMap:
        """The map's frame, fitted around the whole walk, with the start and the end as labelled points, and
        faint dots for the film's other finished pictures that fall inside it."""
        every = np.concatenate([self.seen_xy, self.guess_xy])
        low, high = every.min(axis=0), every.max(axis=0)
        # Room around the walk for the finished picture to be pinned beside its end.
        low, high = low - self.map_room * (high - low), high + self.map_room * (high - low)
        the_map = LabelledMap(np.stack([start_xy, end_xy]), ["noise", None],
                              colors=[style.NOISE, style.SIGNAL], width=self.map_width, height=self.map_height,
                              bounds=(low[0], high[0], low[1], high[1]), margin=0.3, dot_radius=0.09,
                              label_size=style.SMALL_SIZE)
        the_map.move_to(self.map_center)
        inner = the_map.border.copy().scale(0.97)
        others = [the_map.to_scene(xy) for xy in finished_pictures_xy(pictures_map)]
        the_map.others = VGroup(*(Dot(p, radius=0.045, color=style.MUTED).set_opacity(0.6) for p in others
                                  if inner.get_left()[0] < p[0] < inner.get_right()[0]
                                  and inner.get_bottom()[1] < p[1] < inner.get_top()[1]))
        return the_map

    @staticmethod
    def directions(the_map: LabelledMap) -> VGroup:
        """The map's two directions, as arrows along its bottom and left edges, inside its frame."""
        corner = the_map.border.get_corner(DOWN + LEFT) + 0.18 * (UP + RIGHT)
        return VGroup(Arrow(corner, corner + 0.6 * the_map.border.width * RIGHT, buff=0, color=style.MUTED,
                            stroke_width=3, max_tip_length_to_length_ratio=0.06),
                      Arrow(corner, corner + 0.6 * the_map.border.height * UP, buff=0, color=style.MUTED,
                            stroke_width=3, max_tip_length_to_length_ratio=0.07))

    def finished_pictures_on(self, the_map: LabelledMap) -> Group:
        """The seeds' finished pictures at their points on the map (those inside it): the pictures its faint dots
        stand for."""
        finals = np.asarray(self.captures["seeds"].arrays["finals"])
        xy = np.asarray(self.captures["map"].arrays["seeds_final_xy"], dtype=np.float64).reshape(-1, 2)
        inner = the_map.border.copy().scale(0.97)
        pictures = []
        for picture, point in zip(finals, (the_map.to_scene(p) for p in xy)):
            if inner.get_left()[0] < point[0] < inner.get_right()[0] and \
                    inner.get_bottom()[1] < point[1] < inner.get_top()[1]:
                pictures.append(PixelPicture(picture, height=self.others_height).move_to(point))
        return Group(*pictures)

    def pin_beside_end(self, the_map: LabelledMap, picture: Group, label) -> Group:
        """The finished picture and its name beside the walk's end: of the spots around it inside the map, the one
        that covers the fewest points of the two paths and of the other pictures' dots."""
        end = the_map.to_scene(self.seen_xy[-1])
        covered = np.array([the_map.to_scene(p) for p in np.concatenate([self.seen_xy, self.guess_xy])]
                           + [dot.get_center() for dot in the_map.others])
        label.next_to(picture, DOWN, buff=0.1)
        pinned = Group(picture, label)
        inner = (the_map.border.get_left()[0] + 0.1, the_map.border.get_right()[0] - 0.1,
                 the_map.border.get_bottom()[1] + 0.1, the_map.border.get_top()[1] - 0.1)

        def cost(direction: np.ndarray) -> float:
            pinned.move_to(end).next_to(end, direction, buff=0.2)
            left, right = pinned.get_left()[0], pinned.get_right()[0]
            bottom, top = pinned.get_bottom()[1], pinned.get_top()[1]
            inside = (left >= inner[0]) and (right <= inner[1]) and (bottom >= inner[2]) and (top <= inner[3])
            hits = np.sum((covered[:, 0] > left - 0.1) & (covered[:, 0] < right + 0.1)
                          & (covered[:, 1] > bottom - 0.1) & (covered[:, 1] < top + 0.1))
            return hits + (0 if inside else 1000)

        spots = [LEFT, RIGHT, DOWN, UP, DOWN + LEFT, DOWN + RIGHT, UP + LEFT, UP + RIGHT]
        best = min(spots, key=cost)
        pinned.move_to(end).next_to(end, best, buff=0.2)
        return pinned

    def paths_on(self, the_map: LabelledMap):
        """The two trails that grow as the walk goes, their heads, and a dashed pointer from what the model sees to its guess."""

        def trail(xys: np.ndarray, upto: float) -> list[np.ndarray]:
            """Map points 0..upto (upto may fall between two), on screen."""
            upto = float(np.clip(upto, 0, len(xys) - 1))
            whole = int(np.floor(upto))
            points = list(the_map.to_scene_many(xys[: whole + 1]))
            if upto > whole:
                points.append(the_map.to_scene(xys[whole] + (upto - whole) * (xys[whole + 1] - xys[whole])))
            return points if len(points) > 1 else points * 2

        def seen_at() -> list[np.ndarray]:
            return trail(self.seen_xy, self.position.get_value())

        def guess_at() -> list[np.ndarray]:
            return trail(self.guess_xy, self.position.get_value() - 1)

        def segment_colour(i: int):
            # Each stretch coloured by how far through the walk it is: red where it is noise, blue where picture.
            return interpolate_color(style.NOISE, style.SIGNAL, min((i + 0.5) / self.steps, 1.0))

        def grow_trail(path: VGroup) -> VGroup:
            """The trail up to the walk's position. Its segments are made once: only those not yet whole are set again
            (a trail made afresh each frame cost a fifth of the chapter's drawing time)."""
            points = seen_at()
            ends = list(zip(points, points[1:]))
            for i in range(len(path.submobjects), len(ends)):
                path.add(Line(*ends[i], stroke_width=style.CURVE_STROKE, color=segment_colour(i)))
            segments = path.submobjects
            for i in range(min(path.whole, len(ends)), len(ends)):
                segments[i].set_points_as_corners(list(ends[i]))
            for segment in segments[len(ends):]:
                segment.clear_points()  # never removed: the scene draws the segments it was given
            # Segments before the walk's whole steps end at map points: they no longer change.
            path.whole = min(int(np.floor(np.clip(self.position.get_value(), 0, self.steps))), len(ends))
            return path

        seen_path = VGroup()
        seen_path.whole = 0
        seen_path = grow_trail(seen_path)
        seen_path.add_updater(grow_trail)
        guess_path = VMobject(stroke_width=style.CURVE_STROKE - 1, color=style.MODEL)
        guess_path.add_updater(lambda m: m.set_points_as_corners(guess_at()))
        seen_dot = Dot(radius=0.1, color=style.INK).add_updater(lambda m: m.move_to(seen_at()[-1]))
        guess_dot = Dot(radius=0.09, color=style.MODEL).add_updater(lambda m: m.move_to(guess_at()[-1]))

        def pointer_ends() -> tuple[np.ndarray, np.ndarray]:
            start, end = seen_dot.get_center(), guess_dot.get_center()
            if np.linalg.norm(end - start) < 0.05:  # the two meet at the end of the walk
                end = start + 0.05 * RIGHT
            return start, end

        def pointer_between() -> DashedLine:
            return DashedLine(*pointer_ends(), color=style.MODEL, stroke_width=style.GUIDE_STROKE, dash_length=0.08)

        def follow(pointer: DashedLine) -> DashedLine:
            """Dashes made afresh only when the length changes by a tenth (otherwise moved and stretched)."""
            start, end = pointer_ends()
            length = np.linalg.norm(end - start)
            if abs(length - pointer.made_length) > 0.1 * pointer.made_length:
                pointer.become(pointer_between())
                pointer.made_length = length
            else:
                pointer.put_start_and_end_on(start, end)
            return pointer

        pointer = pointer_between()
        pointer.made_length = np.linalg.norm(pointer_ends()[1] - pointer_ends()[0])
        pointer.add_updater(follow)
        guess_path.set_points_as_corners(guess_at())
        return seen_path, guess_path, seen_dot, guess_dot, pointer
