"""Chapter "Where does the prompt point?": the prompt's vector and a picture are lists of different lengths in different spaces; one prompt marks out a whole region of pictures, and the middle of that region is a blur nobody would draw.

It reads the map capture (``python -m pipeline capture map``) for every number it says and for
both maps; the jump capture for the many seeds' finished pictures of one prompt and their
average; and the blend capture (or, for another prompt, the walk capture) for a prompt's vector.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    BackgroundRectangle,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    GrowFromCenter,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Line,
    Polygon,
    Rectangle,
    ReplacementTransform,
    VGroup,
    Write,
    config,
)

from pipeline.contract import Capture
from scenes import style
from scenes.charts import LabelledMap, finished_pictures_xy, picture_map_xy
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PixelPicture, ValueStrip, fade_to, value_limit
from scenes.words import ChapterTitle, PromptBox, prompt_words, words


def convex_hull(points: np.ndarray) -> np.ndarray:
    """The corners of the smallest convex region holding every point, anticlockwise (Andrew's monotone chain)."""
    unique = sorted(set(map(tuple, np.asarray(points, dtype=float))))
    if len(unique) < 3:
        return np.array(unique)

    def turn(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in unique:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(unique):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


class WherePromptPoints(NarratedScene):
    """A prompt's vector beside a picture, then the prompt as one point on the map of prompts and as a whole region on the map of pictures, with the region's blurry middle."""

    vector_fold = 16  # the prompt's numbers drawn as this many columns
    vector_size = (2.2, 3.4)
    picture_height = 3.4
    spaces_y = -0.35
    map_width, map_height = 6.3, 4.7
    map_y = -0.45
    prompt_map_zoom = 1.15  # the map of prompts, while it is alone on screen
    thumbnail_height = 0.42  # each finished picture pinned where it lands on the map of pictures
    mean_height = 1.1

    def tell(self) -> None:
        jump = self.captures["jump"]
        prompt = str(jump.facts["prompt"].value)
        vector_prompt, vector = self.prompt_vector(prompt)

        # --- two lists of numbers
        title = ChapterTitle(self.title)
        strip = ValueStrip(vector, value_limit(vector), width=self.vector_size[0], height=self.vector_size[1],
                           fold=self.vector_fold)
        strip.move_to(np.array([-3.4, self.spaces_y, 0.0]))
        strip_frame = Frame(strip, buff=0.03)
        strip_label = prompt_words(vector_prompt)
        strip_label.next_to(strip_frame, UP, buff=0.2)
        strip_count = words(f"{shown(self.facts['prompt_numbers'])} numbers", size=style.LABEL_SIZE, color=style.MODEL)
        strip_count.next_to(strip_frame, DOWN, buff=0.2)
        picture = PixelPicture(jump.arrays["finals"][0], height=self.picture_height)
        picture.move_to(np.array([3.4, self.spaces_y, 0.0]))
        picture_frame = Frame(picture, color=style.SIGNAL)
        picture_label = words("a picture", size=style.LABEL_SIZE, color=style.SIGNAL)
        picture_label.next_to(picture_frame, UP, buff=0.2)
        picture_count = words(f"{shown(self.facts['picture_numbers'])} numbers", size=style.LABEL_SIZE, color=style.SIGNAL)
        picture_count.next_to(picture_frame, DOWN, buff=0.2)
        typed = PromptBox(vector_prompt, width=0.0).move_to(np.array([0.0, 0.6, 0.0]))
        typed.remove(typed.cursor)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.play(title.animate.dock(), run_time=0.8)
            self.wait_until_bookmark("prompt")
            self.play_along(Create(typed.box), Write(typed.text), least=0.8, most=2.5)
            self.wait_until_bookmark("vector")
            self.play_along(ReplacementTransform(typed.text, strip_label), FadeOut(typed.box),
                            FadeIn(strip, shift=0.5 * DOWN),
                            Create(strip_frame), least=1.0, most=2.0)
            self.wait_until_bookmark("count")
            self.play_along(FadeIn(strip_count, shift=0.1 * UP), least=0.6, most=1.5)

        not_equal = words("\u2260", size=style.TITLE_SIZE * 1.4, color=style.HIGHLIGHT)
        not_equal.move_to((strip_frame.get_right() + picture_frame.get_left()) / 2)
        # the two lists' lengths side by side, to scale: 384 numbers against 3072
        lengths = self.list_lengths(strip_frame, picture_frame)
        with self.narrate("spaces"):
            self.wait_until_bookmark("picture")
            self.play_along(FadeIn(picture, scale=0.7), Create(picture_frame), FadeIn(picture_label), least=1.0,
                            most=1.8)
            self.wait_until_bookmark("count")
            # the camera goes into the picture's corner: every pixel is three numbers, its red, green and blue
            self.play(FadeIn(picture_count, shift=0.1 * UP), run_time=0.6)
            self.play_along(self.look_at(picture.get_corner(UP + LEFT) + np.array([0.9, -0.5, 0.0]),
                                         0.3 * config.frame_width), least=1.0, most=3.0)
            self.wait_until_bookmark("different")
            self.play(self.camera_home(), FadeIn(not_equal, scale=0.6),
                      run_time=1.2)
            self.play_along(*(GrowFromEdge(bar, LEFT) for bar in lengths.bars), FadeIn(lengths.labels),
                            least=1.0, most=3.0)

        # --- the map of prompts: the prompt is one point
        prompt_map = self.prompt_map(self.arrays, prompt)
        prompt_map.move_to(np.array([-3.45, self.map_y, 0.0]))
        prompt_heading = words("the map of prompts", size=style.LABEL_SIZE).next_to(prompt_map.border, UP, buff=0.2)
        here = prompt_map.highlighted
        # While only prompts are spoken of, their map is large and central; it makes room for the pictures' map later.
        prompt_side = Group(prompt_map, prompt_heading)
        prompt_home = prompt_side.get_center()
        prompt_side.scale(self.prompt_map_zoom).move_to(np.array([0.0, self.map_y, 0.0]))
        objects = [str(o) for o in self.arrays["atlas_object"]]
        kin_before = [(i, prompt_map.dots[i].get_color(), prompt_map.dots[i].get_fill_opacity())
                      for i, o in enumerate(objects) if o == objects[here] and i != here]
        links = self.nearest_links(prompt_map, objects)
        links_key = words("each prompt to its nearest: green, the same object; red, another", size=style.SMALL_SIZE,
                          color=style.MUTED).next_to(prompt_map.border, DOWN, buff=0.12)
        with self.narrate("prompts"):
            self.play(FadeOut(Group(strip, strip_frame, strip_count, picture, picture_frame, picture_label,
                                    picture_count, not_equal, lengths)),
                      strip_label.animate.move_to(prompt_heading).set_opacity(0), run_time=0.8)
            self.remove(strip_label)
            self.play(Create(prompt_map.border), FadeIn(prompt_heading), run_time=0.8)
            self.wait_until_bookmark("atlas")
            self.play_along(LaggedStart(*(GrowFromCenter(d) for d in prompt_map.dots), lag_ratio=0.02),
                            FadeIn(prompt_map.labels), least=1.5, most=3.5)
            self.wait_until_bookmark("together")
            # the prompts that name our prompt's object light up: one cluster
            kin = [i for i, o in enumerate(objects) if o == objects[here] and i != here]
            self.play(*(prompt_map.dots[i].animate.set_color(style.HIGHLIGHT).set_opacity(1.0).scale(1.4) for i in kin),
                      run_time=0.8)
            self.wait_until_bookmark("nearest")
            self.play(*(prompt_map.dots[i].animate.set_color(colour).set_opacity(opacity).scale(1 / 1.4)
                        for i, colour, opacity in kin_before),
                      LaggedStart(*(Create(link) for link in links), lag_ratio=0.01), FadeIn(links_key), run_time=2.0)
            self.wait_until_bookmark("one")
            self.play_along(Indicate(prompt_map.dots[here], color=style.HIGHLIGHT, scale_factor=2.5),
                            Indicate(prompt_map.label_of[here], color=style.HIGHLIGHT), least=1.2, most=2.5)

        # --- the map of pictures: the same prompt is a whole region
        finals = jump.arrays["finals"]
        finals_xy = picture_map_xy(self.capture, finals)
        mean_xy = picture_map_xy(self.capture, jump.arrays["mean_of_finals_picture"])
        others_xy = finished_pictures_xy(self.capture, leave_out=("seeds_final_xy",))  # seeds' finals are these finals
        picture_map = self.picture_map(finals_xy, others_xy)
        picture_map.move_to(np.array([3.45, self.map_y, 0.0]))
        outline = self.region_outline(picture_map, finals_xy)
        picture_heading = words("the map of pictures", size=style.LABEL_SIZE).next_to(picture_map.border, UP, buff=0.2)
        thumbnails = [Group(p := PixelPicture(pixels, height=self.thumbnail_height), Frame(p, buff=0.01))
                      .move_to(picture_map.to_scene(xy)) for pixels, xy in zip(finals, finals_xy)]
        region_label = words(f"{len(finals)} seeds of \u201c{prompt}\u201d", size=style.SMALL_SIZE, color=style.SIGNAL)
        region_label.next_to(picture_map.border, DOWN, buff=0.15)
        others_label = words("dots: other finished pictures of this film", size=style.SMALL_SIZE, color=style.MUTED)
        others_label.next_to(picture_map.border, DOWN, buff=0.15)
        with self.narrate("region"):
            self.play(FadeOut(links), FadeOut(links_key), run_time=0.5)
            self.play(prompt_side.animate.scale(1 / self.prompt_map_zoom).move_to(prompt_home), run_time=1.0)
            self.play(Create(picture_map.border), FadeIn(picture_heading), FadeIn(picture_map.dots),
                      FadeIn(others_label), run_time=0.8)
            self.wait_until_bookmark("region")
            self.play(LaggedStart(*(FadeIn(t, scale=0.5) for t in thumbnails), lag_ratio=0.05), FadeIn(region_label),
                      FadeOut(others_label), run_time=2.5)
            self.wait_until_bookmark("outline")
            self.play_along(Create(outline), least=1.2, most=3.0)

        # --- the middle of the region
        mean = PixelPicture(jump.arrays["mean_of_finals_picture"], height=self.mean_height)
        mean_frame = Frame(mean, color=style.HIGHLIGHT)
        mean_group = Group(mean, mean_frame).move_to(picture_map.to_scene(mean_xy))
        mean_label = words("their average", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        sharpness = words(f"sharpness {shown(jump.facts['mean_sharpness'])}, where finished pictures have "
                          f"{shown(jump.facts['finals_sharpness'])}", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        sharpness.next_to(region_label, DOWN, buff=0.12)
        with self.narrate("middle"):
            self.wait_until_bookmark("middle")
            self.play(*(fade for t in thumbnails for fade in fade_to(t, 0.3)), run_time=0.6)
            self.play(FadeIn(mean_group, scale=0.3), run_time=1.0)
            mean_label.next_to(mean_frame, DOWN, buff=0.1)
            # On a dark card, so the pictures around it do not show through the words.
            mean_card = BackgroundRectangle(mean_label, color=style.BACKGROUND, fill_opacity=0.9, buff=0.06)
            self.play(FadeIn(mean_card), FadeIn(mean_label), run_time=0.5)
            self.wait_until_bookmark("blur")
            # close to the average, where the blur shows
            self.play(FadeIn(sharpness, shift=0.1 * UP), run_time=0.6)
            self.play_along(self.look_at(mean_group, 0.35 * config.frame_width), least=1.0,
                            most=3.0)

        with self.narrate("end"):
            self.play_along(self.camera_home(), least=1.0, most=2.5)
            self.wait_until_bookmark("seed")
            self.play(FadeOut(mean_group), FadeOut(mean_label), FadeOut(mean_card), *(fade for t in thumbnails for fade in fade_to(t, 1.0)),
                      run_time=1.0)
            self.play(LaggedStart(*(Indicate(t, color=style.SIGNAL, scale_factor=1.6) for t in thumbnails[:6]),
                                  lag_ratio=0.3), run_time=2.0)

    def list_lengths(self, strip_frame, picture_frame) -> VGroup:
        """Two bars along the bottom, one per list, their lengths in proportion to how many numbers each holds."""
        counts = [float(self.facts[name].value) for name in ("prompt_numbers", "picture_numbers")]
        longest = 10.0 / max(max(counts), 1.0)
        bars, labels = VGroup(), VGroup()
        for index, (count, colour, name) in enumerate(zip(counts, (style.MODEL, style.SIGNAL),
                                                          ("prompt_numbers", "picture_numbers"))):
            bar = Rectangle(width=max(count * longest, 0.05), height=0.2, stroke_width=0, fill_color=colour,
                            fill_opacity=0.9)
            bar.move_to(np.array([-5.6, -3.0 - 0.42 * index, 0.0]), aligned_edge=LEFT)
            bars.add(bar)
            labels.add(words(shown(self.facts[name]), size=style.SMALL_SIZE, color=colour).next_to(bar, RIGHT,
                                                                                                    buff=0.15))
        lengths = VGroup(bars, labels)
        lengths.bars, lengths.labels = bars, labels
        return lengths

    @staticmethod
    def nearest_links(the_map: LabelledMap, objects: list[str]) -> VGroup:
        """A line from each prompt's dot to its nearest other dot on the map (the map capture's
        atlas_same_object_neighbour_on_map counts the same neighbours): green where both name one object."""
        centres = np.array([dot.get_center() for dot in the_map.dots])
        links = VGroup()
        if len(centres) < 2:
            return links
        gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1)
        np.fill_diagonal(gaps, np.inf)
        for i, j in enumerate(np.argmin(gaps, axis=1)):
            colour = style.JUDGE_YES if objects[i] == objects[j] else style.JUDGE_NO
            links.add(Line(centres[i], centres[j], color=colour, stroke_width=style.MARK_STROKE))
        return links

    # --- what the chapter reads

    def prompt_vector(self, prompt: str) -> tuple[str, np.ndarray]:
        """The pooled vector of ``prompt`` from the blend capture, which holds it when the prompts are the film's
        own; otherwise the walk's prompt and vector, with that prompt's own name on screen."""
        blend = self.read_capture("blend")
        for name, vector in zip(blend.arrays["prompts"], blend.arrays["pooled"]):
            if str(name) == prompt:
                return prompt, vector
        walk: Capture = self.read_capture("walk")
        return str(walk.facts["prompt"].value), walk.arrays["pooled"]

    # --- pieces of the chapter

    def prompt_map(self, arrays, prompt: str) -> LabelledMap:
        """Every atlas prompt as a dot; the plain one-object prompts labelled, the chapter's prompt in green."""
        prompts = [str(p) for p in arrays["atlas_prompts"]]
        plain = [not str(c) and not str(s) for c, s in zip(arrays["atlas_colour"], arrays["atlas_setting"])]
        here = prompts.index(prompt) if prompt in prompts else int(np.argmax(plain))
        labels = [p if (is_plain or i == here) else None for i, (p, is_plain) in enumerate(zip(prompts, plain))]
        colors = [style.MODEL if i == here else (style.INK if plain[i] else style.MUTED) for i in range(len(prompts))]
        the_map = LabelledMap(arrays["atlas_xy"], labels, colors=colors, width=self.map_width,
                              height=self.map_height, dot_radius=0.05, label_size=style.SMALL_SIZE)
        the_map.highlighted = here
        for index, dot in enumerate(the_map.dots):
            if index == here:
                dot.scale(1.6)
            elif not plain[index]:
                dot.set_opacity(0.5)
        return the_map

    def picture_map(self, finals_xy: np.ndarray, others_xy: np.ndarray) -> LabelledMap:
        """The map of pictures, framed around the prompt's finished pictures and the film's other finished
        pictures, which are faint dots: the landscape the prompt's region sits in."""
        every = np.concatenate([finals_xy, others_xy])
        low, high = every.min(axis=0), every.max(axis=0)
        the_map = LabelledMap(others_xy if len(others_xy) else finals_xy[:1], width=self.map_width,
                              height=self.map_height, bounds=(low[0], high[0], low[1], high[1]), margin=0.4,
                              dot_radius=0.045, colors=[style.MUTED] * max(len(others_xy), 1))
        the_map.dots.set_opacity(0.55 if len(others_xy) else 0.0)
        return the_map

    def region_outline(self, the_map: LabelledMap, points_xy: np.ndarray):
        """The region the prompt's pictures fill: the outline around all of them, lightly filled."""
        corners = convex_hull(points_xy)
        if len(corners) < 3:
            return VGroup(*(Dot(the_map.to_scene(c), radius=0.05, color=style.SIGNAL) for c in corners))
        pad = self.thumbnail_height / 2
        centre = corners.mean(axis=0)
        on_screen = [the_map.to_scene(c) for c in corners]
        middle = the_map.to_scene(centre)
        # Pushed out by half a thumbnail, so the outline goes round the pictures, not through them.
        pushed = [p + pad * (p - middle) / max(np.linalg.norm(p - middle), 1e-9) for p in on_screen]
        return Polygon(*pushed, color=style.SIGNAL, stroke_width=2.5, fill_opacity=0.08)
