"""The toy world: a seeded generator of small captioned pictures that the embedded model learns to draw."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

SIZE = 32  # the picture's side in pixels; the model works at this resolution
_SS = 4  # draw at 4x and shrink, so shapes keep smooth edges at 32 pixels
_CANVAS = SIZE * _SS

OBJECTS = ("butterfly", "snail", "fish", "flower", "house", "tree", "sun", "boat")
COLOURS = {
    "red": (222, 40, 40),
    "orange": (246, 140, 28),
    "yellow": (250, 222, 40),
    "green": (64, 204, 84),
    "blue": (40, 88, 226),
    "purple": (146, 60, 206),
    "pink": (246, 126, 188),
    "white": (246, 246, 246),
}
BACKGROUNDS = ("day", "night", "grass", "sea")
SIZES = {"small": (14.0, 17.0), "big": (22.0, 26.0)}  # side of the object's box, pixels
POSITIONS = ("left", "middle", "right")

# How often a caption names an attribute; an unnamed attribute is still drawn, at random,
# so the model learns what the prompt leaves free.
_MENTION = {"colour": 0.85, "background": 0.8, "size": 0.4, "position": 0.3}
_TWO_OBJECT_SHARE = 0.25

_OUTLINE = (24, 24, 34)
_WORDS_SIZE = {"small": ("small", "little", "tiny"), "big": ("big", "large")}
_WORDS_POSITION = {
    "left": ("on the left", "at the left"),
    "middle": ("in the middle", "in the centre"),
    "right": ("on the right", "at the right"),
}
_WORDS_BACKGROUND = {
    "day": ("in the day", "under a blue sky", "by day"),
    "night": ("at night", "under a night sky", "in the night"),
    "grass": ("on grass", "on the grass", "in a green field"),
    "sea": ("at sea", "on the sea", "over the sea"),
}


@dataclass(frozen=True)
class ToyObject:
    """One drawn thing: what it is, its colour, size, and where its centre lies (pixels)."""

    kind: str
    colour: str
    size: str
    position: str
    side: float
    centre: tuple[float, float]


@dataclass(frozen=True)
class Scene:
    """A picture's full description, the caption that names part of it, and which parts it names."""

    objects: tuple[ToyObject, ...]
    background: str
    caption: str
    mentioned: frozenset = field(default_factory=frozenset)  # {"colour", "background", ...}
    star_seed: int = 0

    @property
    def object_kinds(self) -> tuple[str, ...]:
        return tuple(o.kind for o in self.objects)


# ----------------------------------------------------------------------------- sampling


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _noun_phrase(rng: np.random.Generator, obj: ToyObject, say: dict) -> str:
    words = []
    if say["size"]:
        words.append(choose(rng, _WORDS_SIZE[obj.size]))
    if say["colour"] and rng.random() < 0.2 and not words:
        # "a fish in red": the colour after the noun, a word-order variant
        return f"{_article(obj.kind)} {obj.kind} in {obj.colour}"
    if say["colour"]:
        words.append(obj.colour)
    words.append(obj.kind)
    return f"{_article(words[0])} {' '.join(words)}"


