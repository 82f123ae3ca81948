"""Chapter "Exploring by hand": a grid of starting noises on the sheet spanned by three seeds' noises and the pictures they lead to, then a walk in a circle through noise space, played as a seamless loop.

It reads the explore capture (``python -m pipeline capture explore``): the grid's starting
noises and finished pictures, the judge's reading of them, and the loop's noises and
pictures with their angles. Every number it says or shows is one of that capture's facts or
arrays.
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
    Circle,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    FadeTransform,
    Group,
    GrowArrow,
    LaggedStart,
    SurroundingRectangle,
    ValueTracker,
    VGroup,
    Write,
    config,
    linear,
)

from scenes import style
from scenes.narration import NarratedScene
from scenes.numbers import shown
from scenes.pictures import Frame, PixelPicture, noisy_frame
from scenes.words import ChapterTitle, LiveText, ReadsTheJudge, prompt_words, words


class ExploringByHand(ReadsTheJudge, NarratedScene):
    """Three seeds span a sheet of starting noises; a grid on it shows neighbourhoods of pictures; a circle loops."""

    pair_height = 3.4  # one seed's noise and its picture, at the start
    pair_x = 3.0
    grid_height = 5.5  # the whole grid, square
    grid_gap = 0.08
    grid_center = np.array([-2.6, -0.45, 0.0])
    notes_x = 1.0  # left edge of the notes beside the grid
    circle_radius = 1.75
    circle_center = np.array([-3.6, 0.15, 0.0])
    loop_height = 4.3
    loop_center = np.array([2.7, -0.25, 0.0])
    close_width = 7.5  # the camera's frame, close to the first noise
    push_in_room = 0.6  # ... a slow push in while the sheet is explained: this much room around what is explained
    patch_close_width = 5.0  # ... at least this wide, close to a patch of alike neighbours
    seconds_per_stop = 0.4  # each stop of the loop on screen; two rounds are played
    rounds = 2

    def tell(self) -> None:
        noises, finals = self.arrays["grid_noise_pictures"], self.arrays["grid_finals"]
        size = len(self.arrays["grid_fractions"])

        # --- one seed's noise, and where it leads
        title = ChapterTitle(self.title)
        noise = PixelPicture(noises[0, 0], height=self.pair_height).move_to(self.pair_x * LEFT + 0.3 * DOWN)
        picture = PixelPicture(finals[0, 0], height=self.pair_height).move_to(self.pair_x * RIGHT + 0.3 * DOWN)
        noise_frame, picture_frame = noisy_frame(noise), Frame(picture, color=style.MODEL)
        leads = Arrow(noise_frame.get_right(), picture_frame.get_left(), buff=0.3, color=style.MODEL,
                      stroke_width=style.ARROW_STROKE)
        noise_caption = words("seed A's starting noise", size=style.LABEL_SIZE, color=style.NOISE)
        noise_caption.next_to(noise_frame, DOWN, buff=0.25)
        picture_caption = prompt_words(str(self.facts['prompt'].value))
        picture_caption.next_to(picture_frame, DOWN, buff=0.25)
        with self.narrate("opening"):
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.dock(), run_time=0.6)
            self.play(FadeIn(noise), FadeIn(noise_frame), run_time=0.8)
            self.wait_until_bookmark("seed")
            self.play(FadeIn(noise_caption), GrowArrow(leads), run_time=0.6)
            # the noise goes along the arrow and becomes the picture it leads to
            self.play_along(FadeTransform(noise.copy(), picture), FadeIn(picture_frame), FadeIn(picture_caption),
                            least=0.8, most=2.5)
            # close to the noise: what lies around it?
            self.wait_until_bookmark("around")
            self.play_along(self.look_at(noise_frame, self.close_width), least=1.0, most=3.0)

        # --- three seeds span a sheet
        cell, centres = self.grid_cells(size)
        noise_cells = [[PixelPicture(noises[i, j], height=cell).move_to(centres[i][j]) for j in range(size)]
                       for i in range(size)]
        final_cells = [[PixelPicture(finals[i, j], height=cell).move_to(centres[i][j]) for j in range(size)]
                       for i in range(size)]
        corners = {"A": (0, 0), "B": (size - 1, 0), "C": (0, size - 1)}
        corner_labels = {
            "A": words("seed A", size=style.SMALL_SIZE, color=style.SEED).next_to(noise_cells[0][0], LEFT, buff=0.2),
            "B": words("seed B", size=style.SMALL_SIZE, color=style.SEED).next_to(noise_cells[-1][0], LEFT,
                                                                                 buff=0.2),
            "C": words("seed C", size=style.SMALL_SIZE, color=style.SEED).next_to(noise_cells[0][-1], UP, buff=0.15),
        }
        corner_frames = VGroup(*(noisy_frame(noise_cells[i][j], buff=0.03) for i, j in corners.values()))
        # The sheet's two directions from seed A, along the grid's edges; the grid covers them later.
        directions = VGroup(*(Arrow(corner_frames[0].get_edge_center(side), corner_frames[k].get_edge_center(-side),
                                    buff=0.12, color=style.NOISE, stroke_width=3, max_tip_length_to_length_ratio=0.08)
                              for k, side in ((1, DOWN), (2, RIGHT))))
        angle_note = self.notes(("random noises point", style.MUTED),
                                (f"{shown(self.facts['angle_a_b'])}\u00b0 apart", style.INK))
        quiet_note = self.notes(("a straight mix is too quiet:", style.MUTED),
                                (f"{shown(self.facts['straight_midpoint_length'])} as strong halfway", style.INK),
                                ("so the sheet bends along a sphere", style.MUTED))
        quiet_note.next_to(angle_note, DOWN, buff=0.45).align_to(angle_note, LEFT)
        with self.narrate("plane"):
            self.wait_until_bookmark("three")
            self.play(FadeOut(Group(picture, picture_frame, picture_caption, leads, noise_caption)),
                      Group(noise, noise_frame).animate.move_to(centres[0][0]).set(height=noise_cells[0][0].height + 0.06),
                      self.camera_home(), run_time=1.0)
            self.remove(noise, noise_frame)
            self.add(noise_cells[0][0])
            self.play(FadeIn(noise_cells[-1][0]), FadeIn(noise_cells[0][-1]), FadeIn(corner_frames),
                      *(FadeIn(label) for label in corner_labels.values()), run_time=1.0)
            self.play(*(GrowArrow(a) for a in directions), run_time=0.8)
            self.wait_until_bookmark("apart")
            # close to the three seeds: the two directions from seed A, at right angles
            self.play(FadeIn(angle_note, shift=0.1 * LEFT), run_time=0.8)
            seeds_corner = Group(corner_frames, directions, *corner_labels.values(), angle_note)
            self.play_along(self.look_at(seeds_corner, self.width_to_show(seeds_corner, self.push_in_room)),
                            least=1.0, most=6.0)
            self.wait_until_bookmark("quiet")
            # the sheet between B and C: a straight mix (too quiet) against the bend along a sphere
            straight, bent = self.mix_paths(corner_frames)
            self.play(self.camera_home(), FadeIn(quiet_note, shift=0.1 * LEFT), Create(straight), run_time=1.0)
            sheet = Group(corner_frames, straight, bent, quiet_note, *corner_labels.values())
            self.play_along(Create(bent), self.look_at(sheet, self.width_to_show(sheet, self.push_in_room)),
                            least=1.0, most=6.0)

        # --- the grid, and where each start leads
        in_between = [noise_cells[i][j] for i in range(size) for j in range(size) if (i, j) not in corners.values()]
        share = self.facts.get("grid_object_share") if self.facts["judged"].value else None
        grid_notes = self.notes(("every start, the same prompt", style.MUTED),
                                *([(f"the judge sees a {self.facts['object'].value}", style.JUDGE_YES),
                                   (f"in {shown(share)} of them", style.INK)] if share is not None else []))
        neighbours = ((f"neighbours {shown(self.facts['grid_neighbour_change'])} apart,", style.MUTED),
                      (f"any two {shown(self.facts['grid_pair_change'])}", style.MUTED))
        if not self.facts["neighbours_alike"].value:  # as the narration says it: no patches at this spacing
            patch_notes = self.notes(*neighbours, ("no patches at this spacing", style.INK))
        elif self.facts["judged"].value:  # (a toy-world model's pictures, which the judge has read)
            patch_notes = self.notes(("colour, size and background", style.MUTED), ("change in patches", style.INK),
                                     *neighbours)
        else:
            patch_notes = self.notes(("neighbours start from", style.MUTED), ("nearly the same noise", style.INK))
        patch_notes.next_to(grid_notes, DOWN, buff=0.45).align_to(grid_notes, LEFT)
        # Diagonal by diagonal from seed A's corner, so the change spreads across the sheet.
        order = sorted(((i, j) for i in range(size) for j in range(size)), key=lambda ij: (ij[0] + ij[1], ij[0]))
        with self.narrate("grid"):
            self.wait_until_bookmark("grid")
            self.play(FadeOut(angle_note), FadeOut(quiet_note), FadeOut(directions),
                      FadeOut(straight), FadeOut(bent), self.camera_home(),
                      LaggedStart(*(FadeIn(c, scale=0.8) for c in in_between), lag_ratio=0.05), run_time=1.4)
            self.wait_until_bookmark("finals")
            self.play(LaggedStart(*(FadeIn(final_cells[i][j]) for i, j in order), lag_ratio=0.08),
                      FadeOut(corner_frames), run_time=2.4)
            for i, j in order:
                self.remove(noise_cells[i][j])
            self.play(FadeIn(grid_notes, shift=0.1 * LEFT), run_time=0.8)
            self.wait_until_bookmark("patches")
            self.play(FadeIn(patch_notes, shift=0.1 * LEFT), run_time=0.8)
            # close to the grid's most alike neighbours: a patch
            patch = self.most_alike_block(finals)
            if patch is not None:
                block = Group(*(final_cells[i][j] for i, j in patch))
                self.play(Create(SurroundingRectangle(block, color=style.HIGHLIGHT, buff=0.06)), run_time=0.6)
                self.play_along(self.look_at(block, max(2.4 * block.width, self.patch_close_width)), least=1.0,
                                most=6.0)

        # --- a circle through noise space, played round and round
        loop_finals, loop_noises = self.arrays["loop_finals"], self.arrays["loop_noise_pictures"]
        angles = np.asarray(self.arrays["loop_angles"], dtype=float)
        stops = len(loop_finals)
        stop = ValueTracker(0.0)

        def now() -> int:
            return int(np.floor(stop.get_value() + 1e-6)) % stops

        circle = Circle(radius=self.circle_radius, color=style.FAINT, stroke_width=3).move_to(self.circle_center)

        def on_circle(angle_degrees: float) -> np.ndarray:
            # Seed A's noise at the top, going clockwise like a clock's hand towards seed B.
            turn = np.radians(angle_degrees)
            return self.circle_center + self.circle_radius * np.array([np.sin(turn), np.cos(turn), 0.0])

        marks = VGroup(*(Dot(on_circle(a), radius=0.045, color=style.MUTED) for a in angles))
        seed_a = words("seed A", size=style.SMALL_SIZE, color=style.SEED).next_to(on_circle(0), UP, buff=0.2)
        seed_b = words("seed B", size=style.SMALL_SIZE, color=style.SEED).next_to(on_circle(90), RIGHT, buff=0.2)
        walker = Dot(on_circle(angles[0]), radius=0.11, color=style.HIGHLIGHT)
        walker.add_updater(lambda m: m.move_to(on_circle(angles[now()])))
        start_noise = PixelPicture(loop_noises[0], height=1.3).move_to(self.circle_center)
        start_noise.add_updater(lambda m: m.show(loop_noises[now()]))
        start_frame = noisy_frame(start_noise)
        circle_name = words("a circle through noise space", size=style.LABEL_SIZE, color=style.MUTED)
        circle_name.next_to(circle, DOWN, buff=0.35)
        shown_loop = PixelPicture(loop_finals[0], height=self.loop_height).move_to(self.loop_center)
        shown_loop.add_updater(lambda m: m.show(loop_finals[now()]))
        loop_frame = Frame(shown_loop, color=style.MODEL)
        counter = LiveText(lambda: f"stop {now() + 1} of {stops}", size=style.COUNTER_SIZE, color=style.INK)
        counter.next_to(loop_frame, UP, buff=0.25).align_to(loop_frame, LEFT)
        counter.add_updater(lambda m: m.refresh())
        grid_parts = Group(*(final_cells[i][j] for i in range(size) for j in range(size)), *corner_labels.values(),
                           grid_notes, patch_notes)
        with self.narrate("loop") as tracker:
            self.play_along(self.camera_home(), least=0.8, most=1.5)
            self.wait_until_bookmark("circle")
            self.play(FadeOut(grid_parts), *(FadeOut(m) for m in self.mobjects if isinstance(m, SurroundingRectangle)),
                      run_time=0.9)
            self.play(Create(circle), FadeIn(marks), FadeIn(seed_a), FadeIn(seed_b), FadeIn(circle_name),
                      FadeIn(walker), FadeIn(start_noise), FadeIn(start_frame), run_time=1.2)
            self.play(FadeIn(shown_loop), FadeIn(loop_frame), FadeIn(counter), run_time=0.8)
            self.wait_until_bookmark("play")
            # Round and round: at least the knob's rounds, more if the voice is still speaking.
            seconds = max(self.rounds * stops * self.seconds_per_stop, tracker.get_remaining_duration())
            rounds = max(self.rounds, int(seconds / (stops * self.seconds_per_stop)))
            self.play(stop.animate.set_value(rounds * stops), run_time=rounds * stops * self.seconds_per_stop,
                      rate_func=linear)

        with self.narrate("closing") as tracker:
            self.wait_until_bookmark("lesson")
            # on round at the same pace while the lesson is said: at least one more round
            seconds = max(stops * self.seconds_per_stop, tracker.get_remaining_duration())
            self.play(stop.animate.set_value(rounds * stops + seconds / self.seconds_per_stop), run_time=seconds,
                      rate_func=linear)
        for mobject in (walker, start_noise, shown_loop, counter):
            mobject.clear_updaters()

    # --- pieces of the chapter

    def grid_cells(self, size: int) -> tuple[float, list[list[np.ndarray]]]:
        """The grid pictures' size, and where each goes: rows run from seed A towards seed B, columns towards seed C."""
        cell = (self.grid_height - self.grid_gap * (size - 1)) / size
        pitch = cell + self.grid_gap
        top_left = self.grid_center + (size - 1) / 2 * pitch * (LEFT + UP)
        return cell, [[top_left + pitch * (j * RIGHT + i * DOWN) for j in range(size)] for i in range(size)]

    @staticmethod
    def mix_paths(corner_frames: VGroup) -> tuple[DashedLine, ArcBetweenPoints]:
        """Between seed B's and seed C's corners: the straight mix (dashed, muted) and the bend along a sphere."""
        b, c = corner_frames[1].get_corner(UP + RIGHT), corner_frames[2].get_corner(DOWN + LEFT)
        straight = DashedLine(b, c, color=style.MUTED, stroke_width=3, dash_length=0.12)
        bent = ArcBetweenPoints(b, c, angle=np.pi / 2.5, color=style.NOISE, stroke_width=4)
        return straight, bent

    @staticmethod
    def most_alike_block(finals: np.ndarray) -> list[tuple[int, int]] | None:
        """The 2 x 2 block of the grid whose pictures differ least from one another (mean over its four neighbour
        pairs); None for a grid smaller than 2 x 2."""
        if finals.shape[0] < 2 or finals.shape[1] < 2:
            return None
        f = finals.astype(np.float32)
        best, where = np.inf, (0, 0)
        for i in range(finals.shape[0] - 1):
            for j in range(finals.shape[1] - 1):
                pairs = ((f[i, j], f[i + 1, j]), (f[i, j], f[i, j + 1]), (f[i + 1, j], f[i + 1, j + 1]),
                         (f[i, j + 1], f[i + 1, j + 1]))
                change = np.mean([np.abs(a - b).mean() for a, b in pairs])
                if change < best:
                    best, where = change, (i, j)
        i, j = where
        return [(i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)]

    def notes(self, *lines: tuple[str, object]) -> VGroup:
        """A few short lines beside the grid, left-aligned at ``notes_x``."""
        group = VGroup(*(words(text, size=style.LABEL_SIZE, color=color) for text, color in lines))
        group.arrange(DOWN, buff=0.14, aligned_edge=LEFT)
        room = config.frame_width / 2 - self.notes_x - 0.3  # right of the grid, inside the frame
        if group.width > room:
            group.width = room
        group.move_to(np.array([0.0, 1.3, 0.0])).align_to(np.array([self.notes_x, 0.0, 0.0]), LEFT)
        return group

