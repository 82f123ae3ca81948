"""Chapter "What to remember": the film's last chapter, four lines to take away, each tied to one part of a walk from noise to a picture.

The walk on screen is the film's own: the walk capture's pictures, from the noise of its seed to
the picture its prompt made, and the prompt it names is the film's. A chapter that shows another
walk is a subclass that names another capture and overrides ``walk_from``; everything else stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    Indicate,
    LaggedStart,
    MoveAlongPath,
    ReplacementTransform,
    ValueTracker,
    VGroup,
    VMobject,
    Write,
    config,
    linear,
)

from pipeline.contract import Capture
from scenes import style
from scenes.narration import NarratedScene
from scenes.pictures import Frame, PixelPicture, Reel, ValueStrip, fade_to, guess_frame, noisy_frame, value_limit
from scenes.words import ChapterTitle, PromptBox, prompt_words, words, words_on_baseline


@dataclass(frozen=True)
class Walk:
    """A walk from noise to a picture as the chapter shows it: frames in walking order and what they are."""

    frames: np.ndarray  # (F, H, W, 3) uint8, noise first, the finished picture last
    steps: np.ndarray  # (F,) the scheduler step of each frame, counting down to 0
    prompt: str  # the words that steered it
    source: str  # one short line on screen that says where the frames come from


class Closing(NarratedScene):
    """Four lines to remember, each lighting up its part of a walk from noise to a picture."""

    # The four lines, in the order the narration says them, and the colour that ties each to
    # its part of the walk: the noise, the prompt, the steps, the finished picture.
    lessons = (
        ("it starts as noise, and the seed picks which", style.NOISE),
        ("the prompt is a compass, not the picture", style.MODEL),
        ("small steps, each towards a fresh guess", style.HIGHLIGHT),
        ("the picture is where the walk ends", style.SIGNAL),
    )
    strip_length = 5  # pictures in the walk strip, evenly spaced from noise to picture
    strip_height = 1.9
    strip_center = np.array([0.0, 0.95, 0.0])
    arrow_room = 0.8  # the gap between two pictures, where the step arrow goes
    big_height = 4.6  # the walk played large at the start, and the picture at the very end
    walk_seconds = 4.0
    lesson_top = -1.55  # the first line's baseline; the rest follow down
    lesson_spacing = 0.6

    def tell(self) -> None:
        walk = self.walk_from(self.capture)
        film = Reel(walk.frames, walk.steps)

        # --- the whole walk once, large, from the prompt typed
        title = ChapterTitle(self.title)
        typed = PromptBox(walk.prompt, width=0.0)
        typed.remove(typed.cursor)
        if typed.width > config.frame_width - 1.5:
            typed.scale_to_fit_width(config.frame_width - 1.5)
        big = PixelPicture(film.frame_at(0), height=self.big_height).shift(0.35 * DOWN)
        big_frame = Frame(big)
        typed_caption = prompt_words(walk.prompt).next_to(big_frame, UP, buff=0.2)
        position = ValueTracker(0.0)
        big.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
        with self.narrate("opening") as tracker:
            self.play(Write(title), run_time=1.2)
            self.play(title.animate.dock(), run_time=0.6)
            # "between typing a prompt and seeing a picture": the prompt, typed
            self.play_along(Create(typed.box), Write(typed.text), least=0.8, most=2.0, leave=0.2)
            self.wait_until_bookmark("walk")
            self.play(ReplacementTransform(typed.text, typed_caption), FadeOut(typed.box), FadeIn(big),
                      Create(big_frame), run_time=0.8)
            walk_time = max(min(self.walk_seconds, tracker.get_remaining_duration() - 1.2), 1.0)
            self.play(position.animate.set_value(film.last), run_time=walk_time, rate_func=linear)
            big.clear_updaters()
            strip = self.walk_strip(walk)
            # The big picture becomes the strip's last picture; the others join it.
            self.play(big.animate.set(height=strip.pictures[-1].height).move_to(strip.pictures[-1]),
                      big_frame.animate.become(strip.frames[-1]), FadeOut(typed_caption), run_time=1.0)
            self.remove(big, big_frame)
            self.add(strip.pictures[-1], strip.frames[-1])
            self.play(LaggedStart(*(FadeIn(Group(p, f)) for p, f in zip(strip.pictures[:-1], strip.frames[:-1])),
                                  lag_ratio=0.12),
                      FadeIn(strip.step_labels), FadeIn(strip.source), run_time=1.2)

        # --- first: noise, and the seed that picks it
        lessons = self.lesson_list()
        noise_picture, noise_frame = strip.pictures[0], strip.frames[0]
        later = Group(*strip.pictures[1:], *strip.frames[1:])
        seeds = self.seeds_row(strip)
        with self.narrate("noise"):
            self.wait_until_bookmark("noise")
            self.play(FadeIn(lessons.markers[0], scale=0.5), FadeIn(lessons.lines[0], shift=0.15 * RIGHT),
                      noise_frame.animate.set_color(self.lessons[0][1]), run_time=0.8)
            # everything after the noise steps back: the noise is where it starts
            self.play_along(*fade_to(later, 0.2), FadeOut(strip.step_labels[1:]), least=0.8, most=2.0)
            self.wait_until_bookmark("seed")
            if seeds is not None:
                # other seeds, other noise: one beside another where the walk stood
                self.play_along(FadeOut(Group(noise_picture, noise_frame, later, strip.step_labels[0], strip.source)),
                                LaggedStart(*(FadeIn(Group(p, f), shift=0.3 * RIGHT)
                                              for p, f in zip(seeds.pictures, seeds.frames)), lag_ratio=0.25),
                                FadeIn(seeds.labels), FadeIn(seeds.prompt, shift=0.1 * DOWN), least=1.0, most=2.5)
                self.wait_until_bookmark("many")
                # and each noise ends in its own picture: its frame, a noise frame, becomes a finished picture's
                self.play_along(LaggedStart(*(FadeIn(end) for end in seeds.finals), lag_ratio=0.3),
                                seeds.frames.animate.set_color(style.GUESS), least=1.0, most=3.0)

        prompt = prompt_words(walk.prompt)
        prompt.next_to(strip.frames, UP, buff=0.45)
        numbers = self.prompt_numbers(prompt)
        with self.narrate("compass"):
            self.wait_until_bookmark("prompt")
            back = [FadeOut(Group(seeds, *seeds.finals))] if seeds is not None else []
            self.play(*back, FadeIn(lessons.markers[1], scale=0.5), FadeIn(lessons.lines[1], shift=0.15 * RIGHT),
                      run_time=0.8)
            self.play_along(*self.restore_strip(strip, later, seeds is not None), FadeIn(prompt, shift=0.15 * DOWN),
                            least=0.8, most=1.5)
            self.wait_until_bookmark("numbers")
            steering = prompt
            if numbers is not None:
                # the words become numbers: the prompt's own vector, close
                self.play_along(FadeOut(prompt, shift=0.2 * UP), FadeIn(numbers, scale=0.6),
                                self.look_at(numbers, max(numbers.width + 1.5, 0.55 * config.frame_width)),
                                least=1.0, most=2.5)
                steering = numbers
            self.wait_until_bookmark("steer")
            # The prompt reaches every step: thin wires run from it down between the pictures to each
            # step's arrow, a dot travels along each, and the arrow takes the prompt's colour.
            wires = self.prompt_wires(steering, strip)
            couriers = [Dot(wire.get_start(), radius=0.06, color=style.MODEL) for wire in wires]
            self.play(self.camera_home(), FadeIn(strip.arrows), Create(wires), run_time=0.8)
            self.play_along(LaggedStart(*(MoveAlongPath(c, w) for c, w in zip(couriers, wires)), lag_ratio=0.2),
                            least=1.0, most=2.0, leave=0.8)
            self.play(*(a.animate.set_color(style.MODEL) for a in strip.arrows), FadeOut(VGroup(*couriers)),
                      run_time=0.5)

        # the guess each step makes, laid over the picture it was made from (the last picture makes none)
        guesses = self.capture.arrays.get("predicted_clean_pictures")
        positions = np.linspace(0, len(walk.frames) - 1, self.strip_length).round().astype(int)
        overlays = Group()
        if guesses is not None and len(guesses):
            for p, shown_picture in zip(positions[:-1], strip.pictures[:-1]):
                guess = PixelPicture(guesses[min(p, len(guesses) - 1)], height=shown_picture.height)
                overlays.add(Group(guess.move_to(shown_picture), guess_frame(guess)))
        guess_word = words("its guesses", size=style.LABEL_SIZE, color=style.GUESS)
        guess_word.next_to(strip.frames[:-1], DOWN, buff=0.2)
        # a walker: the walk itself, going along the strip from its noise to its picture, step by step
        walker = PixelPicture(film.frame_at(0), height=self.strip_height * 1.12)
        walker_frame = Frame(walker, color=self.lessons[2][1])
        xs = [picture.get_x() for picture in strip.pictures]
        walked = ValueTracker(0.0)

        def follow(m):
            m.move_to(np.array([np.interp(walked.get_value(), positions, xs), strip.pictures[0].get_y(), 0.0]))

        walker.add_updater(lambda m: follow(m.show(film.frame_at(walked.get_value()))))
        walker_frame.add_updater(follow)
        with self.narrate("steps") as tracker:
            self.wait_until_bookmark("steps")
            self.play(FadeIn(lessons.markers[2], scale=0.5), FadeIn(lessons.lines[2], shift=0.15 * RIGHT),
                      FadeIn(walker), Create(walker_frame), run_time=0.6)
            self.play_along(walked.animate.set_value(film.last), rate_func=linear, least=1.5, most=4.0, leave=0.1)
            walker.clear_updaters()
            walker_frame.clear_updaters()
            self.play(FadeOut(Group(walker, walker_frame)), run_time=0.3)
            self.wait_until_bookmark("guess")
            if len(overlays):  # "at each one it guesses the finished picture"
                self.play_along(LaggedStart(*(FadeIn(o, scale=0.8) for o in overlays), lag_ratio=0.2),
                                FadeOut(strip.step_labels), FadeOut(strip.source), FadeIn(guess_word),
                                least=1.0, most=2.5)
            self.wait_until_bookmark("sweep")
            # One step after another, in walking order: each guess gives way to the picture it was made from,
            # and the arrow from it to the next lights up.
            if len(overlays):
                self.play(FadeOut(guess_word), FadeIn(strip.step_labels), FadeIn(strip.source), run_time=0.4)
            sweep = max(tracker.get_remaining_duration(), 1.5)
            pairs = [AnimationGroup(FadeOut(o), Indicate(a, color=self.lessons[2][1], scale_factor=1.3))
                     for o, a in zip(overlays, strip.arrows)] or \
                [Indicate(a, color=self.lessons[2][1], scale_factor=1.3) for a in strip.arrows]
            self.play(LaggedStart(*pairs, lag_ratio=0.6), run_time=sweep)

        picture, picture_frame = strip.pictures[-1], strip.frames[-1]
        with self.narrate("picture"):
            self.wait_until_bookmark("end")
            self.play(FadeIn(lessons.markers[3], scale=0.5), FadeIn(lessons.lines[3], shift=0.15 * RIGHT),
                      picture_frame.animate.set_color(self.lessons[3][1]), run_time=0.8)
            # the way there steps back; where it ends stands
            self.play_along(*fade_to(Group(*strip.pictures[:-1], *strip.frames[:-1], strip.arrows), 0.25),
                            least=1.0, most=2.5, leave=0.1)

        # --- the last shot: the finished picture, large, and where it came from
        everything_else = Group(title, steering, wires, strip.arrows, strip.step_labels, strip.source, lessons,
                                *strip.pictures[:-1], *strip.frames[:-1])
        recorded = words("every picture recorded, every number measured", size=style.LABEL_SIZE, color=style.MODEL)
        thanks = words("Thanks for watching", size=style.HEADING_SIZE, color=style.INK)
        with self.narrate("closing"):
            self.wait_until_bookmark("recorded")
            end_frame = Frame(PixelPicture(walk.frames[-1], height=self.big_height * 0.8).move_to(0.55 * UP))
            self.play_along(FadeOut(everything_else),
                            picture.animate.set(height=end_frame.height - 0.08).move_to(end_frame),
                            picture_frame.animate.become(end_frame.set_color(style.SIGNAL)), least=1.2, most=2.0)
            recorded.next_to(picture_frame, DOWN, buff=0.4)
            self.wait_until_bookmark("every")
            # the real run, once more: the recorded walk from its noise to this picture
            position.set_value(0.0)
            picture.add_updater(lambda m: m.show(film.frame_at(position.get_value())))
            self.play(FadeIn(recorded, shift=0.15 * UP), run_time=0.5)
            self.play_along(position.animate.set_value(film.last), rate_func=linear, least=1.5, most=4.5, leave=0.2)
            picture.clear_updaters()
            self.wait_until_bookmark("thanks")
            thanks.move_to(recorded)
            self.play(FadeOut(recorded, shift=0.15 * UP), FadeIn(thanks, shift=0.15 * UP), run_time=0.8)

    # --- what the chapter reads

    def walk_from(self, capture: Capture) -> Walk:
        """The walk capture's pictures: the seed's noise first, then the picture after each step, the last one
        the finished picture (each shown at the step it was taken from, 0 for the end)."""
        arrays = capture.arrays
        steps = np.append(np.asarray(arrays["timesteps"], dtype=np.int64), 0)
        return Walk(frames=arrays["trajectory_pictures"], steps=steps, prompt=str(capture.facts["prompt"].value),
                    source=f"the model's own walk, from the noise of seed {capture.spec['seed']}")

    # --- pieces of the chapter

    def walk_strip(self, walk: Walk) -> Group:
        """Pictures from noise (left) to the finished picture (right), a step arrow between each two,
        the step under each picture and, below, where the frames come from."""
        film = Reel(walk.frames, walk.steps)
        positions = np.linspace(0, film.last, self.strip_length).round().astype(int)
        pictures = [PixelPicture(walk.frames[p], height=self.strip_height) for p in positions]
        Group(*pictures).arrange(RIGHT, buff=self.arrow_room).move_to(self.strip_center)
        frames = VGroup(*(Frame(p) for p in pictures))
        arrows = VGroup(*(Arrow(a.get_right(), b.get_left(), buff=0.12, color=style.MUTED, stroke_width=4,
                                max_tip_length_to_length_ratio=0.35)
                          for a, b in zip(frames, frames[1:])))
        step_labels = VGroup(*(words(f"step {int(walk.steps[p])}", size=style.SMALL_SIZE, color=style.MUTED)
                               .next_to(f, DOWN, buff=0.18) for p, f in zip(positions, frames)))
        source = words(walk.source, size=style.SMALL_SIZE, color=style.MUTED).next_to(step_labels, DOWN, buff=0.22)
        strip = Group(*pictures, frames, arrows, step_labels, source)
        strip.pictures, strip.frames, strip.arrows = pictures, frames, arrows
        strip.step_labels, strip.source = step_labels, source
        return strip

    def prompt_wires(self, prompt, strip: Group) -> VGroup:
        """From under the prompt, along a line just above the pictures, then down through each gap to its arrow."""
        start = prompt.get_bottom() + 0.1 * DOWN
        rail = strip.frames.get_top()[1] + 0.16
        wires = VGroup()
        for arrow in strip.arrows:
            wire = VMobject(color=style.MODEL, stroke_width=1.5, stroke_opacity=0.7)
            wire.set_points_as_corners([start, np.array([start[0], rail, 0.0]),
                                        np.array([arrow.get_x(), rail, 0.0]), arrow.get_top() + 0.08 * UP])
            wires.add(wire)
        return wires

    def lesson_list(self) -> VGroup:
        """The four lines, left-aligned under the strip on evenly spaced baselines, each after a dot in its part's colour."""
        set_lines = [words_on_baseline(text, size=style.BODY_SIZE) for text, _ in self.lessons]
        lines = VGroup(*(line for line, _ in set_lines))
        # A dot sits at the middle of the small letters, whatever the line's capitals or descenders.
        middle_of_x = words("x", size=style.BODY_SIZE).height / 2
        markers = VGroup()
        for index, ((line, drop), (_, color)) in enumerate(zip(set_lines, self.lessons)):
            baseline = self.lesson_top - index * self.lesson_spacing
            line.align_to(np.array([0.0, 0.0, 0.0]), LEFT)
            line.shift((baseline - drop - line.get_bottom()[1]) * UP)
            markers.add(Dot(radius=0.09, color=color).move_to(
                np.array([line.get_left()[0] - 0.35, baseline + middle_of_x, 0.0])))
        lessons = VGroup(markers, lines)
        lessons.set_x(0)
        lessons.markers, lessons.lines = markers, lines
        return lessons

    def seeds_row(self, strip: Group) -> Group | None:
        """The seeds capture's starting noises, one per place of the strip (as many as it has), each with its seed
        under it and, as ``finals``, the picture it ended in laid over it; above them, the prompt they shared.
        None where the capture holds no seeds."""
        capture = self.read_capture("seeds")
        noises, finals, numbers = (capture.arrays[name] for name in ("start_noise_pictures", "finals", "seeds"))
        count = min(len(strip.pictures), len(noises), len(finals), len(numbers))
        if count < 1:
            return None
        pictures = [PixelPicture(noises[i], height=self.strip_height) for i in range(count)]
        Group(*pictures).arrange(RIGHT, buff=self.arrow_room).move_to(self.strip_center)
        frames = VGroup(*(noisy_frame(p) for p in pictures))
        labels = VGroup(*(words(f"seed {int(numbers[i])}", size=style.SMALL_SIZE, color=style.SEED)
                          .next_to(frames[i], DOWN, buff=0.18) for i in range(count)))
        prompt = words(f"\u201c{capture.facts['prompt'].value}\u201d, {count} seeds" if count > 1 else
                       f"\u201c{capture.facts['prompt'].value}\u201d", size=style.PROMPT_SIZE, color=style.PROMPT)
        prompt.next_to(frames, UP, buff=0.45)
        row = Group(*pictures, frames, labels, prompt)
        row.pictures, row.frames, row.labels, row.prompt = pictures, frames, labels, prompt
        row.finals = [PixelPicture(finals[i], height=self.strip_height).move_to(pictures[i]) for i in range(count)]
        return row

    def restore_strip(self, strip: Group, later: Group, seeds_shown: bool) -> list:
        """Animations that bring the whole walk strip back after the first lesson dimmed it (and, where the seeds
        were shown, took it away)."""
        if seeds_shown:
            for part in later.get_family():  # back to full strength before it fades in again
                if isinstance(part, PixelPicture):
                    part.set_opacity(1.0)
                elif isinstance(part, VMobject) and part.has_points():
                    part.set_stroke(opacity=1.0)
            return [FadeIn(Group(strip.pictures[0], strip.frames[0], later)), FadeIn(strip.step_labels),
                    FadeIn(strip.source)]
        return [*fade_to(later, 1.0), FadeIn(strip.step_labels[1:])]

    def prompt_numbers(self, prompt) -> Group | None:
        """The prompt as the list of numbers it becomes (the walk's pooled vector, in the film's value colours),
        laid out as a band of a few rows where the prompt's words stood; None where the capture has none."""
        pooled = self.capture.arrays.get("pooled")
        if pooled is None or np.asarray(pooled).size == 0:
            return None
        values = np.asarray(pooled, dtype=np.float64).ravel()
        rows = next((r for r in (4, 3, 2, 6, 8, 5, 7) if values.size % r == 0 and values.size // r >= r), 1)
        band = ValueStrip(values, value_limit(values), width=min(9.0, config.frame_width - 2.0), height=0.11 * rows,
                          fold=values.size // rows)
        band.move_to(prompt).shift(0.1 * UP)
        return Group(band, Frame(band, buff=0.03))
