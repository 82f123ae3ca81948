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
    GrowFromEdge,
    LaggedStart,
    ManimColor,
    Rectangle,
    Square,
    SurroundingRectangle,
    Transform,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from pipeline.maps import picture_distance
from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import (
    Frame,
    PixelPicture,
    Reel,
    ValueKey,
    diverging_colours,
    guess_frame,
    noisy_frame,
    value_limit,
)
from scenes.words import ChapterTitle, LiveText, StepCounter, words, words_on_baseline


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
    noise_x = 4.4
    row_height = 1.3
    walk_height = 2.5
    walk_y = 0.0
    walk_xs = (-5.2, -2.35, 2.35, 5.2)
    grids_y = -2.15
    most_forward_frames = 9
    twin_walk_seconds = 3.0  # the twin's latent walk in the code box, at least this long
    bars_y = -2.35  # the first cost bar's centre line; the second under it
    bars_x = -0.6  # where the cost bars start; their labels end just left of it
    bar_length = 6.0  # the longer cost bar

    def tell(self) -> None:
        facts, arrays = self.facts, self.arrays
        source = arrays["source_picture"]
        centre = np.array([0.0, self.squeeze_y, 0.0])
        left = np.array([-self.side_x, self.squeeze_y, 0.0])
        right = np.array([self.side_x, self.squeeze_y, 0.0])

        # --- a picture is many numbers: the pixel model's own walk, played large
        title = ChapterTitle(self.title)
        seen = arrays["pixel_seen_pictures"]
        pixel_film = Reel(seen, np.arange(len(seen)))
        walked_pixels = ValueTracker(0.0)
        picture = PixelPicture(pixel_film.frame_at(0), height=self.picture_height).move_to(centre)
        picture.add_updater(lambda m: m.show(pixel_film.frame_at(walked_pixels.get_value())))
        frame = Frame(picture)
        h, w = seen.shape[1:3]
        count = VGroup(words(f"{h} \u00d7 {w} pixels \u00d7 {seen.shape[3]} colours", size=style.LABEL_SIZE),
                       words(f"= {shown(facts['pixel_numbers'])} numbers", size=style.LABEL_SIZE))
        count.arrange(DOWN, buff=0.12).next_to(frame, DOWN, buff=0.25)
        # one pixel of the walk's finished picture, and its three numbers (the picture's own values, 0 to 255)
        final = seen[-1]
        row, column = self.telling_pixel(final)
        cell = picture.height / h
        pixel_centre = picture.get_corner(UP + LEFT) + np.array([(column + 0.5) * cell, -(row + 0.5) * cell, 0.0])
        pixel_box = Square(side_length=cell * 1.15, color=style.HIGHLIGHT, stroke_width=style.MARK_STROKE).move_to(pixel_centre)
        channels = VGroup(*(words(f"{name} {int(value)}", size=style.LABEL_SIZE, color=colour)
                            for name, value, colour in zip(("red", "green", "blue"), final[row, column],
                                                           ("#FC6255", "#83C167", "#58C4DD"))))
        swatch = Square(side_length=1.0, stroke_color=style.HIGHLIGHT, stroke_width=style.MARK_STROKE, fill_opacity=1.0,
                        fill_color=ManimColor.from_rgb(tuple(int(v) for v in final[row, column])))
        channels.arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        Group(swatch, channels).arrange(RIGHT, buff=0.3).next_to(frame, RIGHT, buff=0.9)
        pointer = Arrow(pixel_box.get_right(), swatch.get_left(), buff=0.1, color=style.HIGHLIGHT, stroke_width=3)
        code_box = DashedVMobject(Rectangle(width=2.6, height=2.6, color=style.SIGNAL, stroke_width=2.5),
                                  num_dashes=40).move_to(centre)
        code_label = words("a latent: a squeezed code", size=style.SMALL_SIZE, color=style.SIGNAL)
        code_label.next_to(code_box, DOWN, buff=0.2)
        # The twin's own walk through its latent, step by step, inside the box while "a squeezed code" is spoken.
        limit = value_limit(np.concatenate([arrays["source_latent"].ravel(), arrays["latent_seen"][-1].ravel()]))
        twin_walk = Reel(np.asarray(arrays["latent_seen"], dtype=np.float32), np.arange(len(arrays["latent_seen"])))
        walking = LatentGrids(twin_walk.frame_at(0), limit, cell=1.0, buff=0.1).move_to(code_box)
        walked = ValueTracker(0.0)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.dock(), run_time=0.8)
            # "every step we have watched so far was a picture": the walk in pixels, from its noise
            self.play(FadeIn(picture), Create(frame), run_time=0.6)
            self.play_along(walked_pixels.animate.set_value(0.35 * pixel_film.last), rate_func=linear, least=0.5,
                            leave=0.1)
            self.wait_until_bookmark("pixels")
            self.play_along(walked_pixels.animate.set_value(pixel_film.last), FadeIn(count, shift=0.1 * UP),
                            rate_func=linear, least=1.5, most=4.5, leave=0.2)
            picture.clear_updaters()
            self.wait_until_bookmark("colours")
            # into the picture, to one of its pixels and the three numbers it is made of
            self.play(Create(pixel_box), run_time=0.4)
            self.play_along(self.look_at(Group(frame, swatch, channels, count), 8.5), GrowArrow(pointer),
                            FadeIn(swatch, scale=0.3),
                            LaggedStart(*(FadeIn(c, shift=0.1 * RIGHT) for c in channels), lag_ratio=0.3),
                            least=1.2, most=2.5)
            self.wait_until_bookmark("big")
            self.play_along(self.camera_home(), FadeOut(VGroup(pixel_box, pointer, swatch, channels)),
                            Group(picture, frame).animate.move_to(left),
                            count.animate.scale(0.8).next_to(np.array([-self.side_x, self.squeeze_y - 1.6, 0.0]),
                                                             DOWN, buff=0.1), least=1.2, most=4.0)
            self.wait_until_bookmark("code")
            self.play(Create(code_box), FadeIn(code_label, shift=0.1 * UP), FadeIn(walking), run_time=0.8)
            walking.add_updater(lambda m: m.show(twin_walk.frame_at(walked.get_value())))
            self.play_along(walked.animate.set_value(twin_walk.last), rate_func=linear, least=self.twin_walk_seconds,
                            most=6.0, leave=0.0)

        # --- the twin: the same walk, in pixels and in latents, side by side
        twin_seen = arrays["latent_seen_pictures"]
        twin_film = Reel(twin_seen, np.arange(len(twin_seen)))
        twin_picture = PixelPicture(twin_film.frame_at(0), height=self.picture_height).move_to(right)
        twin_picture.add_updater(lambda m: m.show(twin_film.frame_at(walked.get_value())))
        twin_frame = Frame(twin_picture, color=style.MODEL)
        own_label = words("our model: in pixels", size=style.SMALL_SIZE, color=style.INK)
        own_label.next_to(frame, UP, buff=0.2)
        twin_label = words("its twin: in latents", size=style.SMALL_SIZE, color=style.MODEL)
        twin_label.next_to(code_box, UP, buff=0.2)
        twin_seen_label = words("the twin's walk, seen as a picture", size=style.SMALL_SIZE, color=style.MODEL)
        twin_seen_label.next_to(twin_frame, UP, buff=0.2)
        source_picture = PixelPicture(source, height=self.picture_height).move_to(left)

        # --- squeezed into a latent, and back
        grids = LatentGrids(arrays["source_latent"], limit).move_to(centre)
        grids_label = words(f"{shown(facts['latent_channels'])} grids of {shown(facts['latent_side'])} \u00d7 "
                            f"{shown(facts['latent_side'])} = {shown(facts['latent_numbers'])} numbers",
                            size=style.SMALL_SIZE, color=style.SIGNAL).next_to(grids, DOWN, buff=0.3)
        squeeze_word = words(f"{shown(facts['squeeze'])} times fewer", size=style.SMALL_SIZE,
                             color=style.HIGHLIGHT).next_to(grids_label, DOWN, buff=0.15)
        encoder = Arrow(frame.get_right(), grids.get_left(), buff=0.25, color=style.MODEL, stroke_width=style.ARROW_STROKE)
        encoder_word = words("encoder", size=style.SMALL_SIZE, color=style.MODEL).next_to(encoder, UP, buff=0.1)
        back = PixelPicture(arrays["source_decoded"], height=self.picture_height).move_to(right)
        back_frame = Frame(back)
        decoder = Arrow(grids.get_right(), back_frame.get_left(), buff=0.25, color=style.MODEL,
                        stroke_width=style.ARROW_STROKE)
        decoder_word = words("decoder", size=style.SMALL_SIZE, color=style.MODEL).next_to(decoder, UP, buff=0.1)
        error = words(f"{shown(facts['squeeze_error'])} away from the original", size=style.SMALL_SIZE,
                      color=style.INK).next_to(back_frame, DOWN, buff=0.25)
        with self.narrate("squeeze"):
            self.wait_until_bookmark("twin")
            # both models walk the same prompt again, together: ours in pixels, the twin in its latent
            walked.set_value(0.0)
            walked_pixels.set_value(0.0)
            picture.add_updater(lambda m: m.show(pixel_film.frame_at(walked_pixels.get_value())))
            self.play(FadeIn(own_label, shift=0.1 * DOWN), FadeIn(twin_label, shift=0.1 * DOWN),
                      FadeOut(code_label), code_box.animate.set_color(style.MODEL), FadeIn(twin_picture),
                      Create(twin_frame), FadeIn(twin_seen_label, shift=0.1 * DOWN), run_time=0.8)
            self.play_along(walked.animate.set_value(twin_walk.last), walked_pixels.animate.set_value(pixel_film.last),
                            rate_func=linear, least=2.0, most=8.0)
            for mobject in (picture, twin_picture, walking):
                mobject.clear_updaters()
            self.wait_until_bookmark("encoder")
            # "an encoder squeezes a picture": a picture of the toy world takes the walk's place
            self.play_along(FadeIn(source_picture), FadeOut(VGroup(own_label, twin_label, twin_seen_label)),
                            FadeOut(Group(twin_picture, twin_frame)), FadeOut(Group(code_box, walking)),
                            GrowArrow(encoder), FadeIn(encoder_word), least=0.8, most=1.5, leave=0.1)
            self.remove(picture)
            self.wait_until_bookmark("latent")
            # the picture itself travels through the encoder and comes out as the grids
            squeezed = source_picture.copy()
            self.add(squeezed)
            self.play_along(squeezed.animate.move_to(grids).set(height=grids.height).set_opacity(0.0),
                            LaggedStart(*(FadeIn(part, scale=1.6) for part in (*grids.grids, *grids.frames)),
                                        lag_ratio=0.08),
                            FadeIn(grids_label, shift=0.1 * UP), least=1.2, most=3.0)
            self.remove(squeezed)
            self.wait_until_bookmark("fewer")
            # the two counts side by side, close: the picture's numbers and the grids'
            self.play_along(self.look_at(Group(frame, count, grids, squeeze_word), 9.0),
                            FadeIn(squeeze_word, shift=0.1 * UP), least=1.0, most=2.5)
            self.wait_until_bookmark("decoder")
            self.play(self.camera_home(), run_time=0.6)
            # the grids go through the decoder and come out as a picture again
            unsqueezed = Group(*(g.copy() for g in grids.grids))
            self.play(GrowArrow(decoder), FadeIn(decoder_word), run_time=0.6)
            self.play_along(unsqueezed.animate.move_to(back).set(height=back.height).set_opacity(0.0),
                            FadeIn(back, scale=0.5), Create(back_frame), least=1.0, most=2.0)
            self.remove(unsqueezed)
            self.wait_until_bookmark("error")
            # the original laid over what came back: how little differs
            original = source_picture.copy()
            self.play_along(original.animate.move_to(back), least=1.0, most=1.6, leave=0.0)
            self.play_along(FadeIn(error, shift=0.1 * UP), original.animate.set_opacity(0.0), least=1.0, most=2.5)
            self.remove(original)

        # --- the grids are a code, not a small picture
        key = ValueKey(width=2.0).next_to(squeeze_word, DOWN, buff=0.3)
        rgb = Group()
        for index, colour in enumerate(("#FC6255", "#83C167", "#58C4DD")):
            layer = np.zeros_like(source)
            layer[..., index] = source[..., index]
            shown_layer = PixelPicture(layer, height=1.15)
            rgb.add(Group(shown_layer, Frame(shown_layer, color=colour, buff=0.02)))
        rgb.arrange(DOWN, buff=0.15).move_to(right)
        rgb_names = VGroup(*(words(name, size=style.SMALL_SIZE, color=colour).next_to(layer, RIGHT, buff=0.2)
                             for name, colour, layer in zip(("red", "green", "blue"),
                                                            ("#FC6255", "#83C167", "#58C4DD"), rgb)))
        decoded_side = Group(back, back_frame, error)
        with self.narrate("channels"):
            self.wait_until_bookmark("grids")
            self.play_along(self.look_at(Group(grids, key), 6.0), FadeIn(key), FadeOut(error), least=1.2, most=2.5)
            self.wait_until_bookmark("small")
            # back out: the grids beside the picture they came from, which none of them resembles
            self.play_along(self.camera_home(), least=1.0, most=2.0)
            self.wait_until_bookmark("rgb")
            # the picture's own red, green and blue, beside the grids
            layers = [source_picture.copy() for _ in rgb]
            self.add(*layers)
            self.play_along(FadeOut(Group(back, back_frame)), FadeOut(VGroup(decoder, decoder_word)),
                            *(layer.animate.move_to(target[0]).set(height=target[0].height)
                              for layer, target in zip(layers, rgb)), least=1.0, most=1.6, leave=0.0)
            self.remove(*layers)
            self.add(*(target[0] for target in rgb))
            self.play_along(*(Create(target[1]) for target in rgb), FadeIn(rgb_names), least=0.5, most=1.5)
            self.wait_until_bookmark("useful")
            # only the decoder reads them: the grids go through it once more, into the picture
            self.play(FadeOut(rgb), FadeOut(rgb_names), GrowArrow(decoder), FadeIn(decoder_word), run_time=0.8)
            unsqueezed = Group(*(g.copy() for g in grids.grids))
            self.play_along(unsqueezed.animate.move_to(back).set(height=back.height).set_opacity(0.0),
                            FadeIn(decoded_side, scale=0.5), least=1.0, most=2.5)
            self.remove(unsqueezed)

        # --- noise in pixels, and noise in latents seen through the decoder
        everything = Group(source_picture, frame, count, grids, grids_label, squeeze_word, encoder, encoder_word,
                           decoded_side, decoder, decoder_word, key)
        x = self.noise_x
        snow = PixelPicture(arrays["pixel_seen_pictures"][0], height=self.picture_height).move_to(np.array([-x, -0.1, 0.0]))
        blotches = PixelPicture(twin_seen[0], height=self.picture_height).move_to(np.array([0.0, -0.1, 0.0]))
        drawn_picture = PixelPicture(source, height=self.picture_height).move_to(np.array([x, -0.1, 0.0]))
        snow_frame, blotch_frame = noisy_frame(snow), noisy_frame(blotches)
        drawn_frame = Frame(drawn_picture)
        snow_label = words("noise in pixels", size=style.LABEL_SIZE, color=style.NOISY).next_to(snow_frame, UP, 0.2)
        blotch_label = words("noise in latents, decoded", size=style.LABEL_SIZE, color=style.NOISY)
        blotch_label.next_to(blotch_frame, UP, buff=0.2)
        drawn_label = words("a drawn picture", size=style.LABEL_SIZE, color=style.INK).next_to(drawn_frame, UP, 0.2)
        snow_likeness = words(f"neighbours alike: {shown(facts['pixel_noise_likeness'])}", size=style.SMALL_SIZE)
        snow_likeness.next_to(snow_frame, DOWN, buff=0.25)
        blotch_likeness = words(f"neighbours alike: {shown(facts['latent_noise_likeness'])}", size=style.SMALL_SIZE)
        blotch_likeness.next_to(blotch_frame, DOWN, buff=0.25)
        drawn = words(f"neighbours alike: {shown(facts['picture_likeness'])}", size=style.SMALL_SIZE)
        drawn.next_to(drawn_frame, DOWN, buff=0.25)
        # two neighbouring pixels of the snow, side by side, boxed
        snow_cell = snow.height / snow.pixel_array.shape[0]
        pair_row, pair_column = snow.pixel_array.shape[0] // 2, snow.pixel_array.shape[1] // 2 - 1
        pair_centre = snow.get_corner(UP + LEFT) + np.array([(pair_column + 1.0) * snow_cell,
                                                             -(pair_row + 0.5) * snow_cell, 0.0])
        pair_box = Rectangle(width=2 * snow_cell, height=snow_cell, color=style.HIGHLIGHT,
                             stroke_width=2).move_to(pair_centre)
        latent_noise = LatentGrids(np.asarray(arrays["latent_seen"][0], dtype=np.float32), limit, cell=1.1)
        latent_noise.move_to(blotches)
        with self.narrate("noise"):
            self.play(FadeOut(everything), run_time=0.8)
            self.wait_until_bookmark("snow")
            self.play(FadeIn(snow, scale=0.7), Create(snow_frame), FadeIn(snow_label), run_time=0.8)
            # close to the snow: every pixel on its own
            self.play_along(self.look_at(snow, 3.2), least=1.0, most=2.5)
            self.wait_until_bookmark("alike")
            self.play(Create(pair_box), run_time=0.5)
            self.play_along(self.camera_home(), FadeIn(snow_likeness, shift=0.1 * UP), least=1.0, most=2.5)
            self.wait_until_bookmark("blotches")
            # the twin's noise is a latent; the decoder shows it as blotches
            self.play(FadeOut(pair_box), FadeIn(latent_noise, scale=0.6), run_time=0.8)
            self.play_along(FadeOut(latent_noise, scale=1.3), FadeIn(blotches, scale=0.8), Create(blotch_frame),
                            FadeIn(blotch_label), least=1.0, most=2.5)
            self.wait_until_bookmark("latent_alike")
            self.play_along(FadeIn(blotch_likeness, shift=0.1 * UP), least=0.5, most=1.0)
            self.wait_until_bookmark("drawn")
            self.play_along(FadeIn(drawn_picture, scale=0.6), Create(drawn_frame), FadeIn(drawn_label),
                            FadeIn(drawn, shift=0.1 * UP), least=1.0, most=2.0)

        # --- a picture noised in both spaces
        rows, lost_boxes = self.forward_rows()
        with self.narrate("forward"):
            self.play(FadeOut(Group(snow, snow_frame, snow_label, snow_likeness, blotches, blotch_frame,
                                    blotch_label, blotch_likeness, drawn_picture, drawn_frame, drawn_label, drawn)),
                      run_time=0.8)
            self.wait_until_bookmark("forward")
            self.play_along(LaggedStart(*(FadeIn(cell, scale=0.7) for cell in rows.cells), lag_ratio=0.04),
                            FadeIn(rows.labels), least=2.0, most=4.5)
            self.wait_until_bookmark("lost")
            # the camera goes to where each row loses the object
            if "pixel" in lost_boxes:
                self.play_along(self.look_at(lost_boxes["pixel"], 5.5), Create(lost_boxes["pixel"]),
                                least=1.0, most=2.5)
            self.wait_until_bookmark("latent_lost")
            if "latent" in lost_boxes:
                self.play_along(self.look_at(lost_boxes["latent"], 5.5), Create(lost_boxes["latent"]),
                                least=1.0, most=2.5)

        # --- the two walks, side by side
        walk = self.two_walks(limit)
        steps = len(arrays["timesteps"])
        with self.narrate("walks") as tracker:
            self.play(self.camera_home(), FadeOut(Group(rows, *lost_boxes.values())), run_time=0.8)
            self.wait_until_bookmark("walks")
            self.play(FadeIn(walk), run_time=1.0)
            self.play_walk(walk, float(steps), tracker.time_until_bookmark("seen"))
            # the clock goes to the step at which the judge first sees the object, in each of the four pictures
            marker = None
            for mark, fact, index in (("seen", "pixel_seen_step", 0), ("seen_latent", "latent_seen_step", 2),
                                      ("guess", "pixel_guess_step", 1), ("guess_latent", "latent_guess_step", 3)):
                self.wait_until_bookmark(mark)
                value = facts.get(fact)
                if value is None or not 0 <= int(value.value) <= steps:
                    continue
                box = SurroundingRectangle(Group(walk.frames[index], walk.labels[index]), color=style.HIGHLIGHT,
                                           buff=0.08)
                shown_box = [Transform(marker, box)] if marker is not None else [Create(box)]
                self.play_along(self.position.animate.set_value(float(value.value)), *shown_box, least=1.0,
                                most=2.5)
                marker = marker or box

        # --- what the two walks cost, and how far they travel
        pixel_travel = self.travelled(arrays["pixel_seen_pictures"])
        latent_travel = self.travelled(twin_seen)
        travel = [LiveText(lambda c=cumulative, f=facts[name]: self.travel_text(c, f), size=style.SMALL_SIZE,
                           color=style.HIGHLIGHT)
                  for cumulative, name in ((pixel_travel, "pixel_travel"), (latent_travel, "latent_travel"))]
        travel[0].next_to(Group(*walk.frames[:2]), DOWN, buff=0.15)
        travel[1].next_to(Group(*walk.frames[2:]), DOWN, buff=0.15)
        for readout in travel:
            readout.add_updater(lambda m: m.refresh())
        bars = self.cost_bars()
        with self.narrate("answer"):
            # back to the noise, to walk both once more and measure how far each goes
            self.play_along(self.position.animate.set_value(0.0), *([FadeOut(marker)] if marker is not None else []),
                            least=0.8, most=2.0)
            self.wait_until_bookmark("travel")
            self.play(FadeIn(travel[0], shift=0.1 * UP), FadeIn(travel[1], shift=0.1 * UP), run_time=0.5)
            self.play_along(self.position.animate.set_value(float(steps)), rate_func=linear, least=2.0, most=9.0)
            self.wait_until_bookmark("cost")
            for readout in travel:
                readout.clear_updaters()
            # what one step costs: the work of a pixel step against a latent step, as bars
            self.play(FadeOut(Group(walk.grids, walk.grids_label)), run_time=0.5)
            self.play_along(self.look_at(Group(*walk.frames, bars), max(bars.width + 1.5, 0.95 * config.frame_width)),
                            LaggedStart(*(GrowFromEdge(bar, LEFT) for bar in bars.bars), lag_ratio=0.5),
                            FadeIn(bars.labels), least=1.5, most=3.5)
            self.wait_until_bookmark("why")
            # and the large models show their walk only through a decoder: the twin's walk, once more
            self.position.set_value(0.0)
            self.play_along(self.look_at(Group(*walk.frames[2:], walk.headings[1]), 7.5), FadeOut(bars),
                            self.position.animate.set_value(float(steps)), rate_func=linear, least=2.0, most=6.0,
                            leave=0.2)
            for mobject in walk.moving:
                mobject.clear_updaters()

    # --- pieces of the chapter

    @staticmethod
    def telling_pixel(picture: np.ndarray) -> tuple[int, int]:
        """The pixel of the most vivid colour (the widest spread between its three numbers): its numbers say the
        most about how a colour is made of three."""
        values = picture.astype(np.float32)
        spread = values.max(axis=-1) - values.min(axis=-1)
        row, column = np.unravel_index(int(np.argmax(spread)), spread.shape)
        return int(row), int(column)

    def forward_rows(self) -> tuple[Group, dict]:
        """The picture noised in pixels (top row) and in latents, decoded (bottom row), at a few steps of the
        schedule, those where the judge loses the object among them; boxes around those two, by space."""
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
        cells, labels, boxes = [], [], {}
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
                    boxes[space] = SurroundingRectangle(cell, color=style.HIGHLIGHT, buff=0.06)
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
        films = [Reel(arrays["pixel_seen_pictures"], np.arange(steps + 1)),
                 Reel(arrays["pixel_guess_pictures"], np.arange(1, steps + 1)),
                 Reel(arrays["latent_seen_pictures"], np.arange(steps + 1)),
                 Reel(arrays["latent_guess_pictures"], np.arange(1, steps + 1))]
        offsets = (0.0, -1.0, 0.0, -1.0)  # a guess belongs to the step that made it
        pictures = []
        for film, offset, x in zip(films, offsets, self.walk_xs):
            shown_picture = PixelPicture(film.frame_at(0), height=self.walk_height)
            shown_picture.move_to(np.array([x, self.walk_y, 0.0]))
            shown_picture.add_updater(lambda m, f=film, o=offset: m.show(f.frame_at(self.position.get_value() + o)))
            pictures.append(shown_picture)
        # what each walk sees in the noise's frame, its guess in the guess's, each named above its picture
        frames = [guess_frame(p) if i % 2 else noisy_frame(p) for i, p in enumerate(pictures)]
        labels = []
        for i, text in enumerate(("what it sees", "its guess", "what it sees", "its guess")):
            label, drop = words_on_baseline(text, size=style.LABEL_SIZE, color=style.GUESS if i % 2 else style.INK)
            label.move_to(frames[i]).shift((frames[i].get_top()[1] + 0.18 - drop - label.get_bottom()[1]) * UP)
            labels.append(label)  # all four on one baseline, "its guess" with its descender as "what it sees"
        headings = [words("in pixels", size=style.LABEL_SIZE, color=style.SIGNAL)
                    .next_to(Group(*frames[:2], *labels[:2]), UP, buff=0.25),
                    words("in latents, through the decoder", size=style.LABEL_SIZE, color=style.SIGNAL)
                    .next_to(Group(*frames[2:], *labels[2:]), UP, buff=0.25)]
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
        walk.headings = headings
        walk.grids = grids
        walk.grids_label = grids_label
        walk.moving = [*pictures, grids, counter]
        return walk

    def play_walk(self, walk, position: float, seconds: float) -> None:
        """Walk both models forwards together, at an even pace, to ``position`` steps."""
        seconds = max(seconds, 2.0)
        self.play(self.position.animate.set_value(position), run_time=seconds, rate_func=linear)

    @staticmethod
    def travelled(pictures: np.ndarray) -> np.ndarray:
        """How far a walk has travelled after each of its frames: the running sum of its steps' picture distances
        (the measure of the capture's travel facts), 0 at the noise."""
        pictures = np.asarray(pictures)
        if len(pictures) < 2:
            return np.zeros(len(pictures))
        return np.concatenate([[0.0], np.cumsum(picture_distance(pictures[1:], pictures[:-1]))])

    def travel_text(self, cumulative: np.ndarray, fact) -> str:
        """The readout under a walk: how far it has come at the clock's position; at the end, the fact itself."""
        position = float(np.clip(self.position.get_value(), 0, len(cumulative) - 1))
        if not len(cumulative) or position >= len(cumulative) - 1:
            return f"travels {shown(fact)}"
        return f"travels {np.interp(position, np.arange(len(cumulative)), cumulative):.1f}%"

    def cost_bars(self) -> Group:
        """The work of one pixel step and of one latent step, as two bars on one scale, each with its numbers."""
        facts = self.facts
        pixel, latent = float(facts["pixel_step_gflop"].value), float(facts["latent_step_gflop"].value)
        longest = max(pixel, latent, 1e-9)
        bars, labels = VGroup(), VGroup()
        for index, (value, colour, text) in enumerate((
                (pixel, style.INK, f"a pixel step: {shown(facts['pixel_step_gflop'])} billion operations"),
                (latent, style.MODEL, f"a latent step: {shown(facts['latent_step_gflop'])}, "
                                      f"{shown(facts['step_cost_ratio'])} times less work"))):
            y = self.bars_y - index * 0.62
            bar = Rectangle(width=max(self.bar_length * value / longest, 0.02), height=0.3, stroke_width=0,
                            fill_color=colour, fill_opacity=0.9)
            bar.move_to(np.array([self.bars_x, y, 0.0]), aligned_edge=LEFT)
            bars.add(bar)
            labels.add(words(text, size=style.SMALL_SIZE, color=colour)
                       .next_to(np.array([self.bars_x, y, 0.0]), LEFT, buff=0.25))
        group = Group(bars, labels)
        group.bars, group.labels = bars, labels
        return group
