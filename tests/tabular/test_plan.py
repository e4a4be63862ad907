import numpy as np
import pytest

from kerasnn.tabular.plan import bin_edges

pytestmark = pytest.mark.backend_neutral


def test_bin_edges_give_tied_columns_their_spare_bins():
    rng = np.random.default_rng(0)
    spread = rng.normal(size=1000)
    np.testing.assert_array_equal(
        bin_edges(spread, 8), np.quantile(spread, np.linspace(0, 1, 9)))
    # 92% zeros, as adult's capital-gain: plain quantiles keep 2 edges.
    gains = np.where(rng.random(1000) < 0.92, 0.0,
                     rng.integers(1, 100, size=1000) * 1000.0)
    assert len(np.unique(np.quantile(gains, np.linspace(0, 1, 9)))) <= 3
    edges = bin_edges(gains, 8)
    assert len(edges) >= 8
    assert np.all(np.isin(edges, gains))           # edges on real values
    assert edges[0] == 0.0 and edges[-1] == gains.max()
    assert np.all(np.diff(edges) > 0)
