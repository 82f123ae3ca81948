"""Chapter "Which colour goes where": a prompt that names two things with a colour each, how often the colours land on the right things, the swapped prompt, and where in the prompt the binding lives.

It reads the binding capture (``python -m pipeline capture binding``): many two-object prompts
from a fixed set of seeds, each picture's verdict from the colour judge (right, swapped, one
colour on both, other colours, objects wrong), the score at several guidance scales, the guesses
of one walk with the colour read on each thing at every step, and the distances between the
prompt and its swapped twin in the pooled vector and in the token states. The published GenEval
figures it quotes are facts of that capture too, marked there as published, not measured. Every
number said or shown comes from the capture.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Create,
    CurvedArrow,
    DashedLine,
    FadeIn,
    FadeOut,
    Group,
    GrowFromEdge,
    LaggedStart,
    Rectangle,
    Square,
    SurroundingRectangle,
    VGroup,
    Write,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PictureRow, PixelPicture
from scenes.words import ChapterTitle, PromptBox, words

# How each verdict is drawn: the frame around a picture, and the legend's order
VERDICT_COLOURS = {
    "right": style.MODEL,
    "swapped": style.NOISE,
    "one colour on both": style.HIGHLIGHT,
    "other colours": style.SIGNAL,
    "objects wrong": style.FAINT,
}
# What a picture's label says under it: short, so that a row of pictures keeps its labels apart
VERDICT_LABELS = {"right": "right", "swapped": "swapped", "one colour on both": "one colour", "other colours": "other",
                  "objects wrong": "missing"}
VERDICT_FACTS = {"right": "binding_score", "swapped": "swapped_share", "one colour on both": "one_colour_share",
                 "other colours": "other_colours_share", "objects wrong": "objects_wrong_share"}


class WhichColourGoesWhere(NarratedScene):
    """Two things, two colours: the prompt's pictures and its swapped twin's, every picture's verdict, guidance,
    when the colours settle, and the compass against the word-by-word vectors."""

    row_height = 1.25
    grid_width = 8.2
    grid_height = 5.6
    bar_height = 3.2

    def tell(self) -> None:
        facts, arrays = self.facts, self.arrays
        verdicts = arrays["verdicts"]
        twin = int(arrays["twin_of"][0])

        # --- the prompt, which colour word goes to which thing, and the published figures of large models
        title = ChapterTitle(self.title)
        prompt = PromptBox(str(facts["prompt"].value), width=6.5, size=style.LABEL_SIZE).move_to(2.2 * UP)
        links = self.colour_links(prompt, [str(c) for c in arrays["asked_colours"][0]],
                                  [str(o) for o in arrays["asked_objects"][0]])
        published = self.published_bars()
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.scale(0.62).to_edge(UP, buff=0.3), run_time=0.8)
            self.wait_until_bookmark("prompt")
            self.play(FadeIn(prompt.box), FadeIn(prompt.text), run_time=0.8)
            self.wait_until_bookmark("words")
            # each colour word reaches over to the thing it belongs to
            self.play(LaggedStart(*(Create(link) for link in links), lag_ratio=0.5), run_time=1.4)
            self.wait_until_bookmark("benchmark")
            self.play(FadeIn(published.heading, shift=0.1 * UP), run_time=0.7)
            for mark, keys in (("oldest", ("sd15",)), ("newest", ("sd21", "sdxl")), ("ours", ("ours",))):
                self.wait_until_bookmark(mark)
                self.play(*(FadeIn(published.names[key]) for key in keys),
                          *(GrowFromEdge(published.bars[key], LEFT) for key in keys),
                          *(FadeIn(published.values[key], shift=0.1 * RIGHT) for key in keys), run_time=0.9)

        # --- the prompt's pictures and its swapped twin's, with the judge's verdicts
        first_row = self.verdict_row(arrays["finals"][0], verdicts[0]).next_to(prompt, DOWN, buff=0.3)
        twin_prompt = PromptBox(str(facts["swapped_prompt"].value), width=6.5, size=style.LABEL_SIZE)
        twin_row = self.verdict_row(arrays["finals"][twin], verdicts[twin])
        Group(twin_prompt, twin_row).arrange(DOWN, buff=0.3).next_to(first_row, DOWN, buff=0.35)
        reading = self.reading_words([str(o) for o in arrays["asked_objects"][0]], arrays["read_colours"][0, 0])
        reading.next_to(first_row.frames[0], LEFT, buff=0.35)
        judge_box = SurroundingRectangle(first_row.frames[0], color=style.HIGHLIGHT, buff=0.05)
        with self.narrate("pictures"):
            self.wait_until_bookmark("seeds")
            self.play(FadeOut(published), FadeOut(links), run_time=0.5)
            self.play(LaggedStart(*(FadeIn(first_row.cell(i)) for i in range(len(first_row.pictures))),
                                  lag_ratio=0.2), run_time=1.2)
            self.wait_until_bookmark("judge")
            # the judge reads the first picture: which thing wears which colour
            self.play(Create(judge_box), FadeIn(reading, shift=0.1 * RIGHT), run_time=0.9)
            self.wait_until_bookmark("verdicts")
            self.play(FadeOut(judge_box), FadeOut(reading), run_time=0.4)
            self.play(*(frame.animate.set_color(VERDICT_COLOURS[str(v)]) for frame, v in
                        zip(first_row.frames, verdicts[0])), FadeIn(first_row.labels), run_time=0.8)
            self.wait_until_bookmark("twin")
            self.play(FadeIn(twin_prompt.box), FadeIn(twin_prompt.text), LaggedStart(*(FadeIn(twin_row.cell(i)) for i in
                                                         range(len(twin_row.pictures))), lag_ratio=0.2),
                      run_time=1.4)
            self.wait_until_bookmark("twin_verdicts")
            self.play(*(frame.animate.set_color(VERDICT_COLOURS[str(v)]) for frame, v in
                        zip(twin_row.frames, verdicts[twin])), FadeIn(twin_row.labels), run_time=0.8)

        # --- every picture, framed by its verdict, and the shares
        grid = self.verdict_grid(arrays["finals"], verdicts).center().to_edge(LEFT, buff=0.6).shift(0.35 * DOWN)
        legend = self.legend().next_to(grid, RIGHT, buff=0.6).align_to(grid, UP).shift(0.3 * DOWN)
        with self.narrate("score"):
            self.wait_until_bookmark("grid")
            self.play(FadeOut(Group(prompt.box, prompt.text, first_row, twin_prompt.box, twin_prompt.text, twin_row)),
                      run_time=0.6)
            self.play(LaggedStart(*(FadeIn(cell) for cell in grid), lag_ratio=0.004), run_time=2.0)
            for mark, verdict_names in (("right", ["right"]), ("swapped", ["swapped"]),
                                        ("others", ["one colour on both", "other colours", "objects wrong"])):
                self.wait_until_bookmark(mark)
                self.play(*(FadeIn(legend.entry[name], shift=0.1 * LEFT) for name in verdict_names),
                          *(cell[1].animate.set_stroke(width=4.0) for cell, v in zip(grid, verdicts.reshape(-1))
                            if str(v) in verdict_names), run_time=0.8)

        # --- the score at each guidance scale
        chart = self.score_bars().move_to(0.4 * DOWN)
        with self.narrate("guidance"):
            self.wait_until_bookmark("curve")
            self.play(FadeOut(Group(grid, legend)), run_time=0.6)
            self.play(FadeIn(chart.axis), FadeIn(chart.heading), run_time=0.6)
            self.play(LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in chart.bars), lag_ratio=0.2),
                      LaggedStart(*(FadeIn(label) for label in chart.labels), lag_ratio=0.2), run_time=1.6)
            self.wait_until_bookmark("best")
            if facts["guidance_helps"].value:
                best = int(np.argmax(arrays["curve_scores"]))
                self.play(chart.bars[best].animate.set_fill(style.HIGHLIGHT), run_time=0.6)
            else:  # the score holds within a band at every guided scale: the band, drawn over the bars
                self.play(Create(chart.band), run_time=1.0)
            self.wait_until_bookmark("swaps")
            self.play(LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in chart.swaps), lag_ratio=0.2),
                      LaggedStart(*(FadeIn(label) for label in chart.swap_labels), lag_ratio=0.2),
                      FadeIn(chart.key), run_time=1.4)

        # --- when the colours settle, in the guess of the finished picture
        steps = arrays["headline_clean_pictures"].shape[0]
        shown_steps = sorted({int(round(s)) for s in np.linspace(0, steps - 1, min(steps, 6))})
        readings = arrays["headline_read_colours"][:, 0]  # seed 0, (S, 2)
        objects = [str(o) for o in arrays["asked_objects"][0]]
        labels = [f"step {s + 1}" for s in shown_steps]
        guesses = PictureRow([arrays["headline_clean_pictures"][s, 0] for s in shown_steps], labels=labels,
                             height=1.8, buff=0.3).move_to(0.6 * UP)
        reads = VGroup(*(self.reading_words(objects, readings[s]).next_to(guesses.frames[i], DOWN, buff=0.55)
                         for i, s in enumerate(shown_steps)))
        settled = words(f"half the things' colours are settled by step {shown(facts['settle_step_median'])} "
                        f"of {shown(facts['steps'])}" if facts["colours_settle"].value else
                        "no colour settles on both things", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        settled.next_to(reads, DOWN, buff=0.5)
        guess_heading = words(f"the guess of the finished picture: {facts['prompt'].value}", size=style.LABEL_SIZE,
                              color=style.MUTED).next_to(guesses, UP, buff=0.35)
        with self.narrate("settle"):
            self.wait_until_bookmark("steps")
            self.play(FadeOut(Group(*self.shown_parts(chart))), FadeIn(guess_heading),
                      run_time=0.6)
            self.play(LaggedStart(*(FadeIn(Group(guesses.cell(i), reads[i])) for i in range(len(shown_steps))),
                                  lag_ratio=0.35), run_time=2.4)
            self.wait_until_bookmark("settled")
            settle_at = int(np.argmin([abs(s + 1 - float(facts["settle_step_median"].value)) for s in shown_steps]))
            marks = [SurroundingRectangle(guesses.frames[settle_at], color=style.HIGHLIGHT, buff=0.06)] \
                if facts["colours_settle"].value else []
            self.play(FadeIn(settled, shift=0.1 * UP), *(Create(m) for m in marks), run_time=0.7)

        # --- the compass against the word-by-word vectors
        compass = self.distance_bars()
        pieces = self.piece_chart()
        Group(compass, pieces).arrange(DOWN, buff=0.7).move_to(0.35 * DOWN)
        with self.narrate("compass"):
            self.play(FadeOut(Group(guesses, reads, settled, guess_heading, *marks)), run_time=0.6)
            # Each distance grows as a bar from the left: first the yardstick (changing a colour), then the swap.
            self.wait_until_bookmark("compass")
            self.play(FadeIn(compass[0]), self.grow_bar(compass[1][0]), run_time=1.2)
            self.wait_until_bookmark("swapped")
            self.play(self.grow_bar(compass[1][1]), run_time=1.2)
            # word by word: under each word piece, how far changing a colour and swapping move its vector
            self.wait_until_bookmark("tokens")
            self.play(FadeIn(pieces.heading), FadeIn(pieces.labels), FadeIn(pieces.key), run_time=0.6)
            self.play(LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in pieces.yardstick), lag_ratio=0.1), run_time=1.2)
            self.play(LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in pieces.swap), lag_ratio=0.1), run_time=1.4)

        # --- a prompt and its swapped twin from one seed, pair by pair
        pairs = self.twin_pairs()
        shown_pairs = self.pair_pictures(pairs[:3]).move_to(1.05 * UP)
        squares = self.pair_squares(pairs).next_to(shown_pairs, DOWN, buff=0.5)
        with self.narrate("closing") as tracker:
            self.wait_until_bookmark("answer")
            self.play(Create(SurroundingRectangle(pieces, color=style.HIGHLIGHT, buff=0.15)),
                      run_time=0.8)
            self.wait_until_bookmark("pairs")
            self.play(FadeOut(Group(*self.mobjects_without(title))), run_time=0.6)
            if pairs:
                self.play(LaggedStart(*(FadeIn(pair, shift=0.1 * UP) for pair in shown_pairs), lag_ratio=0.4),
                          run_time=1.6)
            self.wait_until_bookmark("share")
            if pairs:  # every pair a square, in the colour of what it did; the share grows out of them
                self.play(LaggedStart(*(FadeIn(square, scale=0.5) for square in squares.cells), lag_ratio=0.02),
                          run_time=1.6)
            self.play(FadeIn(squares.caption, shift=0.1 * UP), run_time=0.6)
            self.browse_pairs(pairs, shown_pairs, squares, tracker)

    # --- pieces of the chapter

    pair_page_seconds = 2.2  # each page of three pairs, after the share is shown
    piece_chart_height = 1.9  # the tallest bar of the word-by-word chart
    piece_chart_width = 11.0
    piece_pitch = 1.3

    def mobjects_without(self, *kept) -> list:
        return [m for m in self.mobjects if m not in kept]

    @staticmethod
    def grow_bar(bar_and_name: VGroup):
        """A distance bar growing from its left edge, its words fading in beside it."""
        bar, name = bar_and_name
        return AnimationGroup(GrowFromEdge(bar, LEFT), FadeIn(name, shift=0.1 * RIGHT))

    def shown_parts(self, group) -> list:
        """What of the group is on screen: animations like GrowFromEdge add a group's members one by one."""
        family = set(group.get_family())
        return [m for m in self.mobjects if m in family]

    def colour_links(self, prompt: PromptBox, colours: list[str], objects: list[str]) -> VGroup:
        """An arc over the prompt from each colour word to the thing it names (placed by the words' share of the
        prompt's letters: the glyphs of a serif line are near enough even for an arrow's ends)."""
        text, whole = prompt.text, prompt.prompt
        links = VGroup()
        for colour, thing in zip(colours, objects):
            ends = []
            for word in (colour, thing):
                at = whole.find(word)
                if at < 0 or not colour or not thing:
                    return VGroup()
                centre = (at + len(word) / 2) / max(len(whole), 1)
                ends.append(np.array([text.get_left()[0] + centre * text.width, prompt.box.get_top()[1] + 0.08, 0.0]))
            links.add(CurvedArrow(ends[0], ends[1], angle=-1.2, color=style.HIGHLIGHT, stroke_width=3,
                                  tip_length=0.16))
        return links

    def published_bars(self) -> VGroup:
        """GenEval's published colour-attribution scores for large models, a bar each, and an empty one for ours."""
        facts = self.facts
        scale = 6.0 / 100  # scene units per percent
        names, bars, values = {}, {}, {}
        rows = VGroup()
        for key in ("sd15", "sd21", "sdxl", "ours"):
            if key == "ours":
                name = words("our model", size=style.LABEL_SIZE, color=style.MODEL)
                bar = Rectangle(width=100 * scale, height=0.36, stroke_width=2, stroke_color=style.MODEL,
                                fill_opacity=0.0)
                value = words("?", size=style.LABEL_SIZE, color=style.MODEL)
            else:
                name = words(str(facts[f"geneval_{key}_name"].value), size=style.LABEL_SIZE)
                bar = Rectangle(width=max(0.03, float(facts[f"geneval_{key}"].value) * scale), height=0.36,
                                stroke_width=0, fill_color=style.MUTED, fill_opacity=0.9)
                value = words(shown(facts[f"geneval_{key}"]), size=style.LABEL_SIZE)
            row = VGroup(name, bar, value)
            names[key], bars[key], values[key] = name, bar, value
            rows.add(row)
        width = max(row[0].width for row in rows)
        for index, row in enumerate(rows):
            name, bar, value = row
            name.move_to(np.array([-width / 2 - 3.2, -index * 0.62, 0.0]))
            bar.move_to(np.array([-3.0 + bar.width / 2, name.get_y(), 0.0]))
            value.next_to(bar, RIGHT, buff=0.2)
        heading = words("GenEval, both colours on the right things: published figures, other models",
                        size=style.SMALL_SIZE, color=style.MUTED).next_to(rows, UP, buff=0.35)
        chart = VGroup(heading, rows).move_to(0.45 * DOWN)
        chart.heading, chart.names, chart.bars, chart.values = heading, names, bars, values
        return chart

    def twin_pairs(self) -> list[tuple[int, int, int, bool]]:
        """Every (prompt, its swapped twin, seed) whose two pictures both show the two things in the two asked
        colours, and whether the swap changed nothing (the same colour on each thing in both): the pairs the
        capture's ``swap_ignored_share`` counts."""
        verdicts = self.arrays["verdicts"]
        pairs = [(i, j) for i, j in enumerate(self.arrays["twin_of"].tolist()) if i < j]
        return [(i, j, n, verdicts[i, n] != verdicts[j, n]) for i, j in pairs for n in range(verdicts.shape[1])
                if {str(verdicts[i, n]), str(verdicts[j, n])} <= {"right", "swapped"}]

    def pair_pictures(self, pairs) -> Group:
        """Each pair: the prompt's picture and its twin's, their prompts above, what the judge read below, framed
        in the colour of what the pair did (the swap ignored, or followed)."""
        arrays, shown_pairs = self.arrays, Group()
        for i, j, seed, ignored in pairs:
            colour = style.NOISE if ignored else style.MODEL
            cells = Group()
            for index in (i, j):
                picture = PixelPicture(arrays["finals"][index, seed], height=1.55)
                frame = Frame(picture, color=colour)
                said = words(str(arrays["prompts"][index]), size=style.SMALL_SIZE, color=style.MUTED)
                said.scale_to_fit_width(min(said.width, 3.6)).next_to(frame, UP, buff=0.12)
                read = self.reading_words([str(o) for o in arrays["asked_objects"][index]],
                                          arrays["read_colours"][index, seed]).next_to(frame, DOWN, buff=0.12)
                cells.add(Group(picture, frame, said, read))
            cells.arrange(RIGHT, buff=0.25)
            verdict = words("same colours: order ignored" if ignored else "each follows its words",
                            size=style.SMALL_SIZE, color=colour).next_to(cells, DOWN, buff=0.15)
            shown_pairs.add(Group(cells, verdict))
        if not shown_pairs.submobjects:
            return shown_pairs
        return shown_pairs.arrange(RIGHT, buff=0.6).scale_to_fit_width(min(shown_pairs.width, 12.8))

    def browse_pairs(self, pairs, shown_pairs: Group, squares: VGroup, tracker) -> None:
        """While the narration goes on, the next pairs in turn, three at a time, their squares outlined: the share is
        made of pairs like these."""
        if not pairs:
            return
        page = len(shown_pairs.submobjects)
        place = shown_pairs.get_center()
        outline = SurroundingRectangle(squares.cells[:page], color=style.INK, buff=0.05, stroke_width=2)
        self.play(Create(outline), run_time=0.4)
        for start in range(page, len(pairs), page):
            if tracker.get_remaining_duration() < self.pair_page_seconds + 0.8:
                break
            following = self.pair_pictures(pairs[start:start + page]).move_to(place)
            self.play(FadeOut(shown_pairs), FadeIn(following),
                      outline.animate.become(SurroundingRectangle(squares.cells[start:start + page], color=style.INK,
                                                                  buff=0.05, stroke_width=2)), run_time=0.6)
            shown_pairs = following
            self.wait(self.pair_page_seconds)

    def pair_squares(self, pairs) -> VGroup:
        """A square per pair, red where the swap changed nothing, green where both followed their words, and the
        share of the red ones under them."""
        columns = max(1, min(len(pairs), 23))
        cells = VGroup(*(Square(side_length=0.2, stroke_width=0, fill_opacity=0.95,
                                fill_color=style.NOISE if ignored else style.MODEL) for *_, ignored in pairs))
        if len(cells):
            cells.arrange_in_grid(cols=columns, buff=0.06)
        ignored = sum(1 for *_, gone in pairs if gone)
        caption = words(f"{ignored} of {len(pairs)} pairs the same: {shown(self.facts['swap_ignored_share'])}",
                        size=style.LABEL_SIZE, color=style.NOISE)
        if len(cells):
            caption.next_to(cells, DOWN, buff=0.25)
        squares = VGroup(cells, caption)
        squares.cells, squares.caption = cells, caption
        return squares

    def verdict_row(self, pictures, verdicts) -> PictureRow:
        row = PictureRow(list(pictures), labels=[VERDICT_LABELS[str(v)] for v in verdicts], height=self.row_height,
                         buff=0.45, label_color=style.INK)
        for index, verdict in enumerate(verdicts):
            if index in row.label_of:
                row.label_of[index].set_color(style.MUTED if str(verdict) == "objects wrong" else
                                              VERDICT_COLOURS[str(verdict)])
        return row

    def verdict_grid(self, finals, verdicts) -> Group:
        """Every final picture, a row per four prompts (one object pair with one colour pair, both orders of each),
        each framed in its verdict's colour."""
        prompts, seeds = verdicts.shape
        columns = min(prompts, 4) * seeds
        rows = int(np.ceil(prompts * seeds / columns))
        aspect = finals.shape[-2] / finals.shape[-3]
        gap = 0.08
        side = min((self.grid_height - gap * (rows - 1)) / rows, (self.grid_width - gap * (columns - 1)) /
                   (columns * aspect))
        cells = Group()
        for index, (picture, verdict) in enumerate(zip(finals.reshape(-1, *finals.shape[2:]), verdicts.reshape(-1))):
            pixels = PixelPicture(picture, height=side)
            frame = Frame(pixels, color=VERDICT_COLOURS[str(verdict)], buff=0.025)
            cell = Group(pixels, frame)
            cell.move_to(np.array([(index % columns) * (side * aspect + gap), -(index // columns) * (side + gap), 0.0]))
            cells.add(cell)
        return cells

    def legend(self) -> VGroup:
        entries = {}
        for verdict, colour in VERDICT_COLOURS.items():
            swatch = Rectangle(width=0.32, height=0.32, color=colour, stroke_width=4)
            label = words(f"{verdict}: {shown(self.facts[VERDICT_FACTS[verdict]])}", size=style.LABEL_SIZE,
                          color=colour if verdict != "objects wrong" else style.MUTED)
            entries[verdict] = VGroup(swatch, label).arrange(RIGHT, buff=0.25)
        count = words(f"{shown(self.facts['picture_count'])} pictures, {shown(self.facts['prompt_count'])} prompts",
                      size=style.SMALL_SIZE, color=style.MUTED)
        legend = VGroup(count, *entries.values()).arrange(DOWN, buff=0.32, aligned_edge=LEFT)
        legend.entry = entries
        return legend

    def score_bars(self) -> VGroup:
        """The binding score at each guidance scale: a bar each, its value above, its scale below."""
        scales, scores = self.arrays["curve_scales"], self.arrays["curve_scores"]
        width, gap = 0.9, 0.7
        bars, labels = VGroup(), VGroup()
        for i, (scale, score) in enumerate(zip(scales, scores)):
            key = f"{float(scale):g}".replace(".", "_")
            height = max(0.02, self.bar_height * float(score) / 100)
            bar = Rectangle(width=width, height=height, stroke_width=0, fill_color=style.MODEL, fill_opacity=0.9)
            bar.move_to(np.array([i * (width + gap), height / 2, 0.0]))
            bars.add(bar)
            labels.add(words(shown(self.facts[f"score_at_{key}"]), size=style.SMALL_SIZE).next_to(bar, UP, 0.12))
            labels.add(words(f"{float(scale):g}", size=style.SMALL_SIZE, color=style.MUTED)
                       .move_to(np.array([bar.get_x(), -0.3, 0.0])))
        # the swapped share beside each score, and the band the guided scores stay within
        swaps, swap_labels = VGroup(), VGroup()
        for bar, scale, swapped in zip(bars, scales, self.arrays["curve_swapped"]):
            height = max(0.02, self.bar_height * float(swapped) / 100)
            swap = Rectangle(width=width * 0.4, height=height, stroke_width=0, fill_color=style.NOISE,
                             fill_opacity=0.9)
            swap.move_to(np.array([bar.get_right()[0] + width * 0.2 + 0.04, height / 2, 0.0]))
            swaps.add(swap)
            at = f"{float(scale):g}".replace(".", "_")
            swap_labels.add(words(shown(self.facts[f"swapped_at_{at}"]), size=style.SMALL_SIZE, color=style.NOISE)
                            .scale(0.7).next_to(swap, UP, 0.08))
        guided = [bar for bar, scale in zip(bars, scales) if float(scale) > 0] or list(bars)
        low, high = (self.bar_height * float(self.facts[name].value) / 100 for name in ("guided_low_score",
                                                                                          "best_score"))
        left, right = guided[0].get_left()[0] - 0.15, guided[-1].get_right()[0] + 0.15
        band = VGroup(*(DashedLine(np.array([left, y, 0.0]), np.array([right, y, 0.0]), color=style.HIGHLIGHT,
                                   stroke_width=3) for y in sorted({low, high})))
        key = VGroup(*(VGroup(Square(side_length=0.22, stroke_width=0, fill_color=c, fill_opacity=0.9),
                              words(t, size=style.SMALL_SIZE, color=c)).arrange(RIGHT, buff=0.15)
                       for c, t in ((style.MODEL, "right"), (style.NOISE, "swapped"))))
        key.arrange(DOWN, aligned_edge=LEFT, buff=0.12).next_to(bars, RIGHT, buff=0.9).shift(0.8 * UP)
        axis = VGroup(Rectangle(width=len(scales) * (width + gap), height=0.01, color=style.MUTED, stroke_width=2)
                      .move_to(np.array([bars.get_x(), 0.0, 0.0])),
                      words("guidance scale", size=style.LABEL_SIZE, color=style.MUTED)
                      .move_to(np.array([bars.get_x(), -0.8, 0.0])))
        count = int(self.facts["curve_seed_count"].value)
        seeds = "the first seed" if count == 1 else f"the first {count} seeds"
        heading = words(f"colours on the right things, {seeds} of each prompt", size=style.LABEL_SIZE,
                        color=style.MUTED)
        heading.move_to(np.array([bars.get_x(), self.bar_height + 0.8, 0.0]))
        chart = VGroup(axis, bars, labels, heading, swaps, swap_labels, band, key)
        chart.axis, chart.bars, chart.labels, chart.heading = axis, bars, labels, heading
        chart.swaps, chart.swap_labels, chart.band, chart.key = swaps, swap_labels, band, key
        return chart

    def reading_words(self, objects, reading) -> VGroup:
        # '' where the guess does not show both things: a dash, not a colour
        lines = [words(f"{obj}: {str(colour) or '-'}", size=style.SMALL_SIZE,
                       color=style.INK if str(colour) else style.MUTED) for obj, colour in zip(objects, reading)]
        return VGroup(*lines).arrange(DOWN, buff=0.1)

    def piece_chart(self) -> VGroup:
        """Under each word piece of the prompt, two bars: how far its vector moves when one colour is changed
        (grey) and when the colour words are swapped (yellow); the heading gives the mean the narration says."""
        tokens = [str(t) for t in self.arrays["headline_tokens"]]
        swap, yardstick = (np.asarray(row, dtype=float) for row in self.arrays["token_distance_per_piece"])
        shown_tokens = [{"[CLS]": "start", "[SEP]": "end"}.get(t, t) for t in tokens]
        unit = self.piece_chart_height / max(float(np.max(self.arrays["token_distance_per_piece"])), 1e-9)
        pitch = min(self.piece_pitch, self.piece_chart_width / max(len(tokens), 1))
        chart = VGroup()
        chart.yardstick, chart.swap, chart.labels = VGroup(), VGroup(), VGroup()
        for i, (token, grey, yellow) in enumerate(zip(shown_tokens, yardstick, swap)):
            x = (i - (len(tokens) - 1) / 2) * pitch
            for bars, value, colour, side in ((chart.yardstick, grey, style.MUTED, -1),
                                              (chart.swap, yellow, style.HIGHLIGHT, 1)):
                bar = Rectangle(width=0.3 * pitch, height=max(unit * value, 0.02), stroke_width=0,
                                fill_color=colour, fill_opacity=0.9)
                bars.add(bar.move_to(np.array([x + side * 0.17 * pitch, bar.height / 2, 0.0])))
            chart.labels.add(words(token, size=style.SMALL_SIZE).move_to(np.array([x, -0.3, 0.0])))
        chart.heading = words("the word-by-word vectors the model reads", size=style.LABEL_SIZE)
        chart.heading.move_to(np.array([0.0, self.piece_chart_height + 0.45, 0.0]))
        chart.key = VGroup(words("grey: changing a colour", size=style.SMALL_SIZE, color=style.MUTED),
                           words(f"yellow: swapping the colour words (on average "
                                 f"{shown(self.facts['token_swap_share_of_yardstick'])} as far)",
                                 size=style.SMALL_SIZE, color=style.HIGHLIGHT))
        chart.key.arrange(RIGHT, buff=0.6).next_to(chart.labels, DOWN, buff=0.25)
        chart.add(chart.heading, chart.yardstick, chart.swap, chart.labels, chart.key)
        return chart

    def distance_bars(self) -> VGroup:
        """How far the swap moves the pooled vector, against changing one colour: the heading, then the two bars with
        their words (the word pieces' vectors have a chart of their own: piece_chart)."""
        share = self.facts["pooled_swap_share_of_yardstick"]
        length = 7.5 / max(100.0, float(share.value))  # scene units per percent of the yardstick
        bars = VGroup()
        for label, value, colour in (("changing a colour", 100.0, style.MUTED),
                                     (f"swapping the colour words: {shown(share)}", float(share.value), style.HIGHLIGHT)):
            bar = Rectangle(width=max(0.03, length * value), height=0.5, stroke_width=0, fill_color=colour,
                            fill_opacity=0.9)
            bars.add(VGroup(bar, words(label, size=style.SMALL_SIZE, color=colour).next_to(bar, RIGHT, buff=0.2)))
        bars.arrange(DOWN, buff=0.18, aligned_edge=LEFT)
        title = words("the compass (pooled vector)", size=style.LABEL_SIZE).next_to(bars, UP, buff=0.2)
        return VGroup(title.align_to(bars, LEFT), bars)
