"""Tests for cnn_helpers.architectures: published counts, shapes, MACs, receptive fields."""

import numpy as np
import pytest

import cnn_helpers as ch
from cnn_helpers import architectures as A
from cnn_helpers.checks import Conv, Linear

# The published numbers, typed in again here from their sources (not read from the module):
# LeCun et al. (1998) for LeNet-5's layer sizes (the fully connected variant); torchvision's
# model documentation (num_params and GFLOPS of the IMAGENET1K_V1 weights) for the others.
PUBLISHED = {
    "lenet5": 61_706,
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "googlenet": 6_624_904,
    "mobilenet_v2": 3_504_872,
    "efficientnet_b0": 5_288_548,
    "convnext_tiny": 28_589_128,
}
TORCHVISION_GFLOPS = {"alexnet": 0.71, "vgg16": 15.47, "resnet18": 1.81, "resnet50": 4.09,
                      "googlenet": 1.50, "mobilenet_v2": 0.30, "efficientnet_b0": 0.39,
                      "convnext_tiny": 4.46}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_count_parameters_matches_published(name):
    assert A.count_parameters(name) == PUBLISHED[name]
    assert A.PUBLISHED_PARAMETERS[name] == PUBLISHED[name]


@pytest.mark.parametrize("name", sorted(TORCHVISION_GFLOPS))
def test_macs_match_torchvision_gflops_column(name):
    assert round(A.summarize(name).total_macs / 1e9, 2) == TORCHVISION_GFLOPS[name]


def test_lenet5_layer_by_layer():
    table = A.summarize("lenet5")
    weighted = table.weighted()
    assert [r.params for r in weighted] == [156, 2_416, 48_120, 10_164, 850]
    shapes = [r.shape for r in table.top]
    assert shapes[0] == (6, 28, 28)
    assert shapes[2] == (6, 14, 14)
    assert shapes[3] == (16, 10, 10)
    assert shapes[5] == (16, 5, 5)
    assert table.output_shape == (10,)
    # by hand: 6*28*28*25, 16*10*10*150, then the three dense layers
    assert table.total_macs == 117_600 + 240_000 + 48_000 + 10_080 + 840


def test_lenet5_agrees_with_checks_counting():
    layers = [Conv(1, 6, 5), Conv(6, 16, 5), Linear(400, 120), Linear(120, 84), Linear(84, 10)]
    assert sum(layer.weights() + layer.biases() for layer in layers) == A.count_parameters("lenet5")


def test_vgg16_where_the_parameters_are():
    table = A.summarize("vgg16")
    convs = [r for r in table.top if isinstance(r.layer, A.Conv2d)]
    dense = [r for r in table.top if isinstance(r.layer, A.Linear)]
    assert len(convs) == 13 and len(dense) == 3
    assert sum(r.params for r in convs) == 14_714_688
    assert dense[0].params == 25_088 * 4_096 + 4_096 == 102_764_544
    pools = [r.shape for r in table.top if isinstance(r.layer, A.MaxPool2d)]
    assert pools == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]


def test_alexnet_shapes():
    shapes = [r.shape for r in A.summarize("alexnet").top if isinstance(r.layer, A.Conv2d | A.MaxPool2d)]
    assert shapes == [(64, 55, 55), (64, 27, 27), (192, 27, 27), (192, 13, 13),
                      (384, 13, 13), (256, 13, 13), (256, 13, 13), (256, 6, 6)]


def test_receptive_fields_of_known_networks():
    # Araujo, Norris and Sim (2019), "Computing receptive fields of convolutional
    # neural networks", Distill: AlexNet 195, VGG-16 212 at the last feature layer.
    alex = [r for r in A.summarize("alexnet").top if isinstance(r.layer, A.MaxPool2d)][-1]
    vgg = [r for r in A.summarize("vgg16").top if isinstance(r.layer, A.MaxPool2d)][-1]
    assert (alex.receptive_field, alex.jump) == (195, 32)
    assert (vgg.receptive_field, vgg.jump) == (212, 32)
    resnet18 = A.summarize("resnet18").top
    last_block = [r for r in resnet18 if isinstance(r.layer, A.Residual)][-1]
    assert last_block.shape == (512, 7, 7) and last_block.jump == 32
    assert resnet18[-1].receptive_field is None  # the dense layer sees everything