def choose(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _place(rng: np.random.Generator, side: float, position: str) -> tuple[float, float]:
    half = side / 2
    lo, hi = half + 0.5, SIZE - half - 0.5
    mid = SIZE / 2
    span = {"left": (lo, mid - 3), "middle": (mid - 2, mid + 2), "right": (mid + 3, hi)}[position]
    a, b = min(span), max(span)
    x = float(np.clip(rng.uniform(a, b), lo, hi))
    y = float(np.clip(mid + rng.uniform(-3.5, 3.5), lo, hi))
    return (x, y)


def _random_object(rng: np.random.Generator, kind: str | None = None, size: str | None = None,
                   position: str | None = None, colour: str | None = None) -> ToyObject:
    kind = kind or choose(rng, OBJECTS)
    colour = colour or choose(rng, tuple(COLOURS))
    size = size or choose(rng, tuple(SIZES))
    position = position or choose(rng, POSITIONS)
    side = float(rng.uniform(*SIZES[size]))
    return ToyObject(kind, colour, size, position, side, _place(rng, side, position))


def sample_scene(seed: int) -> Scene:
    """The scene for one seed: same seed, same scene, caption and picture, bit for bit."""
    rng = np.random.default_rng([seed, 20261126])
    background = choose(rng, BACKGROUNDS)
    say = {k: bool(rng.random() < p) for k, p in _MENTION.items()}
    star_seed = int(rng.integers(2**31))
    if rng.random() < _TWO_OBJECT_SHARE:
        return scene_of_two(rng, background, say, star_seed)
    obj = _random_object(rng)
    phrase = _noun_phrase(rng, obj, say)
    if say["position"]:
        phrase += " " + choose(rng, _WORDS_POSITION[obj.position])
    caption = _with_background(rng, phrase, background, say["background"])
    mentioned = frozenset(["object"] + [k for k, v in say.items() if v])
    return Scene((obj,), background, caption, mentioned, star_seed)


def scene_of_two(rng, background, say, star_seed) -> Scene:
    first, second = rng.choice(len(OBJECTS), size=2, replace=False)
    side_a, side_b = rng.uniform(13.0, 16.0, size=2)
    # the caption does not say which is on the left, so the model is free to choose
    left_first = bool(rng.random() < 0.5)
    kinds = (OBJECTS[first], OBJECTS[second])
    objects = []
    for kind, side, pos in zip(kinds, (side_a, side_b), ("left", "right") if left_first else ("right", "left")):
        colour = choose(rng, tuple(COLOURS))
        cx = side / 2 + 0.5 + rng.uniform(0, 1.5) if pos == "left" else SIZE - side / 2 - 0.5 - rng.uniform(0, 1.5)
        cy = SIZE / 2 + rng.uniform(-4.0, 4.0)
        objects.append(ToyObject(kind, colour, "small", pos, float(side), (float(cx), float(cy))))
    say = dict(say, size=False, position=False)
    joiner = " and " if rng.random() < 0.8 else " beside "
    phrase = joiner.join(_noun_phrase(rng, o, say) for o in objects)
    caption = _with_background(rng, phrase, background, say["background"])
    mentioned = frozenset(["object"] + [k for k, v in say.items() if v])
    return Scene(tuple(objects), background, caption, mentioned, star_seed)


def _with_background(rng, phrase: str, background: str, say_it: bool) -> str:
    if not say_it:
        return phrase
    words = choose(rng, _WORDS_BACKGROUND[background])
    if rng.random() < 0.3:
        return f"{words}, {phrase}"  # word order varies: the setting first
    return f"{phrase} {words}"


# ----------------------------------------------------------------------------- drawing


def _gradient(top, bottom, rows: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, rows)[:, None]
    return (np.array(top)[None, :] * (1 - t) + np.array(bottom)[None, :] * t)


def _background(scene: Scene) -> Image.Image:
    rows = np.zeros((_CANVAS, 3))
    horizon = int(_CANVAS * 0.42)
    if scene.background == "day":
        rows[:] = _gradient((104, 166, 232), (176, 214, 246), _CANVAS)
    elif scene.background == "night":
        rows[:] = _gradient((10, 14, 40), (34, 40, 84), _CANVAS)
    else:
        rows[:horizon] = _gradient((120, 176, 234), (180, 216, 246), horizon)
        ground = ((58, 124, 40), (36, 88, 28)) if scene.background == "grass" else ((24, 82, 150), (12, 50, 108))
        rows[horizon:] = _gradient(*ground, _CANVAS - horizon)
    pixels = np.repeat(rows[:, None, :], _CANVAS, axis=1).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(scene.star_seed)
    if scene.background == "night":
        for _ in range(9):
            x, y = rng.uniform(0, _CANVAS, size=2)
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(236, 236, 200))
    elif scene.background == "sea":
        for _ in range(7):
            x, y = rng.uniform(0, _CANVAS), rng.uniform(horizon + 6, _CANVAS - 4)
            draw.arc([x - 10, y - 4, x + 10, y + 4], 200, 340, fill=(90, 150, 214), width=3)
    elif scene.background == "grass":
        for _ in range(14):
            x, y = rng.uniform(0, _CANVAS), rng.uniform(horizon + 6, _CANVAS)
            draw.line([x, y, x + rng.uniform(-3, 3), y - 9], fill=(92, 164, 60), width=3)
    return image


