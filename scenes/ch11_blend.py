"""Chapter "Between two prompts": the pictures along the straight path between two prompts, and where the prompt that names both lies, off that path, drawn to scale.

It reads the blend capture (``python -m pipeline capture blend``): the pictures made from
mixes of the two prompts' numbers (straight path and arc, one seed), the picture of the
prompt that names both, the judge's readings of them, and how far that prompt lies from the
straight path. Every number it says or shows is one of that capture's facts or arrays.
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
    Dot,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    GrowArrow,
    GrowFromEdge,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    ValueTracker,
    VGroup,
    Write,
    always_redraw,
    config,
    linear,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import CaptionedPicture, Frame, PictureRow, PixelPicture, Reel, ValueStrip, value_limit
from scenes.words import ChapterTitle, LiveText, PromptBox, ReadsTheJudge, words, words_on_baseline


class BetweenTwoPrompts(ReadsTheJudge, NarratedScene):
    """The straight path between two prompts snaps from one picture to the other; the prompt naming both lies off it."""

    end_height = 3.6  # the two ends, large, before the path between them appears
    end_x = 3.9
    row_height = 1.35
    straight_row_y = 1.05
    arc_row_y = -1.75
    big_height = 3.2  # the path's middle beside the prompt that names both
    big_x = 3.3
    # The plane through the three points: the path lies along this line, and the tallest
    # triangle the chapter draws reaches ``diagram_room`` above it.
    path_y = -2.3
    diagram_room = 4.8
    longest_path = 6.0
    thumbnail_height = 1.15
    big_y = 0.2
    bars_width = 2.2  # the judge's readings under the middle of the row
    big_bars_width = 2.6  # under the two large pictures
    middle_close_width = 6.5  # the camera on the middle of the row
    judge_close_width = 7.5  # on the middle picture and the judge's readings
    pair_close_width = 11.0
    waiting_y = 0.8
    bar_height = 0.2
    bar_pitch = 0.34
    off_close_width = 8.5
    lesson_width = 11.5
    mix_size = (1.6, 2.4)  # the mixed numbers, between the two ends
    mix_y = 0.3
    line_lift = 0.45  # the straight line, this far above the ends' bottom edges

    @staticmethod
    def fold_of(width: int) -> int:
        """Columns to fold a vector of ``width`` numbers into: as many as divide it, up to 16."""
        return next(f for f in (16, 12, 8, 6, 4, 3, 2, 1) if width % f == 0)

    def tell(self) -> None:
        end_a, end_b = str(self.facts["end_a"].value), str(self.facts["end_b"].value)
        straight, arc = self.arrays["lerp_finals"], self.arrays["slerp_finals"]
        fractions = np.asarray(self.arrays["fractions"], dtype=float)
        middle = int(np.argmin(np.abs(fractions - 0.5)))

        # --- the two ends: each prompt, and the picture it leads to
        title = ChapterTitle(self.title)
        picture_a, picture_b = (CaptionedPicture(pixels, f"\u201c{end}\u201d", height=self.end_height,
                                                 caption_size=style.PROMPT_SIZE, caption_color=style.PROMPT)
                                .move_to(x * self.end_x * RIGHT)
                                for pixels, end, x in ((straight[0], end_a, -1), (straight[-1], end_b, 1)))
        # each prompt typed in its box where its picture will grow
        typed = [self.typed_box(end, picture.picture, self.end_x * 2 - 0.6)
                 for end, picture in ((end_a, picture_a), (end_b, picture_b))]
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.dock(), run_time=0.6)
            self.wait_until_bookmark("ends")
            self.play_along(Create(typed[0].box), Write(typed[0].text), least=0.6, most=1.2, leave=0.2)
            self.wait_until_bookmark("b")
            self.play_along(Create(typed[1].box), Write(typed[1].text), least=0.6, most=1.2, leave=0.2)
            self.wait_until_bookmark("own")
            # each prompt leads to its own picture: the picture grows where its words were, the words go under it
            self.play_along(*(anim for words_typed, picture in zip(typed, (picture_a, picture_b)) for anim in (
                FadeIn(Group(picture.picture, picture.frame), scale=0.15),
                ReplacementTransform(words_typed.text, picture.caption), FadeOut(words_typed.box))),
                            least=1.5, most=4.5, leave=0.3)

        # --- the straight path between them, one picture per mix
        between = Line(picture_a.frame.get_right(), picture_b.frame.get_left(), buff=0.3, color=style.HIGHLIGHT,
                       stroke_width=style.CURVE_STROKE)
        row = self.row(straight, end_a, end_b, middle).move_to(self.straight_row_y * UP)
        row_name = self.row_name("straight path", row)
        # The walk along the straight line: the prompt's numbers mixed from one end's to the other's, as it goes.
        mixes = np.asarray(self.arrays["lerp_pooled"], dtype=np.float64)
        path = Reel(mixes, fractions)  # each point's numbers, and how far along the path it is
        along = ValueTracker(0.0)  # a point's index on the path, possibly between two
        mix_strip = ValueStrip(mixes[0], value_limit(mixes), width=self.mix_size[0], height=self.mix_size[1],
                               fold=self.fold_of(mixes.shape[1])).move_to(self.mix_y * UP)
        mix_frame = Frame(mix_strip, buff=0.03)
        mix_label = LiveText(lambda: f"the mix: {100 * path.step_at(along.get_value()):.0f}% of the way",
                             size=style.SMALL_SIZE, color=style.HIGHLIGHT)
        mix_label.next_to(mix_frame, UP, buff=0.15)
        between.shift((picture_a.frame.get_bottom()[1] + self.line_lift - between.get_y()) * UP)
        walker = Dot(between.get_start(), radius=0.1, color=style.HIGHLIGHT)
        with self.narrate("path") as tracker:
            self.play(Create(between), FadeIn(walker), FadeIn(mix_strip), Create(mix_frame), FadeIn(mix_label),
                      run_time=1.0)
            mix_strip.add_updater(lambda m: m.show(path.frame_at(along.get_value())))
            walker.add_updater(lambda m: m.move_to(between.point_from_proportion(path.step_at(along.get_value()))))
            mix_label.add_updater(lambda m: m.refresh())
            seconds = max(tracker.time_until_bookmark("strip") - 0.2, 1 / config.frame_rate)
            self.play(along.animate.set_value(path.last), rate_func=linear, run_time=min(seconds, 5.0))
            for mobject in (mix_strip, walker, mix_label):
                mobject.clear_updaters()
            self.wait_until_bookmark("strip")
            self.play(FadeOut(between), FadeOut(walker), FadeOut(mix_strip), FadeOut(mix_frame), FadeOut(mix_label),
                      FadeOut(picture_a.caption), FadeOut(picture_b.caption),
                      Group(picture_a.picture, picture_a.frame).animate.move_to(row.pictures[0]).set(
                          height=row.frames[0].height),
                      Group(picture_b.picture, picture_b.frame).animate.move_to(row.pictures[-1]).set(
                          height=row.frames[-1].height),
                      run_time=1.0)
            # The moved ends become the row's own end pictures.
            self.remove(picture_a.picture, picture_a.frame, picture_b.picture, picture_b.frame)
            self.add(row.cell(0), row.cell(len(straight) - 1))
            # the mixes painted one by one, from one end to the other
            self.play_along(LaggedStart(*(FadeIn(row.cell(i), shift=0.3 * DOWN) for i in range(1, len(straight) - 1)),
                                        lag_ratio=0.4), FadeIn(row_name), least=1.5, most=4.5, leave=0.2)

        # --- where the judge's reading snaps from one end to the other
        snaps = self.snap_lines(row, self.arrays.get("lerp_presence"))
        middle_cell = Group(row.pictures[middle], row.frames[middle])
        middle_bars = self.judge_bars("lerp", self.bars_width)
        if middle_bars is not None:
            middle_bars.next_to(row.label_of.get(middle, row.frames[middle]), DOWN, buff=0.25).set_x(
                row.frames[middle].get_x())
        with self.narrate("snap"):
            # a monster in the middle? the camera goes to look
            self.play_along(self.look_at(Group(*(row.cell(i) for i in range(max(middle - 1, 0),
                                                                              min(middle + 2, len(straight))))),
                                         self.middle_close_width), least=1.0, most=4.0, leave=0.2)
            self.wait_until_bookmark("snap")
            self.play_along(self.camera_home(), *([Create(snaps)] if len(snaps) else []), least=1.0, most=2.5,
                            leave=0.2)
            self.wait_until_bookmark("judge")
            close = Group(middle_cell, *([middle_bars] if middle_bars is not None else []))
            self.play_along(self.look_at(close, self.judge_close_width),
                            row.frames[middle].animate.set_color(style.HIGHLIGHT),
                            *(self.grow_bars(middle_bars) if middle_bars is not None else []),
                            least=1.2, most=6.0, leave=0.3)

        # --- the arc: the same ends, numbers that keep their length
        arc_row = self.row(arc, end_a, end_b, middle).move_to(self.arc_row_y * UP)
        arc_name = self.row_name("arc", arc_row)
        arc_snaps = self.snap_lines(arc_row, self.arrays.get("slerp_presence"))
        with self.narrate("arc"):
            self.wait_until_bookmark("arc")
            # each picture on the arc comes down from its twin on the straight path: almost the same
            self.play_along(self.camera_home(), *([FadeOut(middle_bars)] if middle_bars is not None else []),
                            LaggedStart(*(FadeIn(arc_row.cell(i), target_position=row.pictures[i].get_center())
                                          for i in range(len(arc))), lag_ratio=0.25),
                            FadeIn(arc_name), least=1.5, most=5.0, leave=0.6)
            if len(arc_snaps):
                self.play(Create(arc_snaps), run_time=0.5)

        # --- the prompt that names both, beside the path's middle
        mid_big = CaptionedPicture(straight[middle], "halfway along the path", height=self.big_height)
        mid_big.move_to(self.big_x * LEFT + self.big_y * UP)
        both = CaptionedPicture(self.arrays["combined_final"], f"\u201c{self.facts['prompt'].value}\u201d",
                                height=self.big_height, caption_size=style.PROMPT_SIZE, caption_color=style.PROMPT)
        both.move_to(self.big_x * RIGHT + self.big_y * UP)
        both.frame.set_color(style.MODEL)
        typed_both = self.typed_box(str(self.facts["prompt"].value), both.picture,
                                    2 * (config.frame_width / 2 - self.big_x) - 0.6)
        mid_bars = self.judge_bars("lerp", self.big_bars_width)
        both_bars = self.judge_bars("combined", self.big_bars_width)
        for bars, picture in ((mid_bars, mid_big), (both_bars, both)):
            if bars is not None:
                bars.next_to(picture.caption, DOWN, buff=0.25).set_x(picture.frame.get_x())
        others = Group(*(row.cell(i) for i in range(len(straight)) if i != middle), row.labels, row_name, snaps,
                       arc_row, arc_name, arc_snaps)
        with self.narrate("combined"):
            self.play(FadeOut(others), middle_cell.animate.move_to(mid_big.picture).set(height=mid_big.frame.height),
                      row.frames[middle].animate.set_color(style.FAINT), run_time=1.2)
            self.remove(middle_cell)
            self.add(mid_big.picture, mid_big.frame)
            self.play_along(FadeIn(mid_big.caption), Create(typed_both.box), Write(typed_both.text), least=0.8,
                            most=2.0, leave=0.2)
            self.wait_until_bookmark("both")
            # the picture of the prompt naming both grows where its words were typed
            self.play_along(FadeIn(Group(both.picture, both.frame), scale=0.15),
                            ReplacementTransform(typed_both.text, both.caption), FadeOut(typed_both.box), least=1.0,
                            most=2.5, leave=0.2)
            self.wait_until_bookmark("sure")
            # the judge's readings, side by side: the middle's, then the picture's
            readings = [bars for bars in (mid_bars, both_bars) if bars is not None]
            if readings:
                self.play_along(*(anim for bars in readings for anim in self.grow_bars(bars)), least=1.5, most=4.5,
                                leave=0.3)
            else:  # no judge: look closely at the two, for the eye to judge
                self.play_along(self.look_at(Group(mid_big, both), self.pair_close_width), least=1.5, most=4.5,
                                leave=0.3)

        # --- the plane through the three points, drawn to scale
        compass = (float(self.facts["pooled_along_path"].value) / 100, float(self.facts["pooled_off_path"].value) / 100)
        reads = (float(self.facts["states_along_path"].value) / 100, float(self.facts["states_off_path"].value) / 100)
        length = min(self.longest_path, self.diagram_room / max(compass[1], reads[1], 1e-6))
        along, off = ValueTracker(compass[0]), ValueTracker(compass[1])
        left_end = np.array([-length / 2, self.path_y, 0.0])

        def spot(share_along: float, share_off: float) -> np.ndarray:
            return left_end + length * np.array([share_along, share_off, 0.0])

        path = Line(spot(0, 0), spot(1, 0), color=style.HIGHLIGHT, stroke_width=style.CURVE_STROKE)
        dot_a, dot_b = Dot(spot(0, 0), color=style.INK), Dot(spot(1, 0), color=style.INK)
        thumb_a = self.thumbnail(straight[0]).next_to(dot_a, LEFT, buff=0.45)
        thumb_b = self.thumbnail(straight[-1]).next_to(dot_b, RIGHT, buff=0.45)
        # Names above the ends' pictures: below them is the note on how the drawing is made.
        (name_a, drop_a), (name_b, drop_b) = (words_on_baseline(f"\u201c{e}\u201d", size=style.PROMPT_SIZE,
                                                                color=style.PROMPT) for e in (end_a, end_b))
        for name, drop, thumb in ((name_a, drop_a, thumb_a), (name_b, drop_b, thumb_b)):
            name.next_to(thumb, UP, buff=0.15).shift((max(drop_a, drop_b) - drop) * UP)
        point = always_redraw(lambda: Dot(spot(along.get_value(), off.get_value()), radius=0.1, color=style.MODEL))
        # The line through the two ends, dashed beyond them, in case the foot falls outside the path.
        extension = always_redraw(lambda: DashedLine(spot(min(0.0, along.get_value()), 0),
                                                     spot(max(1.0, along.get_value()), 0),
                                                     color=style.FAINT, stroke_width=style.GUIDE_STROKE))
        drop = always_redraw(lambda: DashedLine(spot(along.get_value(), off.get_value()), spot(along.get_value(), 0),
                                                color=style.MODEL, stroke_width=3))
        foot = always_redraw(lambda: Dot(spot(along.get_value(), 0), radius=0.07, color=style.MODEL))
        run = always_redraw(lambda: Line(spot(0, 0), spot(along.get_value(), 0), color=style.MODEL,
                                         stroke_width=style.CURVE_STROKE + 3))
        note = words("drawn to scale: the flat plane through the three points", size=style.SMALL_SIZE,
                     color=style.MUTED).to_edge(DOWN, buff=0.3)
        # Top left, on two short lines: the tallest triangle's point and picture stand right of it.
        compass_name = self.heading("the compass:", "one vector per prompt").next_to(title, DOWN, buff=0.4)
        reads_name = self.heading("what the model reads:", "a vector per word").next_to(title, DOWN, buff=0.4)
        for name in (compass_name, reads_name):
            name.to_edge(LEFT, buff=0.6)
        thumb_c = self.thumbnail(self.arrays["combined_final"], style.MODEL)
        waiting = np.array([0.0, self.waiting_y, 0.0])  # where the prompt's picture waits to be placed
        with self.narrate("where"):
            # the three pictures shrink to points' size: where among them does this prompt sit?
            self.play_along(self.camera_home(), FadeOut(Group(mid_big.caption, both.caption,
                                                              *(b for b in (mid_bars, both_bars) if b is not None))),
                            Group(mid_big.picture, mid_big.frame).animate.move_to(thumb_a).set(
                                height=thumb_a.height).set_opacity(0.0),
                            Group(both.picture, both.frame).animate.move_to(waiting).set(height=thumb_c.height),
                            least=1.0, most=2.0, leave=0.2)
            self.remove(mid_big.picture, mid_big.frame, both.picture, both.frame)
            thumb_c.move_to(waiting)
            self.add(thumb_c)
            self.wait_until_bookmark("triangle")
            self.add(extension)
            # the two ends come to the ends of the path, drawn between them
            self.play_along(Create(path), FadeIn(dot_a), FadeIn(dot_b),
                            FadeIn(thumb_a, shift=2.0 * RIGHT), FadeIn(thumb_b, shift=2.0 * LEFT),
                            FadeIn(name_a), FadeIn(name_b), FadeIn(note), FadeIn(compass_name),
                            least=1.2, most=4.5, leave=0.3)
            self.wait_until_bookmark("combined")
            self.play_along(FadeIn(point, scale=0.5),
                            thumb_c.animate.next_to(spot(*compass), RIGHT, buff=0.3), least=0.8, most=2.0, leave=0.1)
            thumb_c.add_updater(lambda m: m.next_to(spot(along.get_value(), off.get_value()), RIGHT, buff=0.3))
            self.wait_until_bookmark("off")
            off_label = self.off_label(self.facts["pooled_off_path"], drop_at=spot(compass[0], compass[1] / 2))
            # in close: how far off the path it lies
            self.play_along(Create(drop), FadeIn(foot), FadeIn(off_label),
                            self.look_at(Group(off_label, thumb_c, Dot(spot(compass[0], 0))), self.off_close_width),
                            least=1.0, most=3.5, leave=0.2)
            self.wait_until_bookmark("along")
            along_label = self.along_label(self.facts["pooled_along_path"], spot(compass[0] / 2, 0))
            # and along the path, to beside where it stands
            self.play_along(Create(run), FadeIn(along_label),
                            self.look_at(Group(path, note, Dot(spot(*compass))), self.off_close_width),
                            least=1.0, most=3.5, leave=0.2)

        # --- the same measurement on what the model reads: a vector for every word
        with self.narrate("states"):
            self.play_along(self.camera_home(), least=1.0, most=3.0, leave=0.3)
            self.wait_until_bookmark("states")
            off_after = self.off_label(self.facts["states_off_path"], drop_at=spot(reads[0], reads[1] / 2))
            along_after = self.along_label(self.facts["states_along_path"], spot(reads[0] / 2, 0))
            self.play(FadeTransform(compass_name, reads_name), FadeOut(off_label), FadeOut(along_label), run_time=0.6)
            self.play_along(along.animate.set_value(reads[0]), off.animate.set_value(reads[1]), least=1.5, most=4.0,
                            leave=1.0)
            self.play_along(FadeIn(off_after), FadeIn(along_after), least=0.5, most=1.0, leave=0.1)

        # The lesson as the narration's closing says it: a judged middle that shows both things is a mix that holds both
        lesson = words("a mix holds both, yet \u201cand\u201d points elsewhere"
                       if self.facts["judged"].value and self.facts["middle_shows_both"].value
                       else "a mix of two prompts is not both things" if self.facts["judged"].value
                       else "a mix of two prompts is not the prompt naming both",
                       size=style.BODY_SIZE, color=style.HIGHLIGHT)
        lesson.move_to(note)
        # the mix: a point on the path, its middle; "and": an arrow from there to where the prompt points
        mix_dot = Dot(spot(0.5, 0), radius=0.1, color=style.HIGHLIGHT)
        pointer = Arrow(spot(0.5, 0), spot(*reads), buff=0.12, color=style.MODEL, stroke_width=style.ARROW_STROKE,
                        max_tip_length_to_length_ratio=0.08)
        with self.narrate("closing"):
            self.wait_until_bookmark("lesson")
            self.play_along(FadeOut(note), FadeIn(lesson, shift=0.15 * UP), FadeIn(mix_dot, scale=2.0),
                            self.look_at(Group(path, lesson, thumb_a, thumb_b, mix_dot), self.lesson_width),
                            least=1.0, most=3.0, leave=0.2)
            self.wait_until_bookmark("new")
            # "and" points off the path: back out, to see the whole of where it goes
            self.play_along(GrowArrow(pointer), self.camera_home(),
                            least=1.2, most=3.5, leave=0.2)
        thumb_c.clear_updaters()

    # --- pieces of the chapter

    def row(self, pictures: np.ndarray, end_a: str, end_b: str, middle: int) -> PictureRow:
        """The pictures of one path from end to end, the ends and the middle named under them."""
        labels: list[str | None] = [None] * len(pictures)
        labels[0], labels[-1] = f"\u201c{end_a}\u201d", f"\u201c{end_b}\u201d"
        if 0 < middle < len(pictures) - 1:
            labels[middle] = "halfway"
        row = PictureRow(pictures, labels, height=self.row_height, buff=0.14)
        for end in (0, len(pictures) - 1):
            row.label_of[end].set_color(style.PROMPT)  # the ends are prompts
        return row

    def row_name(self, text: str, row: PictureRow) -> VGroup:
        return words(text, size=style.LABEL_SIZE, color=style.INK).next_to(row.frames, UP, buff=0.15).align_to(
            row.frames, LEFT)

    def snap_lines(self, row: PictureRow, presence: np.ndarray | None) -> VGroup:
        """A dashed line between two neighbours wherever the judge's likelier object changes."""
        lines = VGroup()
        if presence is None:
            return lines
        likelier = np.asarray(presence).argmax(axis=1)
        for i in np.flatnonzero(likelier[1:] != likelier[:-1]):
            x = (row.frames[i].get_right()[0] + row.frames[i + 1].get_left()[0]) / 2
            top, bottom = row.frames[i].get_top()[1] + 0.12, row.frames[i].get_bottom()[1] - 0.12
            lines.add(DashedLine([x, top, 0], [x, bottom, 0], color=style.HIGHLIGHT, stroke_width=4))
        return lines

    def judge_bars(self, which: str, width: float) -> VGroup | None:
        """The judge's reading of one picture as two bars, one per end's object ('butterfly ▇▇▇ 87.7%'), from the
        capture's facts (the ends' objects, object_a and object_b, and the readings '<which>_midpoint_a' and '_b', or
        'combined_a' and '_b'); None when it has no judge's reading. Its parts: ``title``, and ``rows`` of
        (name, track, bar, value)."""
        ends = ("a", "b")
        names = [f"object_{end}" for end in ends]
        keys = [f"{which}_midpoint_{end}" if which != "combined" else f"combined_{end}" for end in ends]
        facts = self.facts
        if not facts["judged"].value or not all(k in facts for k in keys + names):
            return None
        rows = VGroup()
        for index, (name, key) in enumerate(zip(names, keys)):
            track = Rectangle(width=width, height=self.bar_height, stroke_width=1.5, stroke_color=style.FAINT)
            track.move_to(index * self.bar_pitch * DOWN)
            share = float(np.clip(float(facts[key].value) / 100, 0.0, 1.0))
            bar = Rectangle(width=max(width * share, 0.02), height=self.bar_height, stroke_width=0,
                            fill_color=style.JUDGE_YES, fill_opacity=1.0).align_to(track, LEFT).set_y(track.get_y())
            label = words(str(facts[name].value), size=style.SMALL_SIZE, color=style.MUTED).next_to(track, LEFT,
                                                                                                      buff=0.15)
            value = words(shown(facts[key]), size=style.SMALL_SIZE, color=style.INK).next_to(track, RIGHT, buff=0.15)
            rows.add(VGroup(label, track, bar, value))
        title = words("judge:", size=style.SMALL_SIZE, color=style.MUTED).next_to(rows, UP, buff=0.12).align_to(
            rows, LEFT)
        bars = VGroup(title, rows)
        bars.title, bars.rows = title, rows
        return bars

    @staticmethod
    def grow_bars(bars: VGroup) -> list:
        """The judge's bars growing from nothing to its reading."""
        animations = [FadeIn(bars.title)]
        for label, track, bar, value in bars.rows:
            animations += [FadeIn(label), Create(track), GrowFromEdge(bar, LEFT), FadeIn(value, shift=0.2 * RIGHT)]
        return animations

    def heading(self, first: str, second: str) -> VGroup:
        lines = VGroup(words(first, size=style.LABEL_SIZE, color=style.INK),
                       words(second, size=style.LABEL_SIZE, color=style.MUTED))
        return lines.arrange(DOWN, buff=0.12, aligned_edge=LEFT)

    @staticmethod
    def typed_box(prompt: str, over, widest: float) -> PromptBox:
        """A prompt typed in its box (no cursor), centred on ``over``, no wider than ``widest``."""
        box = PromptBox(prompt, width=0.0).move_to(over)
        box.remove(box.cursor)
        if box.width > widest:
            box.scale_to_fit_width(widest)
        return box

    def thumbnail(self, pixels: np.ndarray, color=style.FAINT) -> Group:
        picture = PixelPicture(pixels, height=self.thumbnail_height)
        return Group(picture, Frame(picture, color=color))

    def off_label(self, fact, drop_at: np.ndarray) -> VGroup:
        """'off the path by / 41.8% of its length', left of the dashed drop."""
        lines = VGroup(words("off the path by", size=style.SMALL_SIZE, color=style.MODEL),
                       words(f"{shown(fact)} of its length", size=style.SMALL_SIZE, color=style.MODEL))
        lines.arrange(DOWN, buff=0.1, aligned_edge=RIGHT)
        return lines.next_to(drop_at, LEFT, buff=0.25)

    def along_label(self, fact, under: np.ndarray) -> VGroup:
        """'57.6% of the way', under the run from the first end to the foot of the drop."""
        return words(f"{shown(fact)} of the way", size=style.SMALL_SIZE, color=style.MODEL).next_to(
            under, DOWN, buff=0.25)