def test_resnet_blocks_and_projection_shortcuts():
    table = A.summarize("resnet18", expand=True)
    blocks = [r for r in table if isinstance(r.layer, A.Residual)]
    assert len(blocks) == 8
    projections = [b for b in blocks if b.layer.shortcut]
    assert len(projections) == 3  # the first block of stages 2, 3, 4
    for block in blocks:
        inner = [r for r in table if r.name.startswith(block.name + ".")]
        assert sum(r.params for r in inner) == block.params
        assert sum(r.macs for r in inner) == block.macs
    # ResNet-50: 16 bottlenecks, four with a projection (the first of every stage)
    blocks50 = [r for r in A.summarize("resnet50").top if isinstance(r.layer, A.Residual)]
    assert len(blocks50) == 16
    assert sum(1 for b in blocks50 if b.layer.shortcut) == 4
    assert blocks50[-1].shape == (2048, 7, 7)


def test_basic_block_counts_by_hand():
    c = 64
    block = A.BasicBlock(c, c)
    assert A.count_parameters([block], (c, 8, 8)) == 2 * 9 * c * c + 2 * 2 * c
    down = A.BasicBlock(c, 2 * c, stride=2)
    expected = 9 * c * 2 * c + 9 * 4 * c * c + c * 2 * c + 3 * 2 * 2 * c
    assert A.count_parameters([down], (c, 8, 8)) == expected
    assert A.summarize([down], (c, 8, 8)).output_shape == (2 * c, 4, 4)


def test_two_3x3_against_one_5x5():
    c = 32
    two = [A.Conv2d(c, c, 3, padding=1, bias=False), A.ReLU(), A.Conv2d(c, c, 3, padding=1, bias=False)]
    one = [A.Conv2d(c, c, 5, padding=2, bias=False)]
    t2, t1 = A.summarize(two, (c, 16, 16)), A.summarize(one, (c, 16, 16))
    assert t2.total_params == 2 * 9 * c * c and t1.total_params == 25 * c * c
    assert t2.top[-1].receptive_field == t1.top[-1].receptive_field == 5


def test_receptive_field_function():
    assert A.receptive_field([]) == (1, 1)
    assert A.receptive_field([(3, 1), (3, 1)]) == (5, 1)
    assert A.receptive_field([(3, 1), (2, 2), (3, 1)]) == (8, 2)
    assert A.receptive_field([(11, 4), (3, 2)]) == (19, 8)


