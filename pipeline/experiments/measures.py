"""The film's measures of pictures and vectors: distances, sharpness, layout, interpolation and the 2-D map, in numpy.

Pictures are uint8 (..., H, W, 3) or floats in [0, 1]; every picture measure works in
brightness from 0 (black) to 1 (white) and reports percent of full brightness, a unit a
narrator can say.
"""

from __future__ import annotations

import numpy as np

from pipeline.maps import brightness, fit_plane, picture_distance, project  # noqa: F401  (the film's measures, with the map's)

LAYOUT_BLOCKS = 8  # the layout is the picture seen as 8 x 8 blocks: where things are and their colours


def sharpness(pictures: np.ndarray) -> np.ndarray:
    """Mean brightness step between neighbouring pixels (across and down, all channels), in percent.

    A crisp picture has strong edges and scores high; a blur of many pictures scores low.
    """
    x = brightness(pictures)
    across = np.abs(np.diff(x, axis=-2)).mean(axis=(-3, -2, -1))
    down = np.abs(np.diff(x, axis=-3)).mean(axis=(-3, -2, -1))
    return 100.0 * (across + down) / 2.0


def colourfulness(pictures: np.ndarray) -> np.ndarray:
    """Mean saturation (max channel minus min channel), in percent of full brightness."""
    x = brightness(pictures)
    return 100.0 * (x.max(axis=-1) - x.min(axis=-1)).mean(axis=(-2, -1))


def layout(pictures: np.ndarray, blocks: int = LAYOUT_BLOCKS) -> np.ndarray:
    """The picture reduced to blocks x blocks mean colours (..., blocks, blocks, 3): its layout, not its detail."""
    x = brightness(pictures)
    h, w = x.shape[-3], x.shape[-2]
    if h % blocks or w % blocks:
        raise ValueError(f"a {h}x{w} picture does not split into {blocks}x{blocks} blocks")
    lead = x.shape[:-3]
    x = x.reshape(*lead, blocks, h // blocks, blocks, w // blocks, 3)
    return x.mean(axis=(-4, -2))


def pairwise_mean_distance(pictures: np.ndarray) -> float:
    """Mean picture_distance over all pairs of different pictures: how far apart a set lies."""
    n = len(pictures)
    flat = brightness(pictures).reshape(n, -1)
    squared = ((flat[:, None, :] - flat[None, :, :]) ** 2).mean(axis=-1)
    upper = np.triu_indices(n, k=1)
    return float(np.mean(100.0 * np.sqrt(squared[upper])))


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return (1.0 - t) * a + t * b


def slerp(a: np.ndarray, b: np.ndarray, t: float, axis: int = -1) -> np.ndarray:
    """Spherical interpolation along ``axis``: walks the arc between a and b, with their lengths interpolated.

    Rows where either end is zero (padding) fall back to a straight line, as no arc is defined.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm_a = np.linalg.norm(a, axis=axis, keepdims=True)
    norm_b = np.linalg.norm(b, axis=axis, keepdims=True)
    safe_a, safe_b = np.where(norm_a > 0, norm_a, 1.0), np.where(norm_b > 0, norm_b, 1.0)
    cos = np.clip(np.sum((a / safe_a) * (b / safe_b), axis=axis, keepdims=True), -1.0, 1.0)
    theta = np.arccos(cos)
    sin = np.sin(theta)
    arc = (sin > 1e-6) & (norm_a > 0) & (norm_b > 0)
    safe_sin = np.where(arc, sin, 1.0)
    unit = (np.sin((1 - t) * theta) * (a / safe_a) + np.sin(t * theta) * (b / safe_b)) / safe_sin
    spherical = unit * lerp(norm_a, norm_b, t)
    return np.where(arc, spherical, lerp(a, b, t))


def angle_degrees(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def off_path(a: np.ndarray, b: np.ndarray, point: np.ndarray) -> tuple[float, float]:
    """Where ``point`` lies against the straight path from a to b.

    Returns (distance from the path's line, as a share of the path's length; position of its
    projection along the path: 0 at a, 1 at b, outside [0, 1] beyond the ends).
    """
    a, b, p = (np.ravel(v).astype(np.float64) for v in (a, b, point))
    path = b - a
    length_sq = float(path @ path)
    along = float((p - a) @ path) / length_sq
    closest = a + along * path
    return float(np.linalg.norm(p - closest) / np.sqrt(length_sq)), along
