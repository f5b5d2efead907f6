"""Tests of cnn_helpers.nn: gradients, modes, freezing, saving, containers, errors."""

import numpy as np
import pytest

from cnn_helpers.gradcheck import gradcheck
from cnn_helpers.nn import (
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool1d,
    MaxPool2d,
    Module,
    Parameter,
    ReLU,
    ResidualBlock,
    Sequential,
    kaiming_normal,
    manual_seed,
    torch_default_uniform,
)
from cnn_helpers.optim import SGD


def check_layer_gradients(layer, x, seed=0, before_forward=None):
    """Gradcheck a layer in float64 on its input and on every parameter.

    The scalar checked is ``sum(layer(x) * G)`` for a fixed random ``G``, whose
    gradient with respect to the output is ``G`` itself.
    """
    layer.double()
    x = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    prepare = before_forward or (lambda: None)

    prepare()
    out = layer(x)
    G = rng.standard_normal(out.shape)
    layer.zero_grad()
    grad_x = layer.backward(G)
    analytic = {name: p.grad.copy() for name, p in layer.named_parameters()}

    def f(_):
        prepare()
        return np.sum(layer(x) * G)

    assert grad_x.shape == x.shape
    gradcheck(f, x, grad_x)
    for name, p in layer.named_parameters():
        assert analytic[name].shape == p.shape, name
        gradcheck(f, p.data, analytic[name])


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


# --------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, padding=1),
    dict(kernel_size=(2, 3), stride=2, padding=(1, 0)),
    dict(kernel_size=3, dilation=2, padding=2, bias=False),
])
def test_conv2d_gradients(kwargs):
    layer = Conv2d(2, 3, rng=0, **kwargs)
    check_layer_gradients(layer, randn(2, 2, 6, 5))


@pytest.mark.parametrize("groups", [2, 4])
def test_grouped_conv2d_layer_gradients(groups):
    check_layer_gradients(Conv2d(4, 8, 3, padding=1, groups=groups, rng=0), randn(2, 4, 5, 6))


def test_grouped_conv2d_layer_counts_shapes_and_errors():
    full = Conv2d(32, 64, 3, padding=1, rng=0)
    grouped = Conv2d(32, 64, 3, padding=1, groups=4, rng=0)
    depthwise = Conv2d(32, 32, 3, padding=1, groups=32, rng=0)
    assert grouped.weight.shape == (64, 8, 3, 3)
    assert grouped.num_parameters() == 64 * 8 * 9 + 64
    assert full.num_parameters() - 64 == 4 * (grouped.num_parameters() - 64)
    assert depthwise.weight.shape == (32, 1, 3, 3) and depthwise.num_parameters() == 32 * 10
    # torch's initialisation: the bound uses the fan-in of one group.
    assert np.abs(depthwise.weight.data).max() <= 1 / np.sqrt(9)
    assert "groups=4" in repr(grouped)
    out = grouped(np.zeros((2, 32, 6, 6), dtype=np.float32))
    assert out.shape == (2, 64, 6, 6)
    with pytest.raises(ValueError, match=r"Conv2d: in_channels=6 must be divisible by groups=4"):
        Conv2d(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match=r"Conv2d: out_channels=6 must be divisible by groups=4"):
        Conv2d(8, 6, 3, groups=4)
    with pytest.raises(ValueError, match=r"Conv1d: groups must be positive, got 0"):
        Conv1d(8, 8, 3, groups=0)


def test_conv1d_gradients():
    check_layer_gradients(Conv1d(2, 3, 3, stride=2, padding=1, rng=0), randn(2, 2, 9))


def test_linear_gradients():
    check_layer_gradients(Linear(5, 4, rng=0), randn(3, 5))


@pytest.mark.parametrize("layer", [
    MaxPool2d(2), MaxPool2d(3, stride=2, padding=1), AvgPool2d(2),
    AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
])
def test_pool2d_gradients(layer):
    check_layer_gradients(layer, randn(2, 3, 6, 6))


