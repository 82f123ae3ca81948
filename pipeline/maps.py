"""The 2-D maps of pictures and prompt vectors: fitting a plane, and placing points on it, in numpy only.

The pipeline fits the maps (``pipeline/experiments/map.py``) and the scenes place the very
pictures they show on them, with the same formula from this one module: a picture p (uint8,
H x W x 3) lies at (p / 255 flattened - mean) @ basis.T, a pooled vector v at
(v - mean) @ basis.T. numpy only, so a scene may import it (scenes never import torch).
"""

from __future__ import annotations

import numpy as np


def brightness(pictures: np.ndarray) -> np.ndarray:
    """uint8 pictures to float64 brightness in [0, 1]; floats pass through."""
    pictures = np.asarray(pictures)
    if pictures.dtype == np.uint8:
        return pictures.astype(np.float64) / 255.0
    return pictures.astype(np.float64)


def picture_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square brightness difference over pixels and channels, in percent of full brightness: the film's
    distance between pictures (here, so that a scene measures a picture it shows as the capture measured it)."""
    diff = brightness(a) - brightness(b)
    return 100.0 * np.sqrt(np.mean(diff**2, axis=(-3, -2, -1)))


def fit_plane(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 2-D PCA: (mean (D,), basis (2, D) with orthonormal rows, share of the variance each row explains (2,)).

    The sign of each row is fixed (its largest entry is positive) so a refit gives the same map.
    """
    x = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    mean = x.mean(axis=0)
    centred = x - mean
    # the top axes from the small points x points Gram matrix: the same as an SVD, several times faster
    # for a thousand pictures of three thousand numbers each
    eigenvalues, eigenvectors = np.linalg.eigh(centred @ centred.T)
    top = np.argsort(eigenvalues)[::-1][:2]
    basis = (eigenvectors[:, top].T @ centred) / np.sqrt(eigenvalues[top])[:, None]
    signs = np.sign(basis[np.arange(2), np.abs(basis).argmax(axis=1)])
    basis = basis * signs[:, None]
    share = eigenvalues[top] / np.sum(np.clip(eigenvalues, 0, None))
    return mean, basis, share


def project(points: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Points (..., D) or pictures flattened to D, placed on a fitted plane: (..., 2)."""
    d = basis.shape[1]
    x = np.asarray(points, dtype=np.float64)
    lead = x.shape[: x.ndim - _trailing_dims(x.shape, d)]
    return ((x.reshape(*lead, d) - mean) @ basis.T)


def _trailing_dims(shape: tuple, size: int) -> int:
    """How many trailing axes of ``shape`` multiply to ``size`` (a picture's H, W, 3 or a vector's D)."""
    product = 1
    for count, axis in enumerate(reversed(shape), start=1):
        product *= axis
        if product == size:
            return count
    raise ValueError(f"no trailing axes of {shape} hold {size} numbers")


def place_pictures(pictures: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Pictures (..., H, W, 3), uint8 or brightness floats, placed on a picture map: (..., 2)."""
    return project(brightness(pictures), np.asarray(mean, dtype=np.float64), np.asarray(basis, dtype=np.float64))