class _Pen:
    """Draws in the object's own unit box (-0.5..0.5), placed and scaled onto the canvas."""

    def __init__(self, draw: ImageDraw.ImageDraw, obj: ToyObject):
        self.draw = draw
        self.cx, self.cy = obj.centre[0] * _SS, obj.centre[1] * _SS
        self.s = obj.side * _SS
        self.fill = COLOURS[obj.colour]
        self.width = 3

    def p(self, x, y):
        return (self.cx + x * self.s, self.cy + y * self.s)

    def ellipse(self, x, y, rx, ry, fill, outline=_OUTLINE):
        (x0, y0), (x1, y1) = self.p(x - rx, y - ry), self.p(x + rx, y + ry)
        self.draw.ellipse([x0, y0, x1, y1], fill=fill, outline=outline, width=self.width)

    def polygon(self, points, fill, outline=_OUTLINE):
        self.draw.polygon([self.p(*q) for q in points], fill=fill, outline=outline, width=self.width)

    def line(self, points, fill=_OUTLINE, width=None):
        self.draw.line([self.p(*q) for q in points], fill=fill, width=width or self.width)

    def rect(self, x0, y0, x1, y1, fill, outline=_OUTLINE):
        self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], fill, outline)


def _shade(colour, factor):
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)


def _butterfly(pen: _Pen):
    pen.line([(-0.02, -0.28), (-0.16, -0.48)], width=3)
    pen.line([(0.02, -0.28), (0.16, -0.48)], width=3)
    for side in (-1, 1):
        pen.ellipse(side * 0.23, -0.14, 0.24, 0.21, pen.fill)
        pen.ellipse(side * 0.17, 0.2, 0.16, 0.15, pen.fill)
        pen.ellipse(side * 0.26, -0.16, 0.07, 0.06, _shade(pen.fill, 0.55), outline=None)
    pen.ellipse(0, 0.0, 0.05, 0.33, _OUTLINE)


def _snail(pen: _Pen):
    body = (214, 180, 128)
    pen.polygon([(-0.5, 0.36), (0.46, 0.36), (0.4, 0.2), (-0.3, 0.2), (-0.38, 0.02), (-0.48, 0.06)], body)
    pen.line([(-0.42, 0.04), (-0.48, -0.2)], width=3)
    pen.line([(-0.38, 0.04), (-0.34, -0.2)], width=3)
    pen.ellipse(0.08, -0.04, 0.32, 0.3, pen.fill)
    for r in (0.21, 0.12, 0.05):  # the shell's spiral, drawn as nested rings
        pen.ellipse(0.1 + (0.21 - r) * 0.3, -0.04, r, r * 0.95, None)


def _fish(pen: _Pen):
    pen.polygon([(0.22, 0.0), (0.5, -0.26), (0.5, 0.26)], _shade(pen.fill, 0.8))
    pen.ellipse(-0.06, 0.0, 0.36, 0.24, pen.fill)
    pen.polygon([(-0.12, -0.2), (0.08, -0.36), (0.12, -0.18)], _shade(pen.fill, 0.8))
    pen.ellipse(-0.24, -0.05, 0.07, 0.07, (250, 250, 250))
    pen.ellipse(-0.25, -0.05, 0.03, 0.03, _OUTLINE, outline=None)


def _flower(pen: _Pen):
    stem = (40, 120, 40)
    pen.line([(0.0, 0.05), (0.0, 0.5)], fill=stem, width=6)
    pen.ellipse(0.12, 0.3, 0.1, 0.05, stem)
    for k in range(6):
        a = k * np.pi / 3
        pen.ellipse(0.2 * np.cos(a), -0.14 + 0.2 * np.sin(a), 0.13, 0.13, pen.fill)
    heart = (250, 200, 40) if pen.fill != COLOURS["yellow"] else (230, 120, 30)
    pen.ellipse(0.0, -0.14, 0.1, 0.1, heart)