@pytest.mark.parametrize("layer", [MaxPool1d(2), AvgPool1d(3, stride=1, padding=1)])
def test_pool1d_gradients(layer):
    check_layer_gradients(layer, randn(2, 3, 8))


@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (2, 3, 7, 6)])
def test_maxpool2d_shortcut_matches_the_functional_core(shape):
    from cnn_helpers.pooling import max_pool2d, max_pool2d_backward

    rng = np.random.default_rng(0)
    # Few distinct values make many ties: the gradient must go to the first maximum.
    for x in (rng.integers(0, 3, shape).astype(np.float32), rng.standard_normal(shape)):
        layer = MaxPool2d(2)
        out = layer(x)
        np.testing.assert_array_equal(out, max_pool2d(x, 2))
        g = rng.standard_normal(out.shape).astype(x.dtype)
        np.testing.assert_array_equal(layer.backward(g), max_pool2d_backward(g, x, 2))
    x = rng.standard_normal(shape)
    x[0, 0, 1, 1] = np.nan  # NaN wins its window, as in torch
    out = MaxPool2d(2)(x)
    np.testing.assert_array_equal(out, max_pool2d(x, 2))
    assert np.isnan(out[0, 0, 0, 0])


def test_relu_and_flatten_gradients():
    check_layer_gradients(ReLU(), randn(2, 3, 4, 4))
    check_layer_gradients(Flatten(), randn(2, 3, 4, 4))


def test_dropout_gradients_with_a_fixed_mask():
    layer = Dropout(0.4)

    def same_mask():
        layer.rng = np.random.default_rng(7)

    check_layer_gradients(layer, randn(4, 6), before_forward=same_mask)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(training):
    layer = BatchNorm2d(3)
    layer.running_mean[:] = [0.1, -0.2, 0.3]
    layer.running_var[:] = [0.5, 2.0, 1.5]
    # Make gamma and beta non-trivial so their gradients are really tested.
    layer.weight.data[:] = [1.5, -0.5, 0.8]
    layer.bias.data[:] = [0.1, 0.2, -0.3]
    layer.train(training)
    check_layer_gradients(layer, randn(4, 3, 3, 3))


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm1d_gradients(training):
    layer = BatchNorm1d(3)
    layer.running_mean[:] = [0.1, -0.2, 0.3]
    layer.running_var[:] = [0.5, 2.0, 1.5]
    layer.weight.data[:] = [1.5, -0.5, 0.8]
    layer.bias.data[:] = [0.1, 0.2, -0.3]
    layer.train(training)
    check_layer_gradients(layer, randn(6, 3))


@pytest.mark.parametrize("in_ch, out_ch, stride", [(3, 3, 1), (2, 3, 2)])
def test_residual_block_gradients(in_ch, out_ch, stride):
    block = ResidualBlock(in_ch, out_ch, stride=stride, rng=0)
    assert (block.shortcut is None) == (in_ch == out_ch and stride == 1)
    check_layer_gradients(block, randn(2, in_ch, 5, 5))


def test_sequential_gradients():
    model = Sequential(Conv2d(1, 2, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
                       Flatten(), Linear(2 * 3 * 3, 3, rng=1))
    check_layer_gradients(model, randn(2, 1, 6, 6))


def test_a_slice_of_a_sequential_keeps_the_parents_mode():
    model = Sequential(Linear(3, 3, rng=0), Dropout(0.5), BatchNorm1d(3), ReLU())
    assert model[:3].training
    model.eval()
    front = model[:3]
    assert not front.training
    assert all(not layer.training for layer in front)
    x = randn(4, 3)
    np.testing.assert_array_equal(front(x), model[:3](x))  # no dropout mask
    front.train()  # the layers are shared, as in torch
    assert model[1].training and model[2].training
    assert not model.training and not model[1:].training  # the parent's own mode
    model.train()
    assert model[1:].training


def test_layers_initialise_with_torchs_default():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    layer = Linear(4, 3, rng=rng_a)
    np.testing.assert_array_equal(
        layer.weight.data, torch_default_uniform((3, 4), 4, rng_b))
    conv = Conv2d(2, 3, 3, rng=7)
    np.testing.assert_array_equal(
        conv.weight.data, torch_default_uniform((3, 2, 3, 3), 18, 7))


def test_gradients_accumulate_until_zero_grad():
    layer = Linear(3, 2, rng=0)
    x, g = randn(4, 3), randn(4, 2, seed=2)
    layer(x)
    layer.backward(g)
    once = layer.weight.grad.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once, rtol=1e-6)
    layer.zero_grad()
    assert layer.weight.grad is None
    layer.backward(g)
    layer.zero_grad(set_to_none=False)
    assert np.all(layer.weight.grad == 0)


