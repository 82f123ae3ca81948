"""Chapter "One word at a time": a prompt typed word by word, the picture and the prompt's point on the map of prompts as each word arrives, and whether shuffling the words changes the picture.

It reads the words capture (``python -m pipeline capture words``): the picture of each
growing prompt from one seed, how much each word changed it, the judge's reading of each,
the same words in other orders with their pictures, and other seeds of the whole prompt as a
yardstick. The prompts' points come from the map capture (``python -m pipeline capture map``),
whose prompt map places every prompt in the same coordinates as chapter two's map. Every
number said is a fact of the words capture; every number shown is one of its facts or arrays.
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
    Dot,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    GrowArrow,
    GrowFromCenter,
    LaggedStart,
    Line,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from scenes import style
from scenes.charts import LabelledMap, object_colour_of
from scenes.narration import NarratedScene
from scenes.narration.speech import BOOKMARK
from scenes.numbers import shown
from scenes.pictures import Frame, PictureRow, PixelPicture, Reel
from scenes.words import ChapterTitle, PromptBox, judge_words, prompt_words, words, words_on_baseline


class OneWordAtATime(NarratedScene):
    """The prompt grows a word at a time beside its picture and its point on the prompt map; then it is shuffled."""

    prompt_width = 6.0
    prompt_center = np.array([-3.55, 2.3, 0.0])
    picture_height = 3.3
    picture_center = np.array([-3.55, -0.35, 0.0])
    map_size = (6.3, 5.7)
    map_center = np.array([3.45, -0.35, 0.0])
    morph_seconds = 0.7  # one picture blending into the next as a word arrives
    order_height = 2.1  # the prompt and its reorderings, in a row
    order_y = 1.25
    yardstick_height = 1.35
    yardstick_y = -2.45
    most_height = 3.2  # the pictures before and after the word that changed most, at the end
    most_y = -0.2

    def tell(self) -> None:
        places = self.captures["map"]
        growth = [str(p) for p in self.arrays["growth_prompts"]]
        film = Reel(self.arrays["growth_finals"], np.arange(len(growth)))
        position = ValueTracker(0.0)

        # --- the empty prompt, its picture, and the map
        title = ChapterTitle(self.title)
        prompt = self.typed_prompt(growth[-1])
        picture = PixelPicture(film.frame_at(0), height=self.picture_height).move_to(self.picture_center)
        picture.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
        frame = Frame(picture)
        readout = self.readout(self.arrays, 0).next_to(frame, DOWN, buff=0.25)
        prompt_map, trail_points = self.prompt_map(places.arrays)
        # A ring, not one more coloured dot: every colour of the palette already names an object on the map.
        here = Dot(trail_points[0], radius=0.13, color=style.BACKGROUND, fill_opacity=0.6).set_stroke(
            style.HIGHLIGHT, width=5)
        map_name = words("the map of prompts", size=style.SMALL_SIZE, color=style.MUTED)
        map_name.next_to(prompt_map.border, UP, buff=0.12).align_to(prompt_map.border, LEFT)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.dock(), FadeIn(prompt.box), FadeIn(prompt.cursor),
                      run_time=0.8)
            self.wait_until_bookmark("empty")
            self.play_along(FadeIn(picture, scale=0.7), Create(frame), FadeIn(readout), most=2.5)
            self.wait_until_bookmark("map")
            self.play_along(Create(prompt_map.border), FadeIn(map_name),
                            LaggedStart(*(GrowFromCenter(d) for d in prompt_map.dots), lag_ratio=0.02),
                            FadeIn(prompt_map.labels), least=1.6, most=4.0)
            self.wait_until_bookmark("dot")
            self.play_along(FadeIn(here, scale=4.0), least=0.6, most=1.5)

        # --- one word at a time
        trail = VGroup()
        arrive, said_after = self.word_marks(len(growth) - 1, int(self.facts["biggest_change_position"].value))
        spoken_marks = BOOKMARK.findall(self.narration_text["growth"])
        with self.narrate("growth"):
            for count in range(1, len(growth)):
                # A word waits until the narration has said what it says of the words before it, and a word the
                # narration names arrives on its bookmark; the others follow one another.
                for mark in spoken_marks:
                    if said_after.get(mark, count) < count:
                        self.wait_until_bookmark(mark)
                if arrive.get(count) in spoken_marks:
                    self.wait_until_bookmark(arrive[count])
                step = Line(trail_points[count - 1], trail_points[count], color=style.HIGHLIGHT,
                            stroke_width=3, stroke_opacity=0.8)
                trail.add(step)
                new_readout = self.readout(self.arrays, count).move_to(readout, aligned_edge=UP)
                # the words before the next one the narration waits for share the time until it
                waits = [k for k in range(count + 1, len(growth)) if arrive.get(k) in spoken_marks
                         or any(said_after.get(m, k) < k for m in spoken_marks)]
                sharing = (waits[0] if waits else len(growth)) - count
                seconds = min(max((self.time_to_next_words() - 0.4) / sharing, self.morph_seconds), 3.0)
                self.play(FadeIn(prompt.words[count - 1], shift=0.1 * UP),
                          prompt.cursor.animate.next_to(prompt.words[count - 1], RIGHT, buff=0.08).set_y(
                              prompt.cursor.get_y()),
                          position.animate.set_value(count), Create(step), here.animate.move_to(trail_points[count]),
                          FadeTransform(readout, new_readout), run_time=seconds, rate_func=linear)
                readout = new_readout
            self.add(here)  # over the trail
        picture.clear_updaters()

        # --- the same words in other orders
        variants = [str(p) for p in self.arrays["variant_prompts"]]
        orders = PictureRow(np.concatenate([self.arrays["growth_finals"][-1:], self.arrays["variant_finals"]]),
                            height=self.order_height, buff=1.3, max_width=12.8)
        orders.move_to(self.order_y * UP)
        orders.frames[0].set_color(style.MODEL)
        captions = VGroup(*(self.quoted(p, width=orders.frames[i].width + 0.8).next_to(orders.frames[i], DOWN, buff=0.2)
                            for i, p in enumerate([growth[-1], *variants])))
        changes = VGroup(*(words(f"changed {c:.1f}%", size=style.SMALL_SIZE, color=style.HIGHLIGHT)
                           .next_to(captions[i + 1], DOWN, buff=0.15)
                           for i, c in enumerate(np.asarray(self.arrays["variant_change"], dtype=float))))
        original_note = words("as typed", size=style.SMALL_SIZE, color=style.MUTED).next_to(captions[0], DOWN,
                                                                                               buff=0.15)
        yardstick = PictureRow(self.arrays["yardstick_finals"], height=self.yardstick_height, buff=0.2)
        yardstick_note = VGroup(words("the same words, other seeds:", size=style.LABEL_SIZE, color=style.MUTED),
                                words(f"changed {shown(self.facts['seed_change'])} on average", size=style.LABEL_SIZE,
                                      color=style.NOISE))
        yardstick_note.arrange(DOWN, buff=0.12, aligned_edge=RIGHT).next_to(yardstick, LEFT, buff=0.5)
        Group(yardstick_note, yardstick).move_to(self.yardstick_y * UP)
        growth_parts = Group(prompt.box, prompt.cursor, *prompt.words, picture, frame, readout, prompt_map, map_name,
                             trail, here)
        with self.narrate("order"):
            self.wait_until_bookmark("orders")
            self.play(FadeOut(growth_parts), run_time=0.6)
            self.play(FadeIn(orders.cell(0)), FadeIn(captions[0]), FadeIn(original_note), run_time=0.6)
            self.play_along(LaggedStart(*(FadeIn(Group(orders.cell(i), captions[i]), shift=0.3 * LEFT)
                                          for i in range(1, len(captions))), lag_ratio=0.4), least=1.5, most=3.5)
            self.wait_until_bookmark("changes")
            # each reordering flickers between the picture as typed and its own: the change it made, seen
            typed = self.arrays["growth_finals"][-1].astype(np.float32)
            flicker = ValueTracker(0.0)
            for cell, own in zip(orders.pictures[1:], self.arrays["variant_finals"]):
                cell.add_updater(lambda m, own=own.astype(np.float32): m.show(np.round(
                    typed + (0.5 + 0.5 * np.cos(np.pi * flicker.get_value())) * (own - typed)).astype(np.uint8)))
            self.play(LaggedStart(*(FadeIn(c, shift=0.1 * DOWN) for c in changes), lag_ratio=0.3), run_time=1.2)
            # the camera goes close to the reordering that changed the picture most, flickering against the picture
            # as typed, to see how little that is
            variant_change = np.asarray(self.arrays["variant_change"], dtype=float)
            if len(variant_change):
                most = 1 + int(np.argmax(variant_change))
                closest = Group(orders.cell(most), captions[most], changes[most - 1])
                self.play(self.look_at(closest, max(closest.width + 1.2, 0.4 * config.frame_width)), run_time=1.2)
            self.play_along(flicker.animate.set_value(4.0), rate_func=linear, least=1.0, most=6.0)
            for cell in orders.pictures[1:]:
                cell.clear_updaters()
            self.wait_until_bookmark("seeds")
            self.play(self.camera_home(), run_time=0.8)
            self.play(FadeIn(yardstick), FadeIn(yardstick_note[0]), run_time=1.0)
            self.play_along(FadeIn(yardstick_note[1], shift=0.1 * UP), least=0.6, most=2.0)

        # the word that changed the picture most: the picture before it and after it, side by side
        biggest = int(self.facts["biggest_change_position"].value)
        before_after = PictureRow([self.arrays["growth_finals"][biggest - 1], self.arrays["growth_finals"][biggest]],
                                  [f"\u201c{growth[biggest - 1]}\u201d" if growth[biggest - 1] else "no words",
                                   f"\u201c{growth[biggest]}\u201d"], height=self.most_height, buff=2.2,
                                  max_width=12.0, label_size=style.PROMPT_SIZE, label_color=style.PROMPT)
        before_after.move_to(self.most_y * UP)
        plus = Arrow(before_after.frames[0].get_right(), before_after.frames[1].get_left(), buff=0.25,
                     color=style.HIGHLIGHT, stroke_width=style.ARROW_STROKE)
        plus_word = words(f"+ \u201c{self.facts['biggest_change_word'].value}\u201d", size=style.LABEL_SIZE,
                          color=style.HIGHLIGHT).next_to(plus, UP, buff=0.15)
        plus_change = words(f"changed {shown(self.facts['biggest_change'])}", size=style.SMALL_SIZE,
                            color=style.HIGHLIGHT).next_to(plus, DOWN, buff=0.15)
        with self.narrate("closing"):
            self.wait_until_bookmark("which")
            self.play_along(orders.frames.animate.set_color(style.MODEL), most=1.5)
            self.wait_until_bookmark("most")
            self.play(FadeOut(Group(orders, captions, changes, original_note, yardstick, yardstick_note)),
                      run_time=0.6)
            self.play(FadeIn(before_after.cell(0)), run_time=0.5)
            self.play(GrowArrow(plus), FadeIn(plus_word), FadeIn(before_after.cell(1), shift=0.2 * LEFT),
                      run_time=0.9)
            self.play_along(FadeIn(plus_change, shift=0.1 * UP), least=0.5, most=1.5)

    # --- pieces of the chapter

    @staticmethod
    def word_marks(count: int, biggest: int) -> tuple[dict[int, str], dict[str, int]]:
        """The growth block's bookmarks for a prompt of ``count`` words whose word ``biggest`` (from 1) changed the
        picture most: which word arrives on which mark ({place: mark}: the first word on "first_word", the last on
        "last_word", the biggest change on "biggest_word" where it is neither), and which word each mark speaks of
        ({mark: place}), so that no later word arrives before the narration has said it."""
        arrive = {1: "first_word", count: "last_word"}
        if 1 < biggest < count:
            arrive[biggest] = "biggest_word"
        return arrive, {"first_word": 1, "biggest_word": biggest, "last_word": count}

    def typed_prompt(self, prompt: str) -> PromptBox:
        """The prompt box, with each word a piece of its own on the prompt's baseline, so words can arrive one by one.

        Each word's right edge is where the prompt typed up to that word ends, so the spacing is
        the font's own.
        """
        size = style.BODY_SIZE  # a prompt being typed: PromptBox's own size, as in every chapter
        box = PromptBox(prompt, width=self.prompt_width, size=size).move_to(self.prompt_center)
        full, full_drop = words_on_baseline(prompt, size=size)
        full.move_to(box.text)
        baseline = full.get_bottom()[1] + full_drop
        left = full.get_left()[0]
        typed = prompt.split()
        pieces = []
        for count, word in enumerate(typed, start=1):
            piece, drop = words_on_baseline(word, size=size)
            so_far = words(" ".join(typed[:count]), size=size)
            piece.move_to(np.array([left + so_far.width - piece.width / 2, baseline - drop + piece.height / 2, 0.0]))
            pieces.append(piece)
        box.words = pieces
        return box

    def readout(self, arrays, index: int) -> VGroup:
        """Under the picture: how much the last word changed it, and what the judge sees in it."""
        change = float(arrays["growth_change"][index])
        first = "the empty prompt" if index == 0 else f"this word changed it {change:.1f}%"
        lines = [words(first, size=style.SMALL_SIZE, color=style.MUTED if index == 0 else style.HIGHLIGHT)]
        if "growth_judged_object" in arrays:
            colour, thing = (str(arrays[f"growth_judged_{k}"][index]) for k in ("colour", "object"))
            lines.append(judge_words(f"judge: {colour} {thing}", yes=self.verdict(str(arrays["growth_prompts"][index]),
                                                                                colour, thing), size=style.SMALL_SIZE))
        return VGroup(*lines).arrange(DOWN, buff=0.12)

    def verdict(self, prompt: str, colour: str, thing: str) -> bool | None:
        """Whether the judge saw what the prompt asks for: the colour and object it names (from the map capture's
        vocabulary), where it names either; None while it names neither."""
        vocabulary = self.captures["map"].arrays
        asked = prompt.split()
        colours = [w for w in asked if w in {str(c) for c in vocabulary["atlas_colour"]}]
        things = [w for w in asked if w in {str(o) for o in vocabulary["atlas_object"]}]
        if not colours and not things:
            return None
        return (not colours or colour in colours) and (not things or thing in things)

    def prompt_map(self, arrays) -> tuple[LabelledMap, list[np.ndarray]]:
        """The atlas of prompts in its objects' colours, the bare objects labelled, framed to take in the growing
        prompt's points too; and those points on screen, for the trail."""
        objects = [str(o) for o in arrays["atlas_object"]]
        colour_of = object_colour_of(objects)
        bare = [not str(c) and not str(s) for c, s in zip(arrays["atlas_colour"], arrays["atlas_setting"])]
        labels = [o if b else None for o, b in zip(objects, bare)]
        every = np.concatenate([arrays["atlas_xy"], arrays["words_prompt_xy"], arrays["words_variant_prompt_xy"]])
        bounds = (every[:, 0].min(), every[:, 0].max(), every[:, 1].min(), every[:, 1].max())
        prompt_map = LabelledMap(arrays["atlas_xy"], labels=labels, colors=[colour_of[o] for o in objects],
                                 width=self.map_size[0], height=self.map_size[1], bounds=bounds, dot_radius=0.05)
        for dot, is_bare in zip(prompt_map.dots, bare):
            if not is_bare:
                dot.set_opacity(0.55)
        prompt_map.move_to(self.map_center)
        return prompt_map, [prompt_map.to_scene(p) for p in arrays["words_prompt_xy"]]

    @staticmethod
    def quoted(prompt: str, width: float):
        text = prompt_words(prompt)
        if text.width > width:
            text.width = width
        return text

