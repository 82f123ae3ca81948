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
    ORIGIN,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    CurvedArrow,
    DashedLine,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    GrowFromEdge,
    LaggedStart,
    Line,
    MoveToTarget,
    Rectangle,
    ReplacementTransform,
    Square,
    Succession,
    SurroundingRectangle,
    Swap,
    TransformFromCopy,
    ValueTracker,
    VGroup,
    Write,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PixelPicture, Reel, fade_to, fitted_size, guess_frame
from scenes.words import ChapterTitle, LiveText, PromptBox, StepCounter, prompt_words, words

# How each verdict is drawn: the frame around a picture, and the legend's order
VERDICT_COLOURS = {
    "right": style.JUDGE_YES,
    "swapped": style.JUDGE_NO,
    "one colour on both": style.JUDGE_ONE_COLOUR,
    "other colours": style.JUDGE_OTHER,
    "objects wrong": style.JUDGE_MISSING,
}
# What a picture's label says under it: short, so that a row of pictures keeps its labels apart
VERDICT_LABELS = {"right": "right", "swapped": "swapped", "one colour on both": "one colour", "other colours": "other",
                  "objects wrong": "missing"}
VERDICT_FACTS = {"right": "binding_score", "swapped": "swapped_share", "one colour on both": "one_colour_share",
                 "other colours": "other_colours_share", "objects wrong": "objects_wrong_share"}


