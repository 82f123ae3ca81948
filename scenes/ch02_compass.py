"""Chapter "The compass": the prompt becomes tokens, the tokens become vectors of real numbers, the vectors become one pooled vector, and many prompts become a map where similar prompts sit together.

It reads two captures. The walk capture (``python -m pipeline capture walk``) gives the
prompt, its tokens, their real token states and the pooled vector; the map capture
(``python -m pipeline capture map``) gives the map of many toy-world prompts and every number
the narration says.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    ArcBetweenPoints,
    Arrow,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    FadeTransform,
    Flash,
    Group,
    GrowArrow,
    GrowFromCenter,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Rectangle,
    Transform,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from scenes import style
from scenes.charts import LabelledMap, object_colour_of
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PixelPicture, TokenStrip, ValueKey, ValueStrip, noisy_frame, value_limit
from scenes.words import ChapterTitle, PromptBox, words


class Compass(NarratedScene):
    """Prompt to tokens to token vectors to one pooled vector, then a map of many prompts' pooled vectors."""

    # The text encoder's start and end markers, named as the film names them.
    marker_names = {"[CLS]": "start", "[SEP]": "end", "<s>": "start", "</s>": "end",
                    "<|startoftext|>": "start", "<|endoftext|>": "end"}
    values_shown = 3  # the first few of one token's numbers, written out
    prompt_center = np.array([0.0, 2.55, 0.0])
    strip_height = 3.5
    strip_fold = 4  # 384 numbers as four side-by-side columns, so each cell stays visible at low resolution
    strip_column_width = 0.8
    strip_gap = 0.5
    strip_center = np.array([0.0, 0.05, 0.0])
    pooled_center = np.array([-5.2, -0.35, 0.0])
    map_size = (8.6, 6.2)
    map_center = np.array([1.95, -0.35, 0.0])

    def tell(self) -> None:
        walk = self.captures["walk"]
        real = walk.arrays["attention_mask"].astype(bool)
        tokens = [str(t) for t in walk.arrays["tokens"]]
        states = walk.arrays["token_states"][real][:len(tokens)]
        prompt_text = str(walk.facts["prompt"].value)

        # --- the prompt
        title = ChapterTitle(self.title)
        prompt = PromptBox(prompt_text).move_to(self.prompt_center)
        prompt.remove(prompt.cursor)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.5)
            self.wait_until_bookmark("prompt")
            self.play(title.animate.dock(), Create(prompt.box), run_time=1.0)
            # the prompt is written out while the narration says what must become of it
            self.play_along(Write(prompt.text), most=3.0)

        # --- tokens
        strip = TokenStrip([self.token_name(t) for t in tokens], states, height=self.strip_height,
                           column_width=self.strip_column_width, gap=self.strip_gap, fold=self.strip_fold)
        strip.move_to(self.strip_center)
        word_labels = [label for token, label in zip(tokens, strip.labels) if token not in self.marker_names]
        marker_labels = [label for token, label in zip(tokens, strip.labels) if token in self.marker_names]
        with self.narrate("tokens"):
            self.wait_until_bookmark("cut")
            # the words cut into tokens while the camera goes close to them (room on either side for the markers)
            tokens_row = Group(*word_labels, *marker_labels)
            self.play_along(self.letters_to_tokens(prompt.text, word_labels), FadeOut(prompt.box),
                            self.look_at(tokens_row, min(tokens_row.width + 1.5, config.frame_width)), most=4.0)
            self.wait_until_bookmark("markers")
            self.play_along(LaggedStart(*(FadeIn(m, scale=1.6) for m in marker_labels), lag_ratio=0.5),
                            *(m.animate.set_color(style.MUTED) for m in marker_labels), most=2.5)
            self.play_along(self.camera_home(), least=0.6, most=1.5)

        # --- every token a vector of numbers
        # At the bottom, below the numbers that will be written under one column.
        key = ValueKey().next_to(strip, DOWN, buff=1.15)
        focus = self.focus_token(tokens)
        values = words("  ".join(f"{v:.2f}".replace("-", "\u2212") for v in states[focus][:self.values_shown])
                       + "  \u2026", size=style.SMALL_SIZE, color=style.INK)
        count = words(f"{shown(self.facts['prompt_numbers'])} numbers", size=style.SMALL_SIZE, color=style.MUTED)
        callout = VGroup(values, count).arrange(DOWN, buff=0.12)
        # Under the token's column, as if its numbers were read off the strip.
        callout.next_to(strip.frames[focus], DOWN, buff=0.25)
        # Each token's list is written out number by number (the cells fill from the first), then the colours are
        # told apart: the numbers below zero alone, then those above zero alone, then all of them again.
        written = ValueTracker(0.0)
        sign = ValueTracker(0.0)  # -1: only the numbers below zero; +1: only those above; 0: all

        def shown_values(row: np.ndarray) -> np.ndarray:
            values = np.where(np.arange(row.size) < written.get_value() * row.size, row, 0.0)
            if sign.get_value() < -0.5:
                return np.minimum(values, 0.0)
            if sign.get_value() > 0.5:
                return np.maximum(values, 0.0)
            return values

        for s, row in zip(strip.strips, states):
            s.show(shown_values(row))
            s.add_updater(lambda m, row=row: m.show(shown_values(row)))
        links = self.context_links(strip.labels)
        with self.narrate("vectors"):
            self.wait_until_bookmark("vectors")
            self.add(*strip.strips)
            self.play(FadeIn(strip.frames), run_time=0.6)
            self.play_along(written.animate.set_value(1.0), rate_func=linear)
            self.wait_until_bookmark("colours")
            self.play(FadeIn(key.bar), FadeIn(key.frame), FadeIn(key.negative, shift=0.15 * UP),
                      sign.animate.set_value(-1.0), run_time=0.8)
            self.wait_until_bookmark("above")
            self.play(FadeIn(key.positive, shift=0.15 * UP), sign.animate.set_value(1.0), run_time=0.8)
            self.play_along(sign.animate.set_value(0.0), least=0.3, most=1.0)
            for s in strip.strips:
                s.clear_updaters()
            self.wait_until_bookmark("numbers")
            self.play(Indicate(strip.frames[focus], color=style.HIGHLIGHT, scale_factor=1.05),
                      FadeIn(callout, shift=0.1 * RIGHT), run_time=1.0)
            self.wait_until_bookmark("context")
            # every word reads every other: the links between the tokens are drawn while that is said
            self.play_along(LaggedStart(*(Create(link) for link in links), lag_ratio=0.15),
                            Indicate(strip.labels, color=style.HIGHLIGHT, scale_factor=1.1), most=3.5)

        # --- one pooled vector
        pooled_values = walk.arrays["pooled"]
        pooled = ValueStrip(pooled_values, value_limit(pooled_values), width=self.strip_column_width,
                            height=self.strip_height, fold=self.strip_fold).move_to(strip.strips[len(tokens) // 2])
        pooled_frame = Frame(pooled, buff=0.03, color=style.MODEL)
        pooled_name = words("the prompt", size=style.LABEL_SIZE, color=style.MODEL)
        pooled_name.next_to(pooled_frame, UP, buff=0.2)
        pooled_note = words("average, scaled to length one", size=style.SMALL_SIZE, color=style.MUTED)
        pooled_note.next_to(pooled_frame, DOWN, buff=0.2)
        centre = pooled.get_center()
        needle = Arrow(pooled_frame.get_right(), pooled_frame.get_right() + 2.2 * RIGHT, buff=0.15,
                       color=style.HIGHLIGHT, stroke_width=style.ARROW_STROKE)
        with self.narrate("pooled"):
            self.play(FadeOut(callout), FadeOut(key), FadeOut(links), run_time=0.5)
            # the image model listens to every column: each lights up in turn
            self.play_along(LaggedStart(*(Indicate(VGroup(strip.frames[i], strip.labels[i]), color=style.HIGHLIGHT, scale_factor=1.08)
                                          for i in range(len(tokens))), lag_ratio=0.35), most=4.0)
            self.wait_until_bookmark("average")
            self.play_along(*(Group(s, f).animate.move_to(centre).set_opacity(0.25)
                              for s, f in zip(strip.strips, strip.frames)),
                            FadeOut(strip.labels, shift=0.3 * UP), least=1.4, most=2.4, leave=1.2)
            self.play(FadeIn(pooled), FadeIn(pooled_frame), FadeOut(Group(*strip.strips, strip.frames)),
                      run_time=0.8)
            self.wait_until_bookmark("one")
            self.play_along(FadeIn(pooled_name, shift=0.15 * DOWN), FadeIn(pooled_note, shift=0.15 * UP),
                            most=2.0)
            self.wait_until_bookmark("compass")
            # the compass: one direction, pointing where the walk should go
            self.play_along(Indicate(pooled_frame, color=style.HIGHLIGHT, scale_factor=1.05), GrowArrow(needle),
                            most=2.0)

        # --- a map of many prompts
        prompt_map = self.prompt_map(self.arrays, prompt_text)
        walk_dot = prompt_map.dots[-1]
        walk_label = prompt_map.label_of[len(prompt_map.dots) - 1]
        atlas_dots = prompt_map.dots[:-1]
        kinds = ["colour" if str(c) else "setting" if str(s) else "alone"
                 for c, s in zip(self.arrays["atlas_colour"], self.arrays["atlas_setting"])]
        map_note = words(f"{shown(self.facts['atlas_count'])} prompts, flattened to two directions",
                         size=style.SMALL_SIZE, color=style.MUTED).next_to(prompt_map.border, DOWN, buff=0.15)
        pooled_column = Group(pooled, pooled_frame, pooled_name, pooled_note)
        directions, kept = self.map_directions(prompt_map)
        with self.narrate("map"):
            self.wait_until_bookmark("map")
            self.play(pooled_column.animate.scale(0.8).move_to(self.pooled_center), FadeOut(needle), run_time=1.0)
            self.play(Create(prompt_map.border), run_time=0.6)
            self.play(FadeTransform(pooled_frame.copy(), walk_dot), FadeIn(walk_label), run_time=1.0)
            # the prompts arrive as they are named: the objects alone, then in every colour, then in every setting
            for mark, kind in (("many", "alone"), ("coloured", "colour"), ("settings", "setting")):
                self.wait_until_bookmark(mark)
                arriving = [d for d, k in zip(atlas_dots, kinds) if k == kind]
                if arriving:  # each prompt's dot grows in where it lands, while the kind is named
                    self.play_along(LaggedStart(*(GrowFromCenter(d) for d in arriving), lag_ratio=0.05),
                                    least=1.0, most=3.0, leave=0.3)
            self.wait_until_bookmark("flatten")
            # the two directions the prompts differ most in, across the map, and the share of their spread kept
            self.play_along(Create(directions), FadeIn(map_note), most=3.0)
            self.wait_until_bookmark("keeps")
            self.play_along(FadeIn(kept.track), GrowFromEdge(kept.bar, LEFT), FadeIn(kept.label), most=2.5)
            self.wait_until_bookmark("together")
            self.play_along(FadeOut(kept), FadeOut(directions),
                            LaggedStart(*(FadeIn(prompt_map.label_of[i], scale=1.4) for i in prompt_map.label_of
                                          if i != len(prompt_map.dots) - 1), lag_ratio=0.15), most=4.0)

        # --- measured, not just seen
        readouts = self.readouts(self.facts, prompt_map)
        objects = [str(o) for o in self.arrays["atlas_object"]]
        first_object = objects[0]
        other_object = next((o for o in objects if o != first_object), first_object)
        same_cluster = VGroup(*(d for d, o in zip(atlas_dots, objects) if o == first_object))
        clusters = [VGroup(*(d for d, o in zip(atlas_dots, objects) if o == name)) for name in dict.fromkeys(objects)]
        other_cluster = VGroup(*(d for d, o in zip(atlas_dots, objects) if o == other_object))
        with self.narrate("measured"):
            self.play(FadeOut(pooled_note), FadeOut(pooled_name), Group(pooled, pooled_frame).animate.set_opacity(0),
                      run_time=0.6)
            self.remove(pooled, pooled_frame)
            self.wait_until_bookmark("neighbour")
            # object by object, the prompts whose nearest neighbours share their object light up together
            self.play_along(FadeIn(readouts.neighbour, shift=0.1 * UP),
                            LaggedStart(*(Indicate(cluster, color=style.HIGHLIGHT, scale_factor=1.6)
                                          for cluster in clusters), lag_ratio=0.4), most=4.0)
            self.wait_until_bookmark("alike")
            self.play_along(FadeIn(readouts.alike_title, shift=0.1 * UP),
                            FadeIn(readouts.same, shift=0.1 * UP),
                            Indicate(same_cluster, color=style.HIGHLIGHT, scale_factor=1.6), most=2.5)
            self.wait_until_bookmark("unlike")
            self.play_along(FadeIn(readouts.other, shift=0.1 * UP),
                            Indicate(VGroup(same_cluster, other_cluster), color=style.HIGHLIGHT, scale_factor=1.6),
                            most=2.5)

        # a prompt is a direction: an arrow from the middle of the map to it, and to its nearest neighbours
        middle = prompt_map.to_scene(np.asarray(self.arrays["atlas_xy"], dtype=float).mean(axis=0))
        own_arrow = Arrow(middle, walk_dot.get_center(), buff=0.05, color=style.HIGHLIGHT, stroke_width=style.ARROW_STROKE)
        nearby = np.argsort(np.linalg.norm(self.arrays["atlas_xy"] - np.asarray(self.arrays["walk_prompt_xy"]).reshape(1, 2),
                                           axis=1))[:3]
        near_arrows = VGroup(*(Arrow(middle, atlas_dots[i].get_center(), buff=0.05, color=style.MUTED, stroke_width=3)
                               for i in nearby))
        start = self.captures["walk"].arrays["trajectory_pictures"][0]
        start_noise = PixelPicture(start, height=4.4).move_to(np.array([0.0, -0.2, 0.0]))  # large, in the middle
        start_frame = noisy_frame(start_noise)
        start_name = words("a place to start?", size=style.LABEL_SIZE, color=style.NOISY)
        start_name.next_to(start_frame, DOWN, buff=0.2)
        everything = Group(*(m for m in self.mobjects if m is not title))
        with self.narrate("closing"):
            self.play_along(GrowArrow(own_arrow), Flash(walk_dot, color=style.HIGHLIGHT, flash_radius=0.35),
                            most=2.0)
            self.wait_until_bookmark("points")
            self.play_along(LaggedStart(*(GrowArrow(a) for a in near_arrows), lag_ratio=0.3), most=2.5)
            self.wait_until_bookmark("start")
            self.play(FadeOut(everything), FadeOut(own_arrow), FadeOut(near_arrows), run_time=0.8)
            self.play_along(FadeIn(start_noise, scale=0.6), Create(start_frame), FadeIn(start_name), most=2.0)

    # --- pieces of the chapter

    @staticmethod
    def context_links(labels: VGroup) -> VGroup:
        """Arcs above the tokens' labels, one between every pair: each token's numbers are read with every other's."""
        links = VGroup()
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                start, end = labels[i].get_top() + 0.1 * UP, labels[j].get_top() + 0.1 * UP
                links.add(ArcBetweenPoints(start, end, angle=-0.8, color=style.HIGHLIGHT,
                                           stroke_width=2, stroke_opacity=0.7))
        return links

    def map_directions(self, prompt_map: LabelledMap) -> tuple[VGroup, VGroup]:
        """The map's two directions as lines across it, and a bar of the share of the prompts' spread they keep."""
        border = prompt_map.border
        middle = border.get_center()
        across = DashedLine(border.get_left(), border.get_right(), color=style.MUTED, stroke_width=style.GUIDE_STROKE)
        up = DashedLine(border.get_bottom(), border.get_top(), color=style.MUTED, stroke_width=style.GUIDE_STROKE)
        directions = VGroup(across, up).move_to(middle)
        total = float(self.facts["prompt_map_variance"].value) / 100.0
        track = Rectangle(width=2.4, height=0.22, color=style.FAINT, stroke_width=style.FRAME_STROKE)
        bar = Rectangle(width=max(2.4 * min(total, 1.0), 0.02), height=0.22, stroke_width=0,
                        fill_color=style.HIGHLIGHT, fill_opacity=0.9)
        label = words(f"{shown(self.facts['prompt_map_variance'])} of the spread kept", size=style.SMALL_SIZE,
                      color=style.INK)
        # in the column left of the map, under the prompt's own vector
        track.move_to(np.array([self.pooled_center[0], -3.2, 0.0]))
        bar.align_to(track, LEFT).set_y(track.get_y())
        label.next_to(track, UP, buff=0.15)
        if label.width > 2.9:
            label.width = 2.9
        kept = VGroup(track, bar, label)
        kept.track, kept.bar, kept.label = track, bar, label
        return directions, kept

    def token_name(self, token: str) -> str:
        """A token as the film writes it: markers named, and the tokenizer's word-piece signs dropped."""
        if token in self.marker_names:
            return self.marker_names[token]
        return token.removeprefix("##").removesuffix("</w>") or token

    def focus_token(self, tokens: list[str]) -> int:
        """The token whose numbers are written out: the longest word, the one a listener remembers."""
        candidates = [i for i, t in enumerate(tokens) if t not in self.marker_names] or [0]
        return max(candidates, key=lambda i: len(tokens[i]))

    @staticmethod
    def letters_to_tokens(text, labels: list) -> Transform | FadeTransform:
        """The prompt's letters fly to the tokens' labels, letter by letter where the letters agree."""
        letters = VGroup(*(letter for label in labels for letter in label))
        if len(letters) == len(text):
            return Transform(VGroup(*text), letters, replace_mobject_with_target_in_scene=True)
        return FadeTransform(text, VGroup(*labels))

    def prompt_map(self, arrays, prompt_text: str) -> LabelledMap:
        """Every atlas prompt as a dot in its object's colour, the object alone labelled; the walk's prompt last."""
        objects = [str(o) for o in arrays["atlas_object"]]
        colour_of = object_colour_of(objects)  # shared, so an object keeps its colour from map to map
        # The bare object ("a butterfly") names its neighbourhood; the others stay unlabelled.
        bare = [not str(c) and not str(s) for c, s in zip(arrays["atlas_colour"], arrays["atlas_setting"])]
        labels = [o if b else None for o, b in zip(objects, bare)] + [prompt_text]
        colours = [colour_of[o] for o in objects] + [style.HIGHLIGHT]
        points = np.concatenate([arrays["atlas_xy"], np.asarray(arrays["walk_prompt_xy"]).reshape(1, 2)])
        prompt_map = LabelledMap(points, labels=labels, colors=colours, width=self.map_size[0],
                                 height=self.map_size[1], dot_radius=0.06)
        prompt_map.move_to(self.map_center)
        # Our prompt stands out: a bigger dot with a ring, drawn over the others.
        walk_dot = prompt_map.dots[-1]
        walk_dot.scale(1.6).set_stroke(style.INK, width=2)
        return prompt_map

    def readouts(self, facts, prompt_map: LabelledMap) -> VGroup:
        """The measured numbers in the column left of the map: a muted heading over each, the numbers in ink."""
        def pair(heading: str, *lines: str) -> VGroup:
            return VGroup(words(heading, size=style.SMALL_SIZE, color=style.MUTED),
                          *(words(line, size=style.LABEL_SIZE) for line in lines)).arrange(
                DOWN, buff=0.15, aligned_edge=LEFT)

        neighbour = pair("most similar other prompt",
                         f"same object for {shown(facts['atlas_same_object_neighbour'])}")
        alike = pair("how alike two prompts are",
                     f"same object: {shown(facts['atlas_similarity_same_object'])}",
                     f"other objects: {shown(facts['atlas_similarity_other_object'])}")
        readouts = VGroup(neighbour, alike).arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        room = prompt_map.border.get_left()[0] + config.frame_width / 2 - 0.7
        if readouts.width > room:
            readouts.width = room
        readouts.next_to(prompt_map.border, LEFT, buff=0.35).align_to(prompt_map.border, UP).shift(0.5 * DOWN)
        readouts.neighbour = neighbour
        readouts.alike_title, readouts.same, readouts.other = VGroup(alike[0]), alike[1], alike[2]
        return readouts
