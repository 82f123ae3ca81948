"""Chapter "Pixels and latents": the walk seen through a decoder, beside the walk in pixels (the readers' sixth question).

It reads the latent capture (``python -m pipeline capture latent``): a picture squeezed by the
latent twin's encoder into four 8x8 grids and decoded again, noise in pixels beside noise in
latents seen through the decoder, a picture noised in both spaces, and the same prompt and seed
walked by the pixel model and by its latent twin. Every number it says or shows is a fact of
that capture.
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
    DashedVMobject,
    FadeIn,
    FadeOut,
    Group,
    GrowArrow,
    Indicate,
    LaggedStart,
    ManimColor,
    Rectangle,
    Square,
    SurroundingRectangle,
    ValueTracker,
    VGroup,
    Write,
    linear,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Film, Frame, PixelPicture, ValueKey, diverging_colours, value_limit
from scenes.words import ChapterTitle, StepCounter, words


class LatentGrids(Group):
    """A latent's channels side by side (or two by two), each an 8x8 grid in the film's diverging colours,
    drawn crisp; ``show(latent)`` swaps in another latent of the same shape."""

    def __init__(self, latent: np.ndarray, limit: float, cell: float = 1.1, columns: int = 2,
                 buff: float = 0.12) -> None:
        self.limit = limit
        latent = np.asarray(latent, dtype=np.float32)
        self.grids = [PixelPicture(diverging_colours(channel, limit), height=cell) for channel in latent]
        rows = [self.grids[i:i + columns] for i in range(0, len(self.grids), columns)]
        for r, row in enumerate(rows):
            for c, grid in enumerate(row):
                grid.move_to(np.array([c * (cell + buff), -r * (cell + buff), 0.0]))
        self.frames = [Frame(grid, buff=0.02) for grid in self.grids]
        super().__init__(*self.grids, *self.frames)
        self.center()

    def show(self, latent: np.ndarray) -> LatentGrids:
        for grid, channel in zip(self.grids, np.asarray(latent, dtype=np.float32)):
            grid.show(diverging_colours(channel, self.limit))
        return self


class PixelsAndLatents(NarratedScene):
    """A picture squeezed into latents and back; noise in both spaces; the two walks side by side."""

    picture_height = 3.0
    side_x = 4.6
    squeeze_y = -0.25
    noise_x = 3.2
    row_height = 1.15
    walk_height = 2.25
    walk_y = 0.45
    walk_xs = (-5.2, -2.35, 2.35, 5.2)
    grids_y = -2.15
    most_forward_frames = 9
    twin_walk_seconds = 3.0  # the twin's latent walk in the code box, at least this long

    def tell(self) -> None:
        facts, arrays = self.facts, self.arrays
        source = arrays["source_picture"]

        # --- a picture is many numbers
        title = ChapterTitle(self.title)
        picture = PixelPicture(source, height=self.picture_height).move_to(np.array([0.0, self.squeeze_y, 0.0]))
        frame = Frame(picture)
        h, w = source.shape[:2]
        count = VGroup(words(f"{h} x {w} pixels x {source.shape[2]} colours", size=style.LABEL_SIZE),
                       words(f"= {shown(facts['pixel_numbers'])} numbers", size=style.LABEL_SIZE))
        count.arrange(DOWN, buff=0.12).next_to(frame, DOWN, buff=0.25)
        # one pixel of the picture, and its three numbers (the picture's own values, 0 to 255)
        row, column = self.telling_pixel(source)
        cell = picture.height / h
        pixel_centre = picture.get_corner(UP + LEFT) + np.array([(column + 0.5) * cell, -(row + 0.5) * cell, 0.0])
        pixel_box = Square(side_length=cell * 1.15, color=style.HIGHLIGHT, stroke_width=3).move_to(pixel_centre)
        channels = VGroup(*(words(f"{name} {int(value)}", size=style.LABEL_SIZE, color=colour)
                            for name, value, colour in zip(("red", "green", "blue"), source[row, column],
                                                           ("#FC6255", "#83C167", "#58C4DD"))))
        swatch = Square(side_length=1.0, stroke_color=style.HIGHLIGHT, stroke_width=3, fill_opacity=1.0,
                        fill_color=ManimColor.from_rgb(tuple(int(v) for v in source[row, column])))
        channels.arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        Group(swatch, channels).arrange(RIGHT, buff=0.3).next_to(frame, RIGHT, buff=0.9)
        pointer = Arrow(pixel_box.get_right(), swatch.get_left(), buff=0.1, color=style.HIGHLIGHT, stroke_width=3)
        code_box = DashedVMobject(Rectangle(width=2.6, height=2.6, color=style.SIGNAL, stroke_width=2.5),
                                  num_dashes=40).move_to(np.array([0.0, self.squeeze_y, 0.0]))
        code_label = words("a latent: a squeezed code", size=style.SMALL_SIZE, color=style.SIGNAL)
        code_label.next_to(code_box, DOWN, buff=0.2)
        twin_label = words("where the latent twin walks", size=style.SMALL_SIZE, color=style.MODEL)
        twin_label.next_to(code_box, UP, buff=0.2)
        # The twin's own walk through its latent, step by step, inside the box while "a squeezed code" is spoken.
        limit = value_limit(np.concatenate([arrays["source_latent"].ravel(), arrays["latent_seen"][-1].ravel()]))
        twin_walk = Film(np.asarray(arrays["latent_seen"], dtype=np.float32), np.arange(len(arrays["latent_seen"])))
        walking = LatentGrids(twin_walk.frame_at(0), limit, cell=1.0, buff=0.1).move_to(code_box)
        walked = ValueTracker(0.0)
        with self.narrate("opening") as tracker:
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.scale(0.62).to_edge(UP, buff=0.3), run_time=0.8)
            self.wait_until_bookmark("pixels")
            self.play(FadeIn(picture), Create(frame), FadeIn(count, shift=0.1 * UP), run_time=1.0)
            self.wait_until_bookmark("colours")
            self.play(Create(pixel_box), GrowArrow(pointer), FadeIn(swatch, scale=0.3),
                      LaggedStart(*(FadeIn(c, shift=0.1 * RIGHT) for c in channels), lag_ratio=0.3), run_time=1.2)
            self.wait_until_bookmark("big")
            self.play(FadeOut(VGroup(pixel_box, pointer, swatch, channels)),
                      Group(picture, frame).animate.move_to(np.array([-self.side_x, self.squeeze_y, 0.0])),
                      count.animate.scale(0.8).next_to(np.array([-self.side_x, self.squeeze_y - 1.6, 0.0]), DOWN,
                                                       buff=0.1), run_time=1.2)
            self.wait_until_bookmark("code")
            self.play(Create(code_box), FadeIn(code_label, shift=0.1 * UP), FadeIn(walking), run_time=1.0)
            walking.add_updater(lambda m: m.show(twin_walk.frame_at(walked.get_value())))
            self.play(walked.animate.set_value(twin_walk.last), rate_func=linear,
                      run_time=max(tracker.get_remaining_duration(), self.twin_walk_seconds))
            walking.clear_updaters()

        # --- squeezed into a latent, and back
        grids = LatentGrids(arrays["source_latent"], limit).move_to(np.array([0.0, self.squeeze_y, 0.0]))
        grids_label = words(f"{shown(facts['latent_channels'])} grids of {shown(facts['latent_side'])} x "
                            f"{shown(facts['latent_side'])} = {shown(facts['latent_numbers'])} numbers",
                            size=style.SMALL_SIZE, color=style.SIGNAL).next_to(grids, DOWN, buff=0.3)
        squeeze_word = words(f"{shown(facts['squeeze'])} times fewer", size=style.SMALL_SIZE,
                             color=style.HIGHLIGHT).next_to(grids_label, DOWN, buff=0.15)
        encoder = Arrow(frame.get_right(), grids.get_left(), buff=0.25, color=style.MODEL, stroke_width=5)
        encoder_word = words("encoder", size=style.SMALL_SIZE, color=style.MODEL).next_to(encoder, UP, buff=0.1)
        back = PixelPicture(arrays["source_decoded"], height=self.picture_height)
        back.move_to(np.array([self.side_x, self.squeeze_y, 0.0]))
        back_frame = Frame(back)
        decoder = Arrow(grids.get_right(), back_frame.get_left(), buff=0.25, color=style.MODEL, stroke_width=5)
        decoder_word = words("decoder", size=style.SMALL_SIZE, color=style.MODEL).next_to(decoder, UP, buff=0.1)
        error = words(f"{shown(facts['squeeze_error'])} away from the original", size=style.SMALL_SIZE,
                      color=style.INK).next_to(back_frame, DOWN, buff=0.25)
        with self.narrate("squeeze"):
            self.wait_until_bookmark("twin")
            self.play(FadeIn(twin_label, shift=0.1 * DOWN), code_box.animate.set_color(style.MODEL), run_time=0.8)
            self.wait_until_bookmark("encoder")
            self.play(GrowArrow(encoder), FadeIn(encoder_word), run_time=0.8)
            self.wait_until_bookmark("latent")
            self.play(FadeOut(VGroup(code_box, code_label, twin_label)), FadeOut(walking),
                      LaggedStart(*(FadeIn(part) for part in (*grids.grids, *grids.frames)), lag_ratio=0.1),
                      FadeIn(grids_label), run_time=1.2)
            self.play(FadeIn(squeeze_word, shift=0.1 * UP), run_time=0.6)
            self.wait_until_bookmark("decoder")
            self.play(GrowArrow(decoder), FadeIn(decoder_word), run_time=0.8)
            self.play(FadeIn(back), Create(back_frame), run_time=0.8)
            self.wait_until_bookmark("error")
            self.play(FadeIn(error, shift=0.1 * UP), run_time=0.6)

        # --- the grids are a code, not a small picture
        key = ValueKey(width=2.0).next_to(squeeze_word, DOWN, buff=0.3)
        with self.narrate("channels"):
            self.wait_until_bookmark("grids")
            self.play(FadeIn(key), LaggedStart(*(Indicate(g, color=style.HIGHLIGHT, scale_factor=1.08)
                                                 for g in grids.frames), lag_ratio=0.3), run_time=2.0)

        # --- noise in pixels, and noise in latents seen through the decoder
        everything = Group(picture, frame, count, grids, grids_label, squeeze_word, encoder, encoder_word, back,
                           back_frame, decoder, decoder_word, error, key)
        snow = PixelPicture(arrays["pixel_seen_pictures"][0], height=self.picture_height)
        snow.move_to(np.array([-self.noise_x, -0.1, 0.0]))
        blotches = PixelPicture(arrays["latent_seen_pictures"][0], height=self.picture_height)
        blotches.move_to(np.array([self.noise_x, -0.1, 0.0]))
        snow_frame, blotch_frame = Frame(snow, color=style.NOISE), Frame(blotches, color=style.NOISE)
        snow_label = words("noise in pixels", size=style.LABEL_SIZE, color=style.NOISE).next_to(snow_frame, UP, 0.2)
        blotch_label = words("noise in latents, decoded", size=style.LABEL_SIZE, color=style.NOISE)
        blotch_label.next_to(blotch_frame, UP, buff=0.2)
        snow_likeness = words(f"neighbours alike: {shown(facts['pixel_noise_likeness'])}", size=style.SMALL_SIZE)
        snow_likeness.next_to(snow_frame, DOWN, buff=0.25)
        blotch_likeness = words(f"neighbours alike: {shown(facts['latent_noise_likeness'])}", size=style.SMALL_SIZE)
        blotch_likeness.next_to(blotch_frame, DOWN, buff=0.25)
        drawn = words(f"(a drawn picture: {shown(facts['picture_likeness'])})", size=style.SMALL_SIZE,
                      color=style.MUTED).next_to(blotch_likeness, DOWN, buff=0.12)
        with self.narrate("noise"):
            self.play(FadeOut(everything), run_time=0.8)
            self.wait_until_bookmark("snow")
            self.play(FadeIn(snow), Create(snow_frame), FadeIn(snow_label), run_time=0.8)
            self.play(FadeIn(snow_likeness), run_time=0.5)
            self.wait_until_bookmark("blotches")
            self.play(FadeIn(blotches), Create(blotch_frame), FadeIn(blotch_label), run_time=0.8)
            self.play(FadeIn(blotch_likeness), FadeIn(drawn), run_time=0.6)

        # --- a picture noised in both spaces
        rows, lost_boxes = self.forward_rows()
        with self.narrate("forward"):
            self.play(FadeOut(Group(snow, snow_frame, snow_label, snow_likeness, blotches, blotch_frame,
                                    blotch_label, blotch_likeness, drawn)), run_time=0.8)
            self.wait_until_bookmark("forward")
            self.play(LaggedStart(*(FadeIn(cell) for cell in rows.cells), lag_ratio=0.03), FadeIn(rows.labels),
                      run_time=2.0)
            self.wait_until_bookmark("lost")
            self.play(LaggedStart(*(Create(box) for box in lost_boxes), lag_ratio=0.5), run_time=1.2)

        # --- the two walks, side by side
        walk = self.two_walks(limit)
        with self.narrate("walks") as tracker:
            self.play(FadeOut(Group(rows, *lost_boxes)), run_time=0.8)
            self.wait_until_bookmark("walks")
            self.play(FadeIn(walk), run_time=1.0)
            self.play_walk(walk, float(self.facts["steps"].value), tracker.time_until_bookmark("seen"))
            self.wait_until_bookmark("seen")
            self.play(Indicate(walk.frames[0], color=style.HIGHLIGHT), Indicate(walk.frames[2], color=style.HIGHLIGHT),
                      run_time=1.0)
            self.wait_until_bookmark("guess")
            self.play(Indicate(walk.frames[1], color=style.HIGHLIGHT), Indicate(walk.frames[3], color=style.HIGHLIGHT),
                      run_time=1.0)

        # --- what the two walks cost, and how far they travel
        travel = [words(f"travels {shown(facts[name])}", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
                  for name in ("pixel_travel", "latent_travel")]
        travel[0].next_to(Group(*walk.labels[:2]), DOWN, buff=0.15)
        travel[1].next_to(Group(*walk.labels[2:]), DOWN, buff=0.15)
        cost = words(f"a latent step: {shown(facts['step_cost_ratio'])} times less work "
                     f"({shown(facts['latent_step_gflop'])} against {shown(facts['pixel_step_gflop'])} billion "
                     "operations)", size=style.SMALL_SIZE, color=style.MODEL).to_edge(DOWN, buff=0.3)
        with self.narrate("answer"):
            for mobject in walk.moving:
                mobject.clear_updaters()
            self.wait_until_bookmark("travel")
            self.play(FadeIn(travel[0], shift=0.1 * UP), FadeIn(travel[1], shift=0.1 * UP), run_time=0.8)
            self.wait_until_bookmark("cost")
            self.play(FadeIn(cost, shift=0.1 * UP), run_time=0.8)

    # --- pieces of the chapter

    @staticmethod
    def telling_pixel(picture: np.ndarray) -> tuple[int, int]:
        """The pixel of the most vivid colour (the widest spread between its three numbers): its numbers say the
        most about how a colour is made of three."""
        values = picture.astype(np.float32)
        spread = values.max(axis=-1) - values.min(axis=-1)
        row, column = np.unravel_index(int(np.argmax(spread)), spread.shape)
        return int(row), int(column)

    def forward_rows(self) -> tuple[Group, list]:
        """The picture noised in pixels (top row) and in latents, decoded (bottom row), at a few steps of the
        schedule, those where the judge loses the object among them; boxes around those two."""
        arrays, facts = self.arrays, self.facts
        times = [int(t) for t in arrays["forward_timesteps"]]
        picks = set(np.round(np.linspace(0, len(times) - 1, self.most_forward_frames - 2)).astype(int).tolist())
        lost = {}
        for space in ("pixel", "latent"):
            value = facts.get(f"{space}_lost_at")
            if value is not None and int(value.value) in times:
                lost[space] = times.index(int(value.value))
                picks.add(lost[space])
        picks = sorted(picks)
        cells, labels, boxes = [], [], []
        pitch = min(self.row_height + 0.12, 12.6 / len(picks))
        height = pitch - 0.12
        for row, (space, key) in enumerate((("pixel", "forward_pixel_pictures"),
                                            ("latent", "forward_latent_pictures"))):
            y = 0.75 - row * (height + 0.75)
            for column, index in enumerate(picks):
                shown_picture = PixelPicture(arrays[key][index], height=height)
                shown_picture.move_to(np.array([(column - (len(picks) - 1) / 2) * pitch + 0.6, y, 0.0]))
                cell = Group(shown_picture, Frame(shown_picture, buff=0.02))
                cells.append(cell)
                if lost.get(space) == index:
                    boxes.append(SurroundingRectangle(cell, color=style.HIGHLIGHT, buff=0.06))
                if row == 1:
                    labels.append(words(f"step {times[index]}", size=style.SMALL_SIZE, color=style.MUTED)
                                  .scale(0.8).next_to(cell, DOWN, buff=0.15))
            name = "pixels" if space == "pixel" else "latents"
            labels.append(words(name, size=style.SMALL_SIZE, color=style.SIGNAL)
                          .next_to(cells[-len(picks)], LEFT, buff=0.25))
        group = Group(*cells, *labels)
        group.cells = cells
        group.labels = Group(*labels)
        return group, boxes

    def two_walks(self, limit: float):
        """Four pictures (each walk's x_t and guess) that follow one clock, the latent's channels under the latent
        walk, headings, labels and a step counter."""
        arrays = self.arrays
        steps = len(arrays["timesteps"])
        self.position = ValueTracker(0.0)
        films = [Film(arrays["pixel_seen_pictures"], np.arange(steps + 1)),
                 Film(arrays["pixel_guess_pictures"], np.arange(1, steps + 1)),
                 Film(arrays["latent_seen_pictures"], np.arange(steps + 1)),
                 Film(arrays["latent_guess_pictures"], np.arange(1, steps + 1))]
        offsets = (0.0, -1.0, 0.0, -1.0)  # a guess belongs to the step that made it
        pictures = []
        for film, offset, x in zip(films, offsets, self.walk_xs):
            shown_picture = PixelPicture(film.frame_at(0), height=self.walk_height)
            shown_picture.move_to(np.array([x, self.walk_y, 0.0]))
            shown_picture.add_updater(lambda m, f=film, o=offset: m.show(f.frame_at(self.position.get_value() + o)))
            pictures.append(shown_picture)
        frames = [Frame(p, color=style.MODEL if i % 2 else style.FAINT) for i, p in enumerate(pictures)]
        labels = [words(text, size=style.SMALL_SIZE, color=style.MODEL if i % 2 else style.INK)
                  .next_to(frames[i], DOWN, buff=0.15)
                  for i, text in enumerate(("what it sees", "its guess", "what it sees", "its guess"))]
        headings = [words("in pixels", size=style.LABEL_SIZE, color=style.SIGNAL)
                    .next_to(Group(frames[0], frames[1]), UP, buff=0.25),
                    words("in latents, through the decoder", size=style.LABEL_SIZE, color=style.SIGNAL)
                    .next_to(Group(frames[2], frames[3]), UP, buff=0.25)]
        latents = arrays["latent_seen"].astype(np.float32)
        grids = LatentGrids(latents[0], limit, cell=0.62, columns=4, buff=0.1)
        grids.move_to(np.array([(self.walk_xs[2] + self.walk_xs[3]) / 2, self.grids_y, 0.0]))
        grids.add_updater(lambda m: m.show(latents[int(np.clip(round(self.position.get_value()), 0, steps))]))
        grids_label = words("its latents themselves", size=style.SMALL_SIZE, color=style.MUTED)
        grids_label.next_to(grids, LEFT, buff=0.3)
        counter = StepCounter(0).next_to(headings[0], UP, buff=0.2).set_x(0.0)
        counter.add_updater(lambda m: m.set_value(int(np.clip(round(self.position.get_value()), 0, steps))))
        walk = Group(*pictures, *frames, *labels, *headings, grids, grids_label, counter)
        walk.frames = frames
        walk.labels = labels
        walk.grids = grids
        walk.moving = [*pictures, grids, counter]
        return walk

    def play_walk(self, walk, position: float, seconds: float) -> None:
        """Walk both models forwards together, at an even pace, to ``position`` steps."""
        seconds = max(seconds, 2.0)
        self.play(self.position.animate.set_value(position), run_time=seconds, rate_func=linear)