# --------------------------------------------------------------------------
# Shapes, dtypes and initialisation
# --------------------------------------------------------------------------

def test_conv2d_output_shape_and_torch_like_initialisation():
    layer = Conv2d(3, 8, 5, stride=2, padding=2, rng=0)
    assert layer.weight.shape == (8, 3, 5, 5) and layer.bias.shape == (8,)
    assert layer.weight.dtype == np.float32
    bound = 1 / np.sqrt(3 * 5 * 5)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound  # fills the range
    out = layer(np.zeros((2, 3, 11, 11), dtype=np.float32))
    assert out.shape == (2, 8, 6, 6) and out.dtype == np.float32


def test_same_seed_same_weights_and_global_seed():
    a, b = Conv2d(2, 4, 3, rng=5), Conv2d(2, 4, 3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, Conv2d(2, 4, 3, rng=6).weight.data)
    manual_seed(3)
    c = Linear(4, 2)
    manual_seed(3)
    np.testing.assert_array_equal(c.weight.data, Linear(4, 2).weight.data)


def test_torch_default_uniform_bound_spread_and_dtype():
    w = torch_default_uniform((10_000,), fan_in=16, rng=0, dtype=np.float64)
    assert w.dtype == np.float64 and np.abs(w).max() <= 0.25
    # U(-1/sqrt(n), 1/sqrt(n)) has variance 1/(3n), not He's 2/n.
    assert abs(w.var() - 1 / (3 * 16)) < 0.05 / (3 * 16)


def test_kaiming_normal_spread_and_the_variance_factor_of_a_relu_layer():
    w = kaiming_normal((400, 400), fan_in=400, rng=0, dtype=np.float64)
    assert w.dtype == np.float64 and abs(w.std() - np.sqrt(2 / 400)) < 0.002
    with pytest.raises(ValueError, match="fan_in"):
        kaiming_normal((3, 0), fan_in=0)
    # One Linear -> ReLU layer multiplies the second moment by fan_in * Var(w) / 2:
    # 1 with He's initialisation, 1/6 with torch's default U(-1/sqrt(n), 1/sqrt(n)).
    x = randn(2000, 400)
    for weights, factor in [(w, 1.0), (torch_default_uniform((400, 400), 400, rng=1,
                                                             dtype=np.float64), 1 / 6)]:
        h = np.maximum(x @ weights.T, 0)
        assert abs(np.mean(h**2) / np.mean(x**2) - factor) < 0.05 * factor


def test_double_and_float_cast_parameters_and_buffers():
    model = Sequential(Conv2d(1, 2, 3, rng=0), BatchNorm2d(2))
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_var.dtype == np.float64
    assert model(np.ones((1, 1, 4, 4))).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_named_parameters_and_counts():
    model = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), Linear(4, 3, bias=False, rng=0))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight"]
    assert model.num_parameters() == 2 * 9 + 2 + 12


# --------------------------------------------------------------------------
# Training and evaluation modes
# --------------------------------------------------------------------------

def test_dropout_train_and_eval():
    layer = Dropout(0.3, rng=0)
    x = np.ones((200, 100), dtype=np.float32)
    out = layer(x)
    dropped = np.mean(out == 0)
    assert 0.27 < dropped < 0.33
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert out.dtype == np.float32
    layer.eval()
    assert layer(x) is x
    np.testing.assert_array_equal(layer.backward(x), x)
    assert np.all(Dropout(1.0, rng=0)(x) == 0)