def _house(pen: _Pen):
    pen.rect(-0.36, -0.04, 0.36, 0.46, pen.fill)
    pen.polygon([(-0.48, -0.02), (0.48, -0.02), (0.0, -0.46)], _shade(pen.fill, 0.6))
    pen.rect(-0.08, 0.18, 0.1, 0.46, (96, 60, 34))
    pen.rect(-0.28, 0.06, -0.14, 0.2, (250, 236, 150))
    pen.rect(0.16, 0.06, 0.3, 0.2, (250, 236, 150))


def _tree(pen: _Pen):
    pen.rect(-0.08, 0.08, 0.08, 0.5, (110, 70, 36))
    pen.ellipse(-0.16, -0.06, 0.22, 0.2, pen.fill)
    pen.ellipse(0.16, -0.06, 0.22, 0.2, pen.fill)
    pen.ellipse(0.0, -0.24, 0.26, 0.24, pen.fill)


def _sun(pen: _Pen):
    for k in range(8):
        a = k * np.pi / 4
        pen.line([(0.3 * np.cos(a), 0.3 * np.sin(a)), (0.48 * np.cos(a), 0.48 * np.sin(a))], fill=pen.fill, width=7)
    pen.ellipse(0.0, 0.0, 0.27, 0.27, pen.fill)


def _boat(pen: _Pen):
    pen.line([(0.0, -0.48), (0.0, 0.16)], width=4)
    sail = (250, 246, 226) if pen.fill != COLOURS["white"] else (250, 210, 120)
    pen.polygon([(0.04, -0.44), (0.04, 0.1), (0.38, 0.1)], sail)
    pen.polygon([(-0.04, -0.34), (-0.04, 0.1), (-0.3, 0.1)], sail)
    pen.polygon([(-0.5, 0.16), (0.5, 0.16), (0.34, 0.4), (-0.34, 0.4)], pen.fill)


_DRAW = {
    "butterfly": _butterfly, "snail": _snail, "fish": _fish, "flower": _flower,
    "house": _house, "tree": _tree, "sun": _sun, "boat": _boat,
}


def render(scene: Scene) -> np.ndarray:
    """The scene's picture: (SIZE, SIZE, 3) uint8, the same bytes for the same scene."""
    image = _background(scene)
    draw = ImageDraw.Draw(image)
    for obj in scene.objects:
        _DRAW[obj.kind](_Pen(draw, obj))
    return np.asarray(image.resize((SIZE, SIZE), Image.Resampling.BOX), dtype=np.uint8).copy()


def to_model_space(pictures: np.ndarray) -> np.ndarray:
    """uint8 pictures (..., H, W, 3) to the model's float range [-1, 1], channels first."""
    x = pictures.astype(np.float32) / 127.5 - 1.0
    return np.moveaxis(x, -1, -3)


def to_pictures(x: np.ndarray) -> np.ndarray:
    """The model's (..., 3, H, W) floats back to uint8 pictures (..., H, W, 3), clipped."""
    x = np.moveaxis(np.asarray(x, dtype=np.float32), -3, -1)
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def scene_from(kinds, colours=None, background="day", seed: int = 0, size: str | None = None) -> Scene:
    """A scene put together by hand (for the film's fixed examples and the judge's tests)."""
    rng = np.random.default_rng([seed, 7])
    kinds = tuple(kinds)
    colours = tuple(colours) if colours else tuple(choose(rng, tuple(COLOURS)) for _ in kinds)
    if len(kinds) == 1:
        objects = (_random_object(rng, kinds[0], size=size, colour=colours[0]),)
    else:
        objects = tuple(
            ToyObject(k, c, "small", pos, 15.0, (8.5 if pos == "left" else 23.5, 16.0))
            for k, c, pos in zip(kinds, colours, ("left", "right"))
        )
    caption = " and ".join(f"{_article(c)} {c} {k}" for k, c in zip(kinds, colours))
    return Scene(objects, background, caption, frozenset({"object", "colour"}), int(rng.integers(2**31)))