def _influence(layers, size):
    """Which input pixels the centre output of a stack depends on: the support of a gradient."""
    x = np.zeros((1, 1, size, size))
    shapes, h = [], x
    for kind, k, s, p in layers:
        shapes.append(h)
        if kind == "conv":
            h = ch.conv2d(h, np.ones((1, 1, k, k)), stride=s, padding=p)
        else:
            h = ch.avg_pool2d(h, k, s, p)
    g = np.zeros_like(h)
    g[0, 0, h.shape[2] // 2, h.shape[3] // 2] = 1.0
    for (kind, k, s, p), inp in zip(reversed(layers), reversed(shapes), strict=True):
        if kind == "conv":
            g = ch.conv2d_backward(g, inp, np.ones((1, 1, k, k)), stride=s, padding=p)[0]
        else:
            g = ch.avg_pool2d_backward(g, inp, k, s, p)
    rows = np.flatnonzero(g[0, 0].any(axis=1))
    return rows[-1] - rows[0] + 1


def test_receptive_field_equals_the_support_of_the_input_gradient():
    stacks = [
        [("conv", 3, 1, 1)] * 4,
        [("conv", 3, 1, 1), ("pool", 2, 2, 0), ("conv", 3, 1, 1), ("pool", 2, 2, 0), ("conv", 3, 1, 1)],
        [("conv", 5, 2, 2), ("conv", 3, 2, 1), ("conv", 3, 1, 1)],
    ]
    for stack in stacks:
        spec = []
        for kind, k, s, p in stack:
            spec.append(A.Conv2d(1, 1, k, s, p) if kind == "conv" else A.AvgPool2d(k, s, p))
        expected = A.summarize(spec, (1, 64, 64)).top[-1].receptive_field
        assert _influence(stack, 64) == expected


def test_pooling_sizes_follow_torch():
    assert A.summarize([A.MaxPool2d(2, ceil_mode=True)], (1, 5, 5)).output_shape == (1, 3, 3)
    assert A.summarize([A.MaxPool2d(2)], (1, 5, 5)).output_shape == (1, 2, 2)
    assert A.summarize([A.MaxPool2d(3, 2, 1)], (1, 112, 112)).output_shape == (1, 56, 56)
    t = A.summarize([A.AdaptiveAvgPool2d(3)], (4, 7, 7))
    assert t.output_shape == (4, 3, 3)
    assert t.top[0].receptive_field == 3  # windows [0, 3), [2, 5), [4, 7)
    assert A.summarize([A.AdaptiveAvgPool2d(6)], (256, 6, 6)).top[0].receptive_field == 1


def test_mistakes_are_explained():
    with pytest.raises(ValueError, match="expects 3 input channels"):
        A.summarize([A.Conv2d(3, 8, 3)], (1, 8, 8))
    with pytest.raises(ValueError, match="Flatten"):
        A.summarize([A.Conv2d(1, 8, 3), A.Linear(8 * 6 * 6, 10)], (1, 8, 8))
    with pytest.raises(ValueError, match="expects 100 inputs"):
        A.summarize([A.Flatten(), A.Linear(100, 10)], (1, 8, 8))
    with pytest.raises(ValueError, match="does not fit"):
        A.summarize([A.Conv2d(1, 1, 5)], (1, 3, 3))
    with pytest.raises(ValueError, match="must match"):
        A.summarize([A.Residual([A.Conv2d(1, 2, 3, padding=1)])], (1, 8, 8))
    with pytest.raises(ValueError, match="unknown network"):
        A.count_parameters("resnet1000")
    with pytest.raises(TypeError, match="unknown layer"):
        A.summarize(["conv"], (1, 8, 8))


def test_a_network_described_in_words():
    # 3x32x32 -> [conv 3x3 32, ReLU] x2 -> pool -> [conv 3x3 64, ReLU] x2 -> pool -> 256 -> 10
    net = [A.Conv2d(3, 32, 3, padding=1), A.ReLU(), A.Conv2d(32, 32, 3, padding=1), A.ReLU(),
           A.MaxPool2d(2),
           A.Conv2d(32, 64, 3, padding=1), A.ReLU(), A.Conv2d(64, 64, 3, padding=1), A.ReLU(),
           A.MaxPool2d(2), A.Flatten(), A.Linear(64 * 8 * 8, 256), A.ReLU(), A.Linear(256, 10)]
    expected = (896 + 9_248 + 18_496 + 36_928 + 4_096 * 256 + 256 + 2_570)
    assert A.count_parameters(net, (3, 32, 32)) == expected


def test_table_rendering():
    table = A.summarize("lenet5")
    text = str(table)
    assert "61,706" in text and "LeNet-5" in text and "6 x 28 x 28" in text
    page = table._repr_html_()
    assert page.startswith("<table") and page.count("<tr>") == len(table) + 2
    assert "61,706" in page
    assert "61,706 parameters" in repr(table)
    assert table.find("0").params == 156
    with pytest.raises(KeyError):
        table.find("nope")


def test_specs_are_fresh_lists_and_inputs_known():
    a, b = A.spec("vgg16"), A.spec("vgg16")
    assert a == b and a is not b
    assert A.input_shape("lenet5") == (1, 32, 32)
    with pytest.raises(ValueError):
        A.spec("nope")


def test_grouped_and_depthwise_convolutions_count_like_torch():
    # torch: Conv2d(64, 128, 3, groups=4).weight has shape (128, 16, 3, 3)
    assert A.Conv2d(64, 128, 3, groups=4).params() == 128 * 16 * 9 + 128
    depthwise = A.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)
    pointwise = A.Conv2d(32, 64, 1, bias=False)
    table = A.summarize([depthwise, pointwise], (32, 10, 10))
    assert table.total_params == 9 * 32 + 32 * 64  # k^2 C + C C_out, not k^2 C C_out
    assert table.total_macs == 10 * 10 * (32 * 9 + 64 * 32)
    assert "depthwise" in str(table)
    with pytest.raises(ValueError, match="groups"):
        A.Conv2d(30, 64, 3, groups=4)