class WhichColourGoesWhere(NarratedScene):
    """Two things, two colours: the prompt's pictures and its swapped twin's, every picture's verdict, guidance,
    when the colours settle, and the compass against the word-by-word vectors."""

    grid_width = 8.2
    grid_height = 5.6
    bar_height = 3.2

    def tell(self) -> None:
        facts, arrays = self.facts, self.arrays
        verdicts = arrays["verdicts"]
        twin = int(arrays["twin_of"][0])
        objects = [str(o) for o in arrays["asked_objects"][0]]

        # --- the prompt, which colour word goes to which thing, one of its pictures, and the published figures
        title = ChapterTitle(self.title)
        prompt = PromptBox(str(facts["prompt"].value), width=6.5).move_to(2.15 * UP)
        links = self.colour_links(prompt, [str(c) for c in arrays["asked_colours"][0]], objects)
        typed = VGroup(prompt.box, prompt.text)  # the prompt as shown: its box and words, no cursor
        hero = PixelPicture(arrays["finals"][0, 0], height=3.6).move_to(0.75 * DOWN)
        hero_frame = Frame(hero)
        waffles = self.published_waffles()
        hero_place = np.array([4.75, waffles.squares.get_y(), 0.0])
        hero_side = waffles.squares.height + 0.3
        ours = words("our model: ?", size=style.LABEL_SIZE, color=style.MODEL)
        ours.move_to(np.array([hero_place[0], waffles.values.get_y(), 0.0]))
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.dock(), run_time=0.8)
            self.wait_until_bookmark("prompt")
            self.play_along(FadeIn(prompt.box), FadeIn(prompt.text, shift=0.1 * UP), least=0.8, most=1.5)
            self.wait_until_bookmark("words")
            # each colour word reaches over to the thing it belongs to
            self.play_along(LaggedStart(*(Create(link) for link in links), lag_ratio=0.5), least=1.0, most=2.5)
            self.wait_until_bookmark("picture")
            # does the picture? one of its pictures, large
            self.play_along(FadeIn(hero, scale=0.6), Create(hero_frame), least=0.8, most=1.5)
            self.wait_until_bookmark("benchmark")
            # our picture steps aside for the published figures: a hundred pictures each, the right ones green
            self.play_along(Group(hero, hero_frame).animate.scale(hero_side / hero_frame.height).move_to(hero_place),
                            FadeIn(waffles.heading, shift=0.1 * UP), least=1.0, most=3.0)
            for mark, keys in (("oldest", ("sd15",)), ("newest", ("sd21", "sdxl"))):
                self.wait_until_bookmark(mark)
                self.play_along(*(self.fill_waffle(waffles, key) for key in keys), least=1.2, most=4.5)
            self.wait_until_bookmark("ours")
            asking = SurroundingRectangle(hero_frame, color=style.HIGHLIGHT, buff=0.08)
            self.play_along(Create(asking), FadeIn(ours, shift=0.1 * UP), least=0.6, most=1.2)

        # --- the prompt's pictures and its swapped twin's, side by side, with the judge's verdicts
        seeds = self.seed_pictures(arrays["finals"][0], verdicts[0], arrays["read_colours"][0], arrays["read_kinds"][0])
        twin_seeds = self.seed_pictures(arrays["finals"][twin], verdicts[twin], arrays["read_colours"][twin],
                                        arrays["read_kinds"][twin])
        twin_prompt = PromptBox(str(facts["swapped_prompt"].value), width=6.2)
        twin_typed = VGroup(twin_prompt.box, twin_prompt.text)
        typed.generate_target()
        for place, grid, column in ((typed.target, seeds, -3.55), (twin_typed, twin_seeds, 3.55)):
            place.scale(style.LABEL_SIZE / style.BODY_SIZE)  # typed large; above its pictures, at a label's size
            if place.width > 6.8:
                place.scale_to_fit_width(6.8)
            place.move_to(np.array([column, 2.5, 0.0]))
            grid.move_to(np.array([column, 0.0, 0.0])).align_to(np.array([0.0, 1.95, 0.0]), UP)
        with self.narrate("pictures"):
            self.wait_until_bookmark("seeds")
            # the picture we saw is the first of the prompt's seeds; the others join it
            first = seeds.pictures[0]
            self.play(FadeOut(waffles), FadeOut(links), FadeOut(asking), FadeOut(ours),
                      MoveToTarget(typed),
                      Group(hero, hero_frame).animate.scale(first.height / hero.height).move_to(first),
                      run_time=1.0)
            self.remove(hero, hero_frame)
            self.add(first, seeds.frames[0])
            self.play_along(LaggedStart(*(FadeIn(Group(seeds.pictures[i], seeds.frames[i]), scale=0.8)
                                          for i in range(1, len(seeds.pictures))), lag_ratio=0.3),
                            least=0.6, most=1.8)
            self.wait_until_bookmark("judge")
            # the judge reads the first picture: which thing wears which colour
            judge_box = SurroundingRectangle(seeds.frames[0], color=style.HIGHLIGHT, buff=0.05)
            self.play_along(self.look_at(Group(first, seeds.readings[0]), 5.2), Create(judge_box),
                            FadeIn(seeds.readings[0], shift=0.1 * UP), least=1.0, most=3.0)
            self.wait_until_bookmark("every")
            # ... and every other picture, in turn
            others = range(1, len(seeds.pictures))
            if len(others):
                each = min(max(self.time_to_next_words() - 0.1, 0.8), 3.0) / len(others)
                for i in others:
                    self.play(self.camera.frame.animate.move_to(Group(seeds.pictures[i], seeds.readings[i])),
                              judge_box.animate.move_to(seeds.frames[i]), FadeIn(seeds.readings[i]), run_time=each)
            self.wait_until_bookmark("verdicts")
            self.play_along(self.camera_home(), FadeOut(judge_box), *self.give_verdicts(seeds), least=1.0, most=2.5)
            self.wait_until_bookmark("twin")
            # the same words in the other order, and its pictures from the same seeds beside the prompt's
            self.play(ReplacementTransform(typed.copy(), twin_typed), run_time=1.0)
            self.play_along(LaggedStart(*(FadeIn(Group(twin_seeds.pictures[i], twin_seeds.frames[i]), scale=0.8)
                                          for i in range(len(twin_seeds.pictures))), lag_ratio=0.3),
                            least=1.0, most=4.0)
            self.wait_until_bookmark("twin_verdicts")
            self.play_along(self.look_at(twin_seeds, max(8.5, (twin_seeds.height + 0.5) * 16 / 9)),
                            LaggedStart(*(FadeIn(r) for r in twin_seeds.readings), lag_ratio=0.2),
                            least=1.0, most=2.0, leave=1.6)
            self.play_along(*self.give_verdicts(twin_seeds), least=0.8, most=1.5)

        # --- every picture, framed by its verdict, and the shares
        grid = self.verdict_grid(arrays["finals"], verdicts).center().to_edge(LEFT, buff=0.6).shift(0.35 * DOWN)
        legend = self.legend().next_to(grid, RIGHT, buff=0.6).align_to(grid, UP).shift(0.3 * DOWN)
        flat = verdicts.reshape(-1)
        seed_count = verdicts.shape[1]
        with self.narrate("score"):
            self.wait_until_bookmark("grid")
            # the eight pictures fly to their places among all the others, which arrive around them
            moved = {0 * seed_count + n: (seeds, n) for n in range(len(seeds.pictures))}
            moved.update({twin * seed_count + n: (twin_seeds, n) for n in range(len(twin_seeds.pictures))})
            arrivals = []
            for index, cell in enumerate(grid):
                if index in moved:
                    source, n = moved[index]
                    arrivals.append(AnimationGroup(ReplacementTransform(source.pictures[n], cell[0]),
                                                   ReplacementTransform(source.frames[n], cell[1])))
                else:
                    arrivals.append(FadeIn(cell, scale=0.6))
            leaving = Group(*self.shown_parts(Group(typed, twin_typed, *seeds.labels, *twin_seeds.labels,
                                                    *seeds.readings, *twin_seeds.readings)))
            self.play(self.camera_home(), FadeOut(leaving), run_time=0.6)
            self.play_along(LaggedStart(*arrivals, lag_ratio=min(0.05, 4.0 / max(len(arrivals), 1))),
                            FadeIn(legend.count), least=1.5, most=7.0)
            shown_verdicts = set()
            for mark, verdict_names in (("right", ["right"]), ("swapped", ["swapped"]),
                                        ("others", ["one colour on both", "other colours", "objects wrong"])):
                self.wait_until_bookmark(mark)
                # the pictures of these verdicts stand out in their colour; the share grows out of them
                lit = [cell for cell, v in zip(grid, flat) if str(v) in verdict_names]
                dim = [cell for cell, v in zip(grid, flat) if str(v) not in verdict_names]
                shown_verdicts.update(verdict_names)
                source = Group(*lit).get_center() if lit else grid.get_center()
                animations = [*(cell[1].animate.set_stroke(VERDICT_COLOURS[str(v)], width=4.0)
                                for cell, v in zip(grid, flat) if str(v) in verdict_names),
                              *fade_to(Group(*(cell[0] for cell in lit)), 1.0),
                              *fade_to(Group(*(cell[0] for cell in dim)), 0.3),
                              *(FadeIn(legend.entry[name], target_position=source, scale=0.5)
                                for name in verdict_names)]
                if mark == "others" and lit:
                    # so few that the camera goes to one of them
                    centre = grid.get_center()
                    animations.append(self.look_at(min(lit, key=lambda c: np.linalg.norm(c.get_center() - centre)),
                                                   4.5))
                self.play_along(*animations, least=0.8, most=3.0)

        # --- the score at each guidance scale
        chart = self.score_bars().move_to(0.4 * DOWN)
        scales = arrays["curve_scales"]
        guided = [i for i, s in enumerate(scales) if float(s) > 0] or list(range(len(scales)))
        unguided = [i for i in range(len(scales)) if i not in guided]
        with self.narrate("guidance"):
            self.wait_until_bookmark("curve")
            self.play(self.camera_home(), FadeOut(Group(grid, legend)), run_time=0.8)
            self.play(FadeIn(chart.axis), FadeIn(chart.heading), run_time=0.6)
            # the unguided scale first, close up
            if unguided:
                spot = chart.bars[unguided[0]]
                self.play_along(self.look_at(Group(spot, chart.labels[2 * unguided[0] + 1]).get_center() + 0.6 * UP,
                                             6.0), GrowFromEdge(spot, DOWN),
                                *(FadeIn(chart.labels[2 * i + k]) for i in unguided for k in (0, 1)),
                                least=1.0, most=3.0)
            self.wait_until_bookmark("best")
            self.play_along(self.camera_home(), LaggedStart(*(GrowFromEdge(chart.bars[i], DOWN) for i in guided),
                                                            lag_ratio=0.3),
                            LaggedStart(*(FadeIn(chart.labels[2 * i + k]) for i in guided for k in (0, 1)),
                                        lag_ratio=0.15), least=1.2, most=3.5)
            if facts["guidance_helps"].value:
                best = int(np.argmax(arrays["curve_scores"]))
                self.play(chart.bars[best].animate.set_fill(style.HIGHLIGHT), run_time=0.6)
            else:  # the score holds within a band at every guided scale: the band, drawn over the bars
                self.play(Create(chart.band), run_time=0.8)
            self.wait_until_bookmark("swaps")
            self.play_along(LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in chart.swaps), lag_ratio=0.2),
                            LaggedStart(*(FadeIn(label) for label in chart.swap_labels), lag_ratio=0.2),
                            FadeIn(chart.key), least=1.0, most=2.5)
            # along the guided scales, ever harder on the prompt: the same score
            if len(guided) > 1 and self.time_to_next_words() > 2.0:
                along = [Group(chart.bars[i], chart.swaps[i]).get_center() for i in (guided[0], guided[-1])]
                self.play(self.look_at(along[0], 6.5), run_time=0.8)
                self.play_along(self.camera.frame.animate.move_to(along[1]), least=1.0, most=4.0, leave=0.8)
                self.play(self.camera_home(), run_time=0.7)

        # --- when the colours settle: the guess of the finished picture, step by step, and when each thing settles
        guesses = arrays["headline_clean_pictures"]
        steps = int(guesses.shape[0])
        readings = arrays["headline_read_colours"]
        settle = self.settle_chart(steps).move_to(np.array([3.3, -0.3, 0.0]))
        film = Reel(guesses[:, 0], np.arange(1, steps + 1)) if steps else None
        guess = PixelPicture(guesses[0, 0] if steps else arrays["finals"][0, 0], height=3.6)
        guess.move_to(np.array([-3.6, 0.35, 0.0]))
        guess_box = guess_frame(guess)
        guess_heading = words(f"the guess of the finished picture: {facts['prompt'].value}", size=style.LABEL_SIZE,
                              color=style.GUESS)
        guess_heading.scale_to_fit_width(min(guess_heading.width, 12.5)).move_to(2.75 * UP)
        counter = StepCounter(1).next_to(guess_box, DOWN, buff=0.2)
        position = ValueTracker(0.0)

        def read_at(index: int) -> str:
            at = int(np.clip(round(position.get_value()), 0, max(steps - 1, 0)))
            colour = str(readings[at, 0, index]) if steps else ""
            return f"{objects[index]}: {colour or '-'}"

        reads = VGroup(*(LiveText(lambda i=i: read_at(i), size=style.LABEL_SIZE) for i in range(len(objects))))
        reads.arrange(DOWN, buff=0.12, aligned_edge=LEFT).next_to(counter, DOWN, buff=0.2)
        settled = words(f"half the things' colours are settled by step {shown(facts['settle_step_median'])} "
                        f"of {shown(facts['steps'])}" if facts["colours_settle"].value else
                        "no colour settles on both things", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        settled.scale_to_fit_width(min(settled.width, 6.4)).next_to(settle, DOWN, buff=0.35)
        with self.narrate("settle"):
            self.wait_until_bookmark("steps")
            self.play(FadeOut(Group(*self.shown_parts(chart))), run_time=0.6)
            self.play_along(FadeIn(guess, scale=0.7), Create(guess_box), FadeIn(guess_heading), FadeIn(counter),
                            FadeIn(reads), FadeIn(settle.frame_parts), least=0.8, most=2.0)
            self.wait_until_bookmark("watch")
            settle.grow_to(0)
            self.add(settle.bars)
            if film is not None:
                # the walk plays; each thing's settling adds to the chart as the walk passes its step
                guess.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
                counter.add_updater(lambda m: m.set_value(int(round(position.get_value())) + 1))
                for line in reads:
                    line.add_updater(lambda m: m.refresh())
                settle.bars.add_updater(lambda m: settle.grow_to(position.get_value() + 1))
                self.play_along(position.animate.set_value(film.last), rate_func=lambda t: t * t, least=2.0,
                                most=8.0, leave=0.3)
                for mobject in (guess, counter, *reads, settle.bars):
                    mobject.clear_updaters()
            settle.grow_to(steps + 1)
            self.wait_until_bookmark("settled")
            median = int(facts["settle_step_median"].value)
            back, settled_here = [], self.settled_at(readings)
            here_box = SurroundingRectangle(guess_box, color=style.HIGHLIGHT, buff=0.06)
            if film is not None and settled_here is not None:
                # back to the step from which this walk's colours stay as they end: where it settled
                back = [position.animate.set_value(settled_here), Create(here_box)]
                guess.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
                counter.add_updater(lambda m: m.set_value(int(round(position.get_value())) + 1))
                for line in reads:
                    line.add_updater(lambda m: m.refresh())
            self.play_along(*back, *settle.mark_median(median if facts["colours_settle"].value else None),
                            FadeIn(settled, shift=0.1 * UP), least=0.8, most=2.5)
            for mobject in (guess, counter, *reads):
                mobject.clear_updaters()

        # --- the compass against the word-by-word vectors
        compass = self.distance_bars()
        pieces = self.piece_chart()
        Group(compass, pieces).arrange(DOWN, buff=0.7).move_to(0.35 * DOWN)
        arrow = Arrow(ORIGIN, 1.3 * RIGHT, color=style.HIGHLIGHT, buff=0, stroke_width=style.ARROW_STROKE)
        arrow.next_to(compass[0], RIGHT, buff=0.4)
        colour_words = self.colour_pieces()
        with self.narrate("compass"):
            self.play(FadeOut(Group(*self.shown_parts(Group(guess, guess_box, guess_heading, counter, reads, settle,
                                                            settle.frame_parts, settled, here_box)))), run_time=0.6)
            # the prompt's word pieces, each in its place
            self.play_along(FadeIn(pieces.heading), LaggedStart(*(FadeIn(label, shift=0.2 * UP) for label in
                                                                  pieces.labels), lag_ratio=0.2), least=1.0, most=2.5)
            self.wait_until_bookmark("compass")
            # ... squeezed into one arrow
            self.play_along(TransformFromCopy(pieces.labels, arrow), FadeIn(compass[0]), least=1.2, most=3.5)
            self.wait_until_bookmark("swapped")
            # the colour words change places; the arrow hardly moves: the swap against changing a colour
            swap = [Swap(pieces.labels[colour_words[0]], pieces.labels[colour_words[1]], path_arc=1.6)] \
                if len(colour_words) == 2 else []
            self.play_along(Succession(*swap, self.grow_bar(compass[1][0]), self.grow_bar(compass[1][1])),
                            least=1.5, most=5.0, leave=2.6)
            if swap:  # back again, and the model does not read the arrow
                self.play_along(Swap(pieces.labels[colour_words[1]], pieces.labels[colour_words[0]], path_arc=1.6),
                                *fade_to(Group(compass, arrow), 0.4), least=0.8, most=2.0)
            # word by word: under each word piece, how far changing a colour and swapping move its vector
            self.wait_until_bookmark("tokens")
            self.play_along(FadeIn(pieces.key), self.look_at(pieces, max(pieces.width + 1.0, 9.0)),
                            Succession(LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in pieces.yardstick),
                                                   lag_ratio=0.1),
                                       LaggedStart(*(GrowFromEdge(bar, DOWN) for bar in pieces.swap), lag_ratio=0.1)),
                            least=1.5, most=4.5)

        # --- a prompt and its swapped twin from one seed, pair by pair
        pairs = self.twin_pairs()
        shown_pairs = self.pair_pictures(pairs[:self.pair_page]).move_to(0.95 * UP)
        squares = self.pair_squares(pairs).next_to(shown_pairs, DOWN, buff=0.4) if pairs else self.pair_squares(pairs)
        with self.narrate("closing") as tracker:
            self.wait_until_bookmark("answer")
            # the word pieces of the colour words: where the order is kept
            where = Group(*(Group(pieces.labels[i], pieces.swap[i], pieces.yardstick[i]) for i in colour_words)) \
                if colour_words else pieces
            self.play_along(self.look_at(where, max(where.width + 3.0, 6.0)), FadeOut(pieces.key), least=1.0, most=3.0)
            self.wait_until_bookmark("model")
            self.play_along(self.camera_home(), *fade_to(pieces, 0.4), least=1.0, most=2.5)
            self.wait_until_bookmark("pairs")
            self.play(FadeOut(Group(*self.mobjects_without(title))), run_time=0.5)
            if pairs:
                self.play_along(LaggedStart(*(FadeIn(pair, shift=0.2 * UP) for pair in shown_pairs), lag_ratio=0.4),
                                least=1.0, most=2.0)
            self.wait_until_bookmark("share")
            if pairs:  # every pair a square, in the colour of what it did; the share grows out of the pairs shown
                self.play_along(LaggedStart(*(FadeIn(square, target_position=shown_pairs.get_center(), scale=0.3)
                                              for square in squares.cells), lag_ratio=0.02),
                                FadeIn(squares.caption, shift=0.1 * UP), least=1.2, most=2.5)
            else:
                self.play(FadeIn(squares.caption, shift=0.1 * UP), run_time=0.6)
            self.browse_pairs(pairs, shown_pairs, squares, tracker)

    # --- pieces of the chapter

    pair_page = 2  # pairs shown at once
    pair_page_seconds = 1.3  # each page of pairs, after the share is shown
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

    def published_waffles(self) -> VGroup:
        """GenEval's published colour-attribution scores for large models: a hundred squares each, one per picture
        of a hundred, green for those with both colours on the right things."""
        facts = self.facts
        keys = ("sd15", "sd21", "sdxl")
        waffles = VGroup()
        waffles.waffle, waffles.name, waffles.value = {}, {}, {}
        for index, key in enumerate(keys):
            right = int(round(float(facts[f"geneval_{key}"].value)))
            squares = VGroup(*(Square(side_length=0.2, stroke_width=0, fill_opacity=0.95,
                                      fill_color=style.JUDGE_YES if i < right else style.FAINT) for i in range(100)))
            squares.arrange_in_grid(rows=10, cols=10, buff=0.05, flow_order="ru")
            squares.move_to(np.array([-5.1 + 3.0 * index, -0.85, 0.0]))
            name = words(str(facts[f"geneval_{key}_name"].value), size=style.LABEL_SIZE)
            name.scale_to_fit_width(min(name.width, 2.8)).next_to(squares, UP, buff=0.2)
            value = words(f"{shown(facts[f'geneval_{key}'])} right", size=style.LABEL_SIZE, color=style.JUDGE_YES)
            value.next_to(squares, DOWN, buff=0.2)
            waffles.waffle[key], waffles.name[key], waffles.value[key] = squares, name, value
            waffles.add(squares, name, value)
        waffles.squares = VGroup(*waffles.waffle.values())
        waffles.values = VGroup(*waffles.value.values())
        waffles.heading = words("GenEval, both colours on the right things: published figures, other models",
                                size=style.SMALL_SIZE, color=style.MUTED)
        waffles.heading.scale_to_fit_width(min(waffles.heading.width, 12.5))
        waffles.heading.next_to(VGroup(*waffles.name.values()), UP, buff=0.3).set_x(0)
        waffles.add(waffles.heading)
        return waffles

    @staticmethod
    def fill_waffle(waffles: VGroup, key: str):
        """A model's hundred squares arriving row by row, its name above and its share below."""
        return AnimationGroup(FadeIn(waffles.name[key], shift=0.1 * DOWN),
                              LaggedStart(*(FadeIn(square, scale=0.4) for square in waffles.waffle[key]),
                                          lag_ratio=0.03),
                              FadeIn(waffles.value[key], shift=0.1 * UP), lag_ratio=0.3)

    def seed_pictures(self, pictures, verdicts, reads, kinds) -> Group:
        """A prompt's pictures, one per seed, in a block of rows: under each, first what the judge read (the thing on
        each side and its colour: ``kinds`` and ``reads``, per picture and side), then (``give_verdicts``) its
        verdict; frames neutral until the verdict colours them."""
        count = len(pictures)
        columns = count if count <= 2 else (2 if count <= 4 else int(np.ceil(count / 2)))
        rows = int(np.ceil(count / max(columns, 1)))
        aspect = fitted_size(np.asarray(pictures[0]).shape, 1.0)[0] if count else 1.0
        across, down, slot = 0.35, 0.1, 0.62
        side = min((6.4 - across * (columns - 1)) / (columns * aspect), (5.7 - rows * (slot + down)) / rows, 2.6)
        block = Group()
        block.pictures, block.frames, block.readings, block.labels = [], VGroup(), [], []
        block.verdicts = [str(v) for v in verdicts]
        for index, pixels in enumerate(pictures):
            picture = PixelPicture(pixels, height=side)
            picture.move_to(np.array([(index % columns - (columns - 1) / 2) * (side * aspect + across),
                                      -(index // columns) * (side + slot + down), 0.0]))
            frame = Frame(picture)
            reading = self.reading_words([str(k) for k in kinds[index]], reads[index]).next_to(frame, DOWN, buff=0.1)
            verdict = str(verdicts[index])
            label = words(VERDICT_LABELS[verdict], size=style.SMALL_SIZE,
                          color=style.MUTED if verdict == "objects wrong" else VERDICT_COLOURS[verdict])
            label.next_to(frame, DOWN, buff=0.15)
            block.pictures.append(picture)
            block.frames.add(frame)
            block.readings.append(reading)
            block.labels.append(label)
            block.add(picture, frame, reading, label)
        return block

    @staticmethod
    def give_verdicts(block: Group) -> list:
        """Each picture's frame takes its verdict's colour, and what the judge read turns into the verdict."""
        return [AnimationGroup(frame.animate.set_color(VERDICT_COLOURS[verdict]), FadeTransform(reading, label))
                for frame, reading, label, verdict in zip(block.frames, block.readings, block.labels, block.verdicts)]

    def settle_chart(self, steps: int) -> VGroup:
        """How many things' colours settle at each step of the walk (every picture that shows both things), a bar per
        step and one for never; ``grow_to(step)`` shows the bars up to that step, ``mark_median(step)`` marks it."""
        settle = np.asarray(self.arrays["settle_steps"]).reshape(-1)
        settle = settle[settle > 0]
        bins = max(steps, 1) + 1
        counts = np.array([np.sum(settle == k) for k in range(1, bins + 1)], dtype=float)
        width, tallest = 6.0, 3.2
        pitch = width / (bins + 1)
        unit = tallest / max(float(counts.max()) if counts.size else 0.0, 1.0)
        chart = VGroup()
        bars = VGroup()
        full = []
        for k, count in enumerate(counts, start=1):
            x = (k - 1 + (1 if k == bins else 0)) * pitch - width / 2 + pitch / 2
            bar = Rectangle(width=0.8 * pitch, height=1.0, stroke_width=0, fill_opacity=0.9,
                            fill_color=style.MUTED if k == bins else style.MODEL)
            bar.move_to(np.array([x, 0.5, 0.0]))
            bars.add(bar)
            full.append(unit * count)
        axis = Line(np.array([-width / 2, 0.0, 0.0]), np.array([width / 2, 0.0, 0.0]), color=style.MUTED,
                    stroke_width=style.AXIS_STROKE)
        ticks = VGroup(words("step 1", size=style.SMALL_SIZE, color=style.MUTED).next_to(bars[0], DOWN, buff=0.15)
                       .set_y(-0.25))
        if steps > 1:
            ticks.add(words(f"{steps}", size=style.SMALL_SIZE, color=style.MUTED).set_x(bars[steps - 1].get_x())
                      .set_y(-0.25))
        ticks.add(words("never", size=style.SMALL_SIZE, color=style.MUTED).set_x(bars[-1].get_x()).set_y(-0.6))
        heading = words(f"when each thing's colour settles: {int(settle.size)} things",
                        size=style.LABEL_SIZE, color=style.MUTED)
        heading.scale_to_fit_width(min(heading.width, width)).move_to(np.array([0.0, tallest + 0.45, 0.0]))
        chart.add(axis, ticks, heading, bars)
        chart.frame_parts = VGroup(axis, ticks, heading)
        chart.bars, chart.full, chart.pitch, chart.steps = bars, full, pitch, steps

        def grow_to(step: float) -> None:
            """The bars of the steps up to ``step`` (in between: partly grown), the rest not yet there."""
            base = axis.get_y()
            for k, (bar, height) in enumerate(zip(bars, full), start=1):
                shown_height = height * float(np.clip(step - k + 1, 0.0, 1.0))
                bar.stretch_to_fit_height(max(shown_height, 1e-3))
                bar.set_y(base + bar.height / 2)
                bar.set_fill(opacity=0.9 if shown_height > 0.01 else 0.0)

        def mark_median(step) -> list:
            """The steps by which half the things' colours are settled, lit, and a line after them."""
            if step is None or not 1 <= step <= len(bars) - 1:
                return []
            x = bars[step - 1].get_right()[0] + 0.1 * pitch
            line = DashedLine(np.array([x, axis.get_y(), 0.0]), np.array([x, axis.get_y() + tallest + 0.1, 0.0]),
                              color=style.HIGHLIGHT, stroke_width=style.MARK_STROKE)
            chart.add(line)
            return [Create(line), *(bar.animate.set_fill(style.HIGHLIGHT) for bar in bars[:step])]

        chart.grow_to, chart.mark_median = grow_to, mark_median
        return chart

    @staticmethod
    def settled_at(readings) -> int | None:
        """The first step (an index) from which the colours the judge reads on the first seed's guess stay as they end,
        or None where the guess does not end with a colour on each thing."""
        if not len(readings):
            return None
        final = [str(c) for c in readings[-1, 0]]
        if not final or "" in final:
            return None
        step = len(readings) - 1
        while step > 0 and [str(c) for c in readings[step - 1, 0]] == final:
            step -= 1
        return step

    def colour_pieces(self) -> list[int]:
        """Where the prompt's two colour words stand among its word pieces (a tokenizer's marks taken off), or none."""
        tokens = [str(t).lower().replace("</w>", "").strip().lstrip("▁Ġ#") for t in self.arrays["headline_tokens"]]
        found = []
        for colour in (str(c).lower() for c in self.arrays["asked_colours"][0]):
            if colour in tokens and tokens.index(colour) not in found:
                found.append(tokens.index(colour))
        return found if len(found) == 2 else []

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
            links.add(CurvedArrow(ends[0], ends[1], angle=-1.2, color=style.HIGHLIGHT, stroke_width=style.MARK_STROKE,
                                  tip_length=0.16))
        return links

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
            colour = style.JUDGE_NO if ignored else style.JUDGE_YES
            cells = Group()
            for index in (i, j):
                picture = PixelPicture(arrays["finals"][index, seed], height=2.3)
                frame = Frame(picture, color=colour)
                said = prompt_words(str(arrays["prompts"][index]).replace(" and ", "\nand ", 1), size=style.SMALL_SIZE)
                said.scale_to_fit_width(min(said.width, frame.width + 0.3)).next_to(frame, UP, buff=0.12)
                # the thing the judge read on each side, with the colour it read there
                read = self.reading_words([str(k) for k in arrays["read_kinds"][index, seed]],
                                          arrays["read_colours"][index, seed]).next_to(frame, DOWN, buff=0.12)
                cells.add(Group(picture, frame, said, read))
            cells.arrange(RIGHT, buff=0.35, aligned_edge=UP)
            verdict = words("same colours: order ignored" if ignored else "each follows its words",
                            size=style.LABEL_SIZE, color=colour).next_to(cells, DOWN, buff=0.15)
            shown_pairs.add(Group(cells, verdict))
        if not shown_pairs.submobjects:
            return shown_pairs
        return shown_pairs.arrange(RIGHT, buff=0.9, aligned_edge=UP).scale_to_fit_width(min(shown_pairs.width, 12.8))

    def browse_pairs(self, pairs, shown_pairs: Group, squares: VGroup, tracker) -> None:
        """While the narration goes on, the next pairs in turn, a page at a time, their squares outlined: the share
        is made of pairs like these."""
        if not pairs:
            return
        page = len(shown_pairs.submobjects)
        place = shown_pairs.get_center()
        outline = SurroundingRectangle(squares.cells[:page], color=style.INK, buff=0.05, stroke_width=2)
        self.play(Create(outline), run_time=0.4)
        for start in range(page, len(pairs), page):
            if tracker.get_remaining_duration() < self.pair_page_seconds + 0.3:
                break
            following = self.pair_pictures(pairs[start:start + page])
            following.move_to(place).align_to(shown_pairs, UP)
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
                                fill_color=style.JUDGE_NO if ignored else style.JUDGE_YES) for *_, ignored in pairs))
        if len(cells):
            cells.arrange_in_grid(cols=columns, buff=0.06)
        ignored = sum(1 for *_, gone in pairs if gone)
        caption = words(f"{ignored} of {len(pairs)} pairs the same: {shown(self.facts['swap_ignored_share'])}",
                        size=style.LABEL_SIZE, color=style.JUDGE_NO)
        if len(cells):
            caption.next_to(cells, DOWN, buff=0.25)
        squares = VGroup(cells, caption)
        squares.cells, squares.caption = cells, caption
        return squares

    def verdict_grid(self, finals, verdicts) -> Group:
        """Every final picture, a row per four prompts (one object pair with one colour pair, both orders of each),
        in a neutral frame that takes its verdict's colour when the verdict is spoken."""
        prompts, seeds = verdicts.shape
        columns = min(prompts, 4) * seeds
        rows = int(np.ceil(prompts * seeds / columns))
        aspect = finals.shape[-2] / finals.shape[-3]
        gap = 0.08
        side = min((self.grid_height - gap * (rows - 1)) / rows, (self.grid_width - gap * (columns - 1)) /
                   (columns * aspect))
        cells = Group()
        for index, picture in enumerate(finals.reshape(-1, *finals.shape[2:])[:verdicts.size]):
            pixels = PixelPicture(picture, height=side)
            frame = Frame(pixels, color=style.FAINT, buff=0.025)
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
        legend.entry, legend.count = entries, count
        return legend

    def score_bars(self) -> VGroup:
        """The binding score at each guidance scale: a bar each, its value above, its scale below."""
        scales, scores = self.arrays["curve_scales"], self.arrays["curve_scores"]
        width, gap = 0.9, 0.7
        bars, labels = VGroup(), VGroup()
        for i, (scale, score) in enumerate(zip(scales, scores)):
            key = f"{float(scale):g}".replace(".", "_")
            height = max(0.02, self.bar_height * float(score) / 100)
            bar = Rectangle(width=width, height=height, stroke_width=0, fill_color=style.JUDGE_YES, fill_opacity=0.9)
            bar.move_to(np.array([i * (width + gap), height / 2, 0.0]))
            bars.add(bar)
            labels.add(words(shown(self.facts[f"score_at_{key}"]), size=style.SMALL_SIZE).next_to(bar, UP, 0.12))
            labels.add(words(f"{float(scale):g}", size=style.SMALL_SIZE, color=style.MUTED)
                       .move_to(np.array([bar.get_x(), -0.3, 0.0])))
        # the swapped share beside each score, and the band the guided scores stay within
        swaps, swap_labels = VGroup(), VGroup()
        for bar, scale, swapped in zip(bars, scales, self.arrays["curve_swapped"]):
            height = max(0.02, self.bar_height * float(swapped) / 100)
            swap = Rectangle(width=width * 0.4, height=height, stroke_width=0, fill_color=style.JUDGE_NO,
                             fill_opacity=0.9)
            swap.move_to(np.array([bar.get_right()[0] + width * 0.2 + 0.04, height / 2, 0.0]))
            swaps.add(swap)
            at = f"{float(scale):g}".replace(".", "_")
            swap_labels.add(words(shown(self.facts[f"swapped_at_{at}"]), size=style.SMALL_SIZE, color=style.JUDGE_NO)
                            .scale(0.7).next_to(swap, UP, 0.08))
        guided = [bar for bar, scale in zip(bars, scales) if float(scale) > 0] or list(bars)
        low, high = (self.bar_height * float(self.facts[name].value) / 100 for name in ("guided_low_score",
                                                                                          "best_score"))
        left, right = guided[0].get_left()[0] - 0.15, guided[-1].get_right()[0] + 0.15
        band = VGroup(*(DashedLine(np.array([left, y, 0.0]), np.array([right, y, 0.0]), color=style.HIGHLIGHT,
                                   stroke_width=3) for y in sorted({low, high})))
        key = VGroup(*(VGroup(Square(side_length=0.22, stroke_width=0, fill_color=c, fill_opacity=0.9),
                              words(t, size=style.SMALL_SIZE, color=c)).arrange(RIGHT, buff=0.15)
                       for c, t in ((style.JUDGE_YES, "right"), (style.JUDGE_NO, "swapped"))))
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
