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
    Create,
    FadeIn,
    FadeOut,
    FadeTransform,
    Flash,
    Group,
    Indicate,
    LaggedStart,
    Transform,
    VGroup,
    Write,
    config,
)

from scenes import style
from scenes.charts import LabelledMap, object_colour_of
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, TokenStrip, ValueKey, ValueStrip, value_limit
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
            self.play(title.animate.scale(0.62).to_edge(UP, buff=0.3), FadeIn(prompt), run_time=1.0)

        # --- tokens
        strip = TokenStrip([self.token_name(t) for t in tokens], states, height=self.strip_height,
                           column_width=self.strip_column_width, gap=self.strip_gap, fold=self.strip_fold)
        strip.move_to(self.strip_center)
        word_labels = [label for token, label in zip(tokens, strip.labels) if token not in self.marker_names]
        marker_labels = [label for token, label in zip(tokens, strip.labels) if token in self.marker_names]
        with self.narrate("tokens"):
            self.wait_until_bookmark("cut")
            self.play(self.letters_to_tokens(prompt.text, word_labels), FadeOut(prompt.box), run_time=1.4)
            self.wait_until_bookmark("markers")
            self.play(LaggedStart(*(FadeIn(m, scale=1.3) for m in marker_labels), lag_ratio=0.3),
                      *(m.animate.set_color(style.MUTED) for m in marker_labels), run_time=1.0)

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
        with self.narrate("vectors"):
            self.wait_until_bookmark("vectors")
            self.play(LaggedStart(*(FadeIn(Group(s, f)) for s, f in zip(strip.strips, strip.frames)),
                                  lag_ratio=0.12), run_time=1.6)
            self.wait_until_bookmark("colours")
            self.play(FadeIn(key, shift=0.15 * UP), run_time=0.8)
            self.wait_until_bookmark("numbers")
            self.play(Indicate(strip.frames[focus], color=style.HIGHLIGHT, scale_factor=1.05),
                      FadeIn(callout, shift=0.1 * RIGHT), run_time=1.0)
            self.wait_until_bookmark("context")
            self.play(Indicate(strip.labels, color=style.HIGHLIGHT, scale_factor=1.1), run_time=1.2)

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
        with self.narrate("pooled"):
            self.play(FadeOut(callout), FadeOut(key), run_time=0.5)
            self.wait_until_bookmark("average")
            self.play(*(Group(s, f).animate.move_to(centre).set_opacity(0.25)
                        for s, f in zip(strip.strips, strip.frames)),
                      FadeOut(strip.labels, shift=0.3 * UP), run_time=1.4)
            self.play(FadeIn(pooled), FadeIn(pooled_frame), FadeOut(Group(*strip.strips, strip.frames)),
                      run_time=0.8)
            self.wait_until_bookmark("one")
            self.play(FadeIn(pooled_name, shift=0.15 * DOWN), FadeIn(pooled_note, shift=0.15 * UP), run_time=0.8)
            self.wait_until_bookmark("compass")
            self.play(Indicate(pooled_frame, color=style.HIGHLIGHT, scale_factor=1.05), run_time=1.0)

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
        with self.narrate("map"):
            self.wait_until_bookmark("map")
            self.play(pooled_column.animate.scale(0.8).move_to(self.pooled_center), run_time=1.0)
            self.play(Create(prompt_map.border), run_time=0.6)
            self.play(FadeTransform(pooled_frame.copy(), walk_dot), FadeIn(walk_label), run_time=1.0)
            # the prompts arrive as they are named: the objects alone, then in every colour, then in every setting
            for mark, kind in (("many", "alone"), ("coloured", "colour"), ("settings", "setting")):
                self.wait_until_bookmark(mark)
                arriving = [d for d, k in zip(atlas_dots, kinds) if k == kind]
                if arriving:
                    self.play(LaggedStart(*(FadeIn(d, scale=0.5) for d in arriving), lag_ratio=0.03), run_time=1.0)
            self.wait_until_bookmark("flatten")
            self.play(FadeIn(map_note), run_time=0.6)
            self.wait_until_bookmark("together")
            self.play(LaggedStart(*(FadeIn(prompt_map.label_of[i]) for i in prompt_map.label_of
                                    if i != len(prompt_map.dots) - 1), lag_ratio=0.15), run_time=1.6)

        # --- measured, not just seen
        readouts = self.readouts(self.facts, prompt_map)
        objects = [str(o) for o in self.arrays["atlas_object"]]
        first_object = objects[0]
        other_object = next((o for o in objects if o != first_object), first_object)
        same_cluster = VGroup(*(d for d, o in zip(atlas_dots, objects) if o == first_object))
        other_cluster = VGroup(*(d for d, o in zip(atlas_dots, objects) if o == other_object))
        with self.narrate("measured"):
            self.play(FadeOut(pooled_note), FadeOut(pooled_name), Group(pooled, pooled_frame).animate.set_opacity(0),
                      run_time=0.6)
            self.remove(pooled, pooled_frame)
            self.wait_until_bookmark("neighbour")
            self.play(FadeIn(readouts.neighbour, shift=0.1 * UP), run_time=0.8)
            self.wait_until_bookmark("alike")
            self.play(FadeIn(readouts.alike_title, shift=0.1 * UP), FadeIn(readouts.same, shift=0.1 * UP),
                      Indicate(same_cluster, color=style.HIGHLIGHT, scale_factor=1.3), run_time=1.0)
            self.wait_until_bookmark("unlike")
            self.play(FadeIn(readouts.other, shift=0.1 * UP),
                      Indicate(VGroup(same_cluster, other_cluster), color=style.HIGHLIGHT, scale_factor=1.3),
                      run_time=1.0)

        with self.narrate("closing"):
            self.wait_until_bookmark("points")
            self.play(Flash(walk_dot, color=style.HIGHLIGHT, flash_radius=0.35), run_time=1.0)

    # --- pieces of the chapter

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
