"""Unit and property tests of iactpipe.image.cleaning."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from iactpipe.image import (
    apply_time_delta_cleaning,
    dilate,
    number_of_islands,
    tailcuts_clean,
    time_constrained_clean,
)
from iactpipe.instrument.cameras import build_camera_geometry


def chain(n):
    """Neighbours of a 1-d chain of n pixels, CSR."""
    rows = []
    for i in range(n):
        rows.append([j for j in (i - 1, i + 1) if 0 <= j < n])
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int32)
    indices = np.array([j for r in rows for j in r], dtype=np.int32)
    return indptr, indices


@pytest.fixture(scope="module")
def lst():
    return build_camera_geometry("LSTCam")


def test_tailcuts_chain_cases():
    nb = chain(8)
    #                 0    1    2    3    4    5    6    7
    image = np.array([0., 10., 6.,  0., 12., 0.,  6.,  1.])
    mask = tailcuts_clean(image, nb, 8, 5)
    # 1 (picture, boundary neighbour 2) and 2 (boundary next to picture) survive;
    # 4 is an isolated picture pixel; 6 is a boundary pixel without picture neighbour
    np.testing.assert_array_equal(mask, [0, 1, 1, 0, 0, 0, 0, 0])
    mask = tailcuts_clean(image, nb, 8, 5, keep_isolated_pixels=True)
    np.testing.assert_array_equal(mask, [0, 1, 1, 0, 1, 0, 0, 0])
    # min. picture neighbours: pixel 1 has no picture neighbour -> not a picture pixel
    mask = tailcuts_clean(image, nb, 8, 5, min_number_picture_neighbors=1)
    assert not mask.any()
    image2 = np.array([0., 10., 9., 0., 0., 0., 0., 0.])
    np.testing.assert_array_equal(tailcuts_clean(image2, nb, 8, 5, min_number_picture_neighbors=1),
                                  [0, 1, 1, 0, 0, 0, 0, 0])


def test_tailcuts_threshold_in_image_dtype():
    nb = chain(2)
    image = np.array([6.1, 6.1], dtype=np.float32)
    # numpy compares a float32 image with a Python float in float32: 6.1 >= 6.1
    assert tailcuts_clean(image, nb, 6.1, 6.1).all()


def test_batch_matches_single(lst):
    rng = np.random.default_rng(3)
    images = rng.normal(3, 4, (20, lst.n_pixels))
    masks = tailcuts_clean(images, lst.neighbors, 8, 4)
    assert masks.shape == images.shape and masks.dtype == bool
    for i in range(len(images)):
        np.testing.assert_array_equal(tailcuts_clean(images[i], lst.neighbors, 8, 4), masks[i])
        np.testing.assert_array_equal(
            tailcuts_clean(images[i].astype(np.float32), lst.neighbors, 8, 4), masks[i])
    n, labels = number_of_islands(masks, lst.neighbors)
    assert n.shape == (20,) and labels.shape == masks.shape and labels.dtype == np.int32
    n0, labels0 = number_of_islands(masks[0], lst.neighbors)
    assert n0 == n[0]
    np.testing.assert_array_equal(labels0, labels[0])


def test_shape_errors(lst):
    with pytest.raises(ValueError):
        tailcuts_clean(np.zeros(10), lst.neighbors, 8, 4)
    with pytest.raises(ValueError):
        time_constrained_clean(np.zeros((2, lst.n_pixels)), np.zeros((3, lst.n_pixels)), lst.neighbors)


def test_empty_and_nan_images(lst):
    image = np.full(lst.n_pixels, np.nan)
    assert not tailcuts_clean(image, lst.neighbors, 8, 4).any()
    n, labels = number_of_islands(np.zeros(lst.n_pixels, bool), lst.neighbors)
    assert n == 0 and not labels.any()


def test_islands_chain():
    nb = chain(9)
    mask = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1], bool)
    n, labels = number_of_islands(mask, nb)
    assert n == 3
    np.testing.assert_array_equal(labels, [1, 1, 0, 2, 0, 0, 3, 3, 3])
    np.testing.assert_array_equal(dilate(mask, nb), [1, 1, 1, 1, 1, 1, 1, 1, 1])


def test_time_delta_chain():
    nb = chain(4)
    mask = np.array([1, 1, 1, 0], bool)
    times = np.array([0.0, 1.0, 10.0, 10.0])
    np.testing.assert_array_equal(apply_time_delta_cleaning(mask, times, nb, 1, 2.0), [1, 1, 0, 0])


@settings(max_examples=50, deadline=None)
@given(
    image=arrays(np.float64, 60, elements=st.floats(-5, 20, allow_nan=False)),
    thresholds=st.tuples(st.floats(0, 15), st.floats(0, 15)).map(sorted),
    keep=st.booleans(),
    min_nb=st.integers(0, 2),
)
def test_tailcuts_properties(image, thresholds, keep, min_nb):
    boundary, picture = thresholds
    nb = chain(60)
    mask = tailcuts_clean(image, nb, picture, boundary, keep_isolated_pixels=keep,
                          min_number_picture_neighbors=min_nb)
    # only pixels above the boundary threshold survive
    assert not (mask & (image < boundary)).any()
    # without isolated pixels every survivor has a surviving neighbour
    if not keep:
        n, labels = number_of_islands(mask, nb)
        sizes = np.bincount(labels, minlength=n + 1)[1:]
        assert (sizes >= 2).all()
    # islands: labels > 0 exactly on the mask, neighbours in the mask share the label
    n, labels = number_of_islands(mask, nb)
    np.testing.assert_array_equal(labels > 0, mask)
    indptr, indices = nb
    for i in np.flatnonzero(mask):
        for j in indices[indptr[i]:indptr[i + 1]]:
            if mask[j]:
                assert labels[j] == labels[i]
    assert set(np.unique(labels[mask])) == set(range(1, n + 1))
    dil = dilate(mask, nb)
    assert (dil | ~mask).all()