def test_batchnorm_training_normalises_and_updates_running_stats():
    layer = BatchNorm2d(2, momentum=0.1).double()
    x = randn(8, 2, 4, 4) * np.array([3.0, 0.5])[None, :, None, None] + 2.0
    out = layer(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)
    mean = x.mean(axis=(0, 2, 3))
    unbiased_var = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(layer.running_mean, 0.1 * mean)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased_var)
    assert layer.num_batches_tracked == 1


def test_batchnorm1d_matches_the_formula_and_batchnorm2d():
    x = randn(16, 3) * np.array([3.0, 0.5, 1.0]) + np.array([2.0, -1.0, 0.0])
    one_d = BatchNorm1d(3).double()
    two_d = BatchNorm2d(3).double()
    for layer in (one_d, two_d):
        layer.weight.data[:] = [1.5, -0.5, 0.8]
        layer.bias.data[:] = [0.1, 0.2, -0.3]
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * [1.5, -0.5, 0.8] + [0.1, 0.2, -0.3]
    out = one_d(x)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(out, two_d(x[:, :, None, None])[:, :, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(one_d.running_var, two_d.running_var)
    one_d.eval()
    np.testing.assert_allclose(one_d(x[:1]), one_d(x)[:1])
    with pytest.raises(ValueError, match=r"BatchNorm1d.*\(N, 3\)"):
        one_d(np.zeros((2, 3, 4)))


def test_batchnorm_eval_uses_running_stats():
    layer = BatchNorm2d(2)
    layer.running_mean[:] = [1.0, -1.0]
    layer.running_var[:] = [4.0, 0.25]
    layer.eval()
    x = np.ones((1, 2, 1, 1), dtype=np.float32)
    expected = (1.0 - np.array([1.0, -1.0])) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(layer(x).ravel(), expected, rtol=1e-4)
    # One image gives the same answer alone or inside a batch.
    batch = np.concatenate([x, 5 * x])
    np.testing.assert_allclose(layer(batch)[:1], layer(x))
    np.testing.assert_array_equal(layer.running_mean, [1.0, -1.0])


def test_train_and_eval_reach_every_submodule():
    model = Sequential(Conv2d(1, 2, 3, rng=0), Sequential(Dropout(0.5), BatchNorm2d(2)))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# --------------------------------------------------------------------------
# Freezing
# --------------------------------------------------------------------------

def test_frozen_layer_passes_gradients_but_keeps_its_own():
    x, g = randn(2, 1, 5, 5), None
    free = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), Flatten(), Linear(18, 3, rng=1)).double()
    frozen = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), Flatten(), Linear(18, 3, rng=1)).double()
    frozen[0].freeze()
    assert [p.requires_grad for p in frozen.parameters()] == [False, False, True, True]
    g = randn(2, 3, seed=4)
    free(x)
    frozen(x)
    grad_free, grad_frozen = free.backward(g), frozen.backward(g)
    np.testing.assert_allclose(grad_frozen, grad_free)            # input grad still flows
    assert frozen[0].weight.grad is None and frozen[0].bias.grad is None
    np.testing.assert_allclose(frozen[3].weight.grad, free[3].weight.grad)

    before = frozen[0].weight.data.copy()
    opt = SGD(frozen.parameters(), lr=0.1, momentum=0.9)
    opt.step()
    np.testing.assert_array_equal(frozen[0].weight.data, before)
    assert not np.array_equal(frozen[3].weight.data, free[3].weight.data)
    assert frozen.num_parameters(trainable_only=True) == 18 * 3 + 3

    frozen[0].unfreeze()
    frozen(x)
    frozen.backward(g)
    assert frozen[0].weight.grad is not None


# --------------------------------------------------------------------------
# Saving and loading
# --------------------------------------------------------------------------