def test_inception_module_concatenates_its_branches():
    module = A.Inception(192, 64, 96, 128, 16, 32, 32)  # GoogLeNet's 3a
    table = A.summarize([module], (192, 28, 28), expand=True)
    assert table.output_shape == (64 + 128 + 32 + 32, 28, 28)
    by_hand = ((192 * 64 + 2 * 64) + (192 * 96 + 2 * 96) + (96 * 9 * 128 + 2 * 128)
               + (192 * 16 + 2 * 16) + (16 * 9 * 32 + 2 * 32) + (192 * 32 + 2 * 32))
    assert table.total_params == by_hand
    with pytest.raises(ValueError, match="must match to concatenate"):
        A.summarize([A.Concat(([A.Conv2d(1, 2, 3)], [A.Conv2d(1, 2, 1)]))], (1, 8, 8))


def test_inverted_residual_and_mbconv_blocks():
    block = A.InvertedResidual(24, 24, 1, 6)  # MobileNetV2, keeps the shape: a residual
    assert len(block) == 1 and isinstance(block[0], A.Residual)
    hidden = 24 * 6
    by_hand = (24 * hidden + 2 * hidden) + (9 * hidden + 2 * hidden) + (hidden * 24 + 2 * 24)
    assert A.count_parameters(block, (24, 56, 56)) == by_hand
    strided = A.InvertedResidual(16, 24, 2, 6)  # changes the shape: no shortcut
    assert not any(isinstance(layer, A.Residual) for layer in strided)
    assert A.summarize(strided, (16, 112, 112)).output_shape == (24, 56, 56)
    se = A.SqueezeExcite(96, 4)
    assert se.params() == 96 * 4 + 4 + 4 * 96 + 96


def test_convnext_block_counts_layer_scale_and_layer_norm():
    block = A.ConvNeXtBlock(96)
    by_hand = (96 * 49 + 96) + 2 * 96 + (96 * 384 + 384) + (384 * 96 + 96) + 96
    assert A.count_parameters([block], (96, 56, 56)) == by_hand


def test_activation_count_of_vgg16_sums_its_layer_outputs():
    # input, 13 convolutions, 5 poolings and 3 dense layers (ReLU and dropout in place)
    convs = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    sides = [224, 224, 112, 112, 56, 56, 56, 28, 28, 28, 14, 14, 14]
    pools = [64 * 112**2, 128 * 56**2, 256 * 28**2, 512 * 14**2, 512 * 7**2]
    adaptive = 512 * 7 * 7  # torchvision's AdaptiveAvgPool2d(7), an identity at 224x224
    by_hand = (3 * 224 * 224 + sum(c * s * s for c, s in zip(convs, sides, strict=True))
               + sum(pools) + adaptive + 4096 + 4096 + 1000)
    assert A.count_activations("vgg16") == by_hand
