"""Tests of cnn_helpers.models and a smoke run of cnn_helpers.bench."""

import json

import numpy as np
import pytest

from cnn_helpers import bench
from cnn_helpers.data import DataSplit, load_digits
from cnn_helpers.models import digits_cnn, train_digits_cnn
from cnn_helpers.nn import Sequential


def test_digits_cnn_shapes_and_seeded_weights():
    model = digits_cnn(seed=0)
    assert isinstance(model, Sequential)
    x = np.zeros((5, 1, 8, 8), dtype=np.float32)
    out = model.eval()(x)
    assert out.shape == (5, 10) and out.dtype == np.float32
    same, other = digits_cnn(seed=0).state_dict(), digits_cnn(seed=1).state_dict()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, same[key])
    assert not np.array_equal(model.state_dict()["0.weight"], other["0.weight"])


def test_train_digits_cnn_runs_and_learns_something():
    full = load_digits()
    small = DataSplit(full.X_train[:300], full.y_train[:300], full.X_test, full.y_test)
    model, history, scores = train_digits_cnn(seed=0, epochs=3, data=small)
    assert history.epochs == 3 and set(scores) == {"loss", "accuracy", "seconds"}
    assert scores["accuracy"] > 0.25  # ten classes: chance is 0.1


def test_bench_quick_smoke(tmp_path, capsys):
    path = tmp_path / "bench.json"
    report = bench.main(["--quick", "--no-torch", "--json", str(path)])
    saved = json.loads(path.read_text())
    assert saved["digits"]["test_accuracy"] == report["digits"]["test_accuracy"]
    assert len(saved["digits"]["train_seconds"]) == 1
    assert len(saved["conv2d"]) == 3
    first = saved["conv2d"][0]
    assert set(first["forward_ms"]) == {"loops", "cnn_helpers"}
    assert first["forward_ratios"]["loops/cnn_helpers"] > 0
    for name, total in first["total_ms"].items():
        assert total == pytest.approx(first["forward_ms"][name] + first["backward_ms"][name])
    printed = capsys.readouterr().out
    assert "conv2d, float32" in printed and "digits CNN" in printed


def test_bench_rejects_unknown_parts():
    with pytest.raises(SystemExit):
        bench.main(["--parts", "gpu"])