def small_model(seed):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2d(1, 3, 3, padding=1, rng=rng), BatchNorm2d(3), ReLU(),
                      MaxPool2d(2), Flatten(), Linear(12, 4, rng=rng))


def test_save_load_round_trip(tmp_path):
    a, b = small_model(0), small_model(1)
    x = randn(5, 1, 4, 4).astype(np.float32)
    a(x)  # moves BatchNorm's running statistics away from their start
    a.eval()
    b.eval()
    path = tmp_path / "model.npz"
    a.save(path)
    assert not np.allclose(a(x), b(x))
    assert b.load(path) is b
    np.testing.assert_array_equal(a(x), b(x))
    a.save(tmp_path / "no_suffix")
    np.testing.assert_array_equal(small_model(2).load(tmp_path / "no_suffix").eval()(x), a(x))
    keys = set(a.state_dict())
    assert {"0.weight", "1.running_mean", "1.running_var", "5.bias"} <= keys


def test_state_dict_is_a_copy_and_load_checks_names_and_shapes():
    model = small_model(0)
    state = model.state_dict()
    state["0.weight"][...] = 0
    assert not np.all(model[0].weight.data == 0)
    weights_before = model[0].weight.data
    model.load_state_dict(state)
    assert model[0].weight.data is weights_before  # loaded in place
    assert np.all(model[0].weight.data == 0)

    del state["5.bias"]
    with pytest.raises(KeyError, match="5.bias"):
        model.load_state_dict(state)
    model.load_state_dict(state, strict=False)
    bad = model.state_dict()
    bad["5.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"5.weight.*\(3, 3\).*\(4, 12\)"):
        model.load_state_dict(bad)


# --------------------------------------------------------------------------
# Sequential
# --------------------------------------------------------------------------

def test_sequential_indexing_and_slicing():
    model = small_model(0)
    assert len(model) == 6
    assert isinstance(model[0], Conv2d) and model[-1] is model[5]
    front = model[:4]
    assert isinstance(front, Sequential) and len(front) == 4
    assert front[0] is model[0]  # shared, not copied: chapter 8 reuses trained layers
    x = randn(2, 1, 4, 4).astype(np.float32)
    h = x
    for layer in list(model)[:4]:
        h = layer(h)
    np.testing.assert_array_equal(front(x), h)
    assert [n for n, _ in front.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(TypeError, match="Modules"):
        Sequential(Conv2d(1, 1, 1), "relu")


def test_repr_looks_like_torch():
    text = repr(Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), Linear(8, 2, bias=False)))
    assert text.splitlines()[0] == "Sequential("
    assert "(0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in text
    assert "(1): ReLU()" in text
    assert "(2): Linear(in_features=8, out_features=2, bias=False)" in text
    assert "(shortcut): Sequential(" in repr(ResidualBlock(2, 4, stride=2))
    assert repr(Parameter(np.zeros((2, 3)))).startswith("Parameter(shape=(2, 3)")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Conv2d expects input of shape \(N, 3, H, W\), got shape \(2, 1, 8, 8\)"):
        Conv2d(3, 4, 3)(np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(1, 8, 8\)"):
        MaxPool2d(2)(np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match=r"Linear expects input of shape \(N, 10\), got shape \(4, 12\)"):
        Linear(10, 2)(np.zeros((4, 12)))
    with pytest.raises(ValueError, match=r"BatchNorm2d.*\(N, 4, H, W\)"):
        BatchNorm2d(4)(np.zeros((2, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"Conv1d.*\(N, 2, L\)"):
        Conv1d(2, 2, 3)(np.zeros((2, 3, 9)))
    with pytest.raises(TypeError, match="numpy array, got list"):
        ReLU()([1.0, -1.0])
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(1.5)


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"Linear.backward\(\) called before forward\(\)"):
        Linear(2, 2).backward(np.zeros((1, 2)))


def test_module_subclass_must_call_super_init():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter(np.zeros(2))

    with pytest.raises(RuntimeError, match="super"):
        Broken()
