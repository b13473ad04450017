"""N-d multilinear interpolation (`iactpipe.reco.interpolation`): exactness, error bound, edges."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe.errors import ConfigurationError
from iactpipe.reco.interpolation import GridInterpolator


@st.composite
def grids(draw, max_dims=5, max_nodes=5):
    ndim = draw(st.integers(1, max_dims))
    axes = []
    for _ in range(ndim):
        n = draw(st.integers(2, max_nodes))
        steps = draw(st.lists(st.floats(0.1, 3.0), min_size=n - 1, max_size=n - 1))
        start = draw(st.floats(-5.0, 5.0))
        axes.append(start + np.concatenate([[0.0], np.cumsum(steps)]))
    return axes


def _multilinear(axes, coeffs):
    """f(x) = sum_k prod_d (a_kd + b_kd x_d): linear in each coordinate separately."""
    def f(points):
        points = np.atleast_2d(points)
        total = np.zeros(points.shape[0])
        for a, b in coeffs:
            total += np.prod(a[None, :] + b[None, :] * points, axis=1)
        return total
    return f


@settings(max_examples=60, deadline=None)
@given(grids(), st.integers(0, 2**32 - 1))
def test_exact_on_multilinear_functions(axes, seed):
    rng = np.random.default_rng(seed)
    ndim = len(axes)
    coeffs = [(rng.normal(size=ndim), rng.normal(size=ndim)) for _ in range(3)]
    f = _multilinear(axes, coeffs)
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, ndim)
    values = f(mesh).reshape([a.size for a in axes])
    interp = GridInterpolator(axes, values)
    points = np.column_stack([rng.uniform(a[0], a[-1], 50) for a in axes])
    expected = f(points)
    np.testing.assert_allclose(interp(points), expected, rtol=1e-10, atol=1e-10 * (1 + np.abs(expected).max()))
    # at the nodes themselves
    np.testing.assert_allclose(interp(mesh[:20]), f(mesh[:20]), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(3, 12), st.floats(0.2, 3.0), st.integers(0, 2**32 - 1))
def test_error_bound_on_smooth_function(ndim, n_nodes, frequency, seed):
    """|error| <= sum_d h_d^2 max|d2f/dx_d^2| / 8 for f = prod_d sin(k x_d + phase_d)."""
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, ndim)
    axes = [np.linspace(0.0, 2.0, n_nodes) for _ in range(ndim)]
    h = 2.0 / (n_nodes - 1)

    def f(points):
        return np.prod(np.sin(frequency * points + phases[None, :]), axis=1)

    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, ndim)
    interp = GridInterpolator(axes, f(mesh).reshape([n_nodes] * ndim))
    points = rng.uniform(0.0, 2.0, (200, ndim))
    error = np.abs(interp(points) - f(points))
    bound = ndim * h**2 * frequency**2 / 8.0  # |d2f/dx_d^2| <= k^2
    assert error.max() <= bound * (1 + 1e-9) + 1e-12


def test_constant_extrapolation_and_single_node_axis():
    interp = GridInterpolator([[0.0, 1.0], [5.0]], np.array([[1.0], [3.0]]))
    np.testing.assert_allclose(interp([[-1.0, 5.0], [0.5, 7.0], [2.0, 0.0]]), [1.0, 2.0, 3.0])


def test_float32_table_and_shape_checks():
    interp = GridInterpolator([[0, 1], [0, 1]], np.array([[0, 1], [2, 3]], np.float32))
    assert interp([0.5, 0.5])[0] == pytest.approx(1.5)
    with pytest.raises(ConfigurationError):
        GridInterpolator([[0, 0], [0, 1]], np.zeros((2, 2)))
    with pytest.raises(ConfigurationError):
        GridInterpolator([[0, 1], [0, 1, 2]], np.zeros((2, 2)))
    with pytest.raises(ValueError):
        interp([[0.5, 0.5, 0.5]])
