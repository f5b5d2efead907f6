"""Layer-by-layer specifications of classic CNNs, and the arithmetic that walks them.

A network is described as a plain list of layer specifications (small frozen
dataclasses that hold hyper-parameters, never weights)::

    from cnn_helpers.architectures import Conv2d, MaxPool2d, ReLU, Flatten, Linear, summarize

    net = [Conv2d(1, 6, 5), ReLU(), MaxPool2d(2), Flatten(), Linear(6 * 14 * 14, 10)]
    table = summarize(net, (1, 32, 32))
    table.total_params          # 156 + 11,770 = 11,926
    table                       # in a notebook: one row per layer, as an HTML table

:func:`summarize` follows the shape of one example ``(C, H, W)`` through the
layers and reports, for every layer, its output shape, its number of
parameters, its multiply-accumulates (MACs) and the receptive field and jump
(the distance in input pixels between neighbouring outputs) of its outputs.

The reference networks are available by name (:data:`NETWORKS`):

===================  ============  ====================================================
name                 parameters    where the reference count comes from
===================  ============  ====================================================
``lenet5``               61,706    a hand count of LeNet-5's layer sizes (LeCun et al.,
                                   1998) with every layer fully connected, the version
                                   most courses build; the paper's network has 60,000
``alexnet``          61,100,840    torchvision's ``AlexNet_Weights.IMAGENET1K_V1`` table
``vgg16``           138,357,544    torchvision's ``VGG16_Weights.IMAGENET1K_V1`` table
``googlenet``         6,624,904    torchvision's ``GoogLeNet_Weights`` table (without
                                   the auxiliary classifiers)
``resnet18``         11,689,512    torchvision's ``ResNet18_Weights.IMAGENET1K_V1`` table
``resnet50``         25,557,032    torchvision's ``ResNet50_Weights.IMAGENET1K_V1`` table
``mobilenet_v2``      3,504,872    torchvision's ``MobileNet_V2_Weights`` table
``efficientnet_b0``   5,288,548    torchvision's ``EfficientNet_B0_Weights`` table
``convnext_tiny``    28,589,128    torchvision's ``ConvNeXt_Tiny_Weights`` table
===================  ============  ====================================================

Counting conventions, the same as ``sum(p.numel() for p in model.parameters())``
in PyTorch: weights and biases count, and so do BatchNorm's scale and shift
(2 per channel); BatchNorm's running mean and variance are buffers, not
parameters, and do not count. MACs count the multiplications of convolutions
and dense layers (one multiply-add each, biases left out); pooling, ReLU and
BatchNorm are cheap by comparison and count as zero. A FLOP count is about
twice the MAC count, although torchvision's tables call MACs "GFLOPS".
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

__all__ = [
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm2d",
    "ReLU",
    "Tanh",
    "Flatten",
    "Linear",
    "Dropout",
    "ReLU6",
    "SiLU",
    "GELU",
    "LayerNorm2d",
    "LayerScale",
    "SqueezeExcite",
    "Concat",
    "Residual",
    "BasicBlock",
    "Bottleneck",
    "Inception",
    "InvertedResidual",
    "ConvNeXtBlock",
    "Row",
    "Table",
    "NETWORKS",
    "PUBLISHED_PARAMETERS",
    "PUBLISHED_GMACS",
    "summarize",
    "count_parameters",
    "count_activations",
    "receptive_field",
    "spec",
    "input_shape",
    "lenet5",
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "googlenet",
    "mobilenet_v2",
    "efficientnet_b0",
    "convnext_tiny",
]


# --------------------------------------------------------------------------
# The spec language
# --------------------------------------------------------------------------

def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _out_size(n, k, s, p, ceil_mode=False):
    span = n + 2 * p - k
    if span < 0:
        return 0
    steps = -(-span // s) if ceil_mode else span // s
    out = steps + 1
    # torch drops a last window that would start in the right padding only
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


@dataclass(frozen=True)
class Conv2d:
    """A 2D convolution: ``out_channels`` filters of ``(in_channels / groups) x k x k``.

    With ``groups=g`` the channels are split into ``g`` groups and each filter
    sees only its own group's ``in_channels / g`` channels, as in torch;
    ``groups=in_channels`` is a *depthwise* convolution (one filter per channel).
    """

    in_channels: int
    out_channels: int
    kernel_size: int | tuple[int, int]
    stride: int | tuple[int, int] = 1
    padding: int | tuple[int, int] = 0
    bias: bool = True
    groups: int = 1

    def __post_init__(self):
        if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide in_channels={self.in_channels} "
                             f"and out_channels={self.out_channels}")

    def params(self):
        kh, kw = _pair(self.kernel_size)
        per_filter = self.in_channels // self.groups * kh * kw
        return self.out_channels * per_filter + (self.out_channels if self.bias else 0)


@dataclass(frozen=True)
class MaxPool2d:
    """Max pooling; ``stride`` defaults to ``kernel_size`` as in torch."""

    kernel_size: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    padding: int | tuple[int, int] = 0
    ceil_mode: bool = False


@dataclass(frozen=True)
class AvgPool2d:
    """Average pooling; ``stride`` defaults to ``kernel_size`` as in torch."""

    kernel_size: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    padding: int | tuple[int, int] = 0
    ceil_mode: bool = False


@dataclass(frozen=True)
class AdaptiveAvgPool2d:
    """Average pooling to a fixed ``output_size``, whatever the input size."""

    output_size: int | tuple[int, int]


@dataclass(frozen=True)
class BatchNorm2d:
    """Batch normalisation: a learned scale and shift per channel (2 parameters each)."""

    num_features: int


@dataclass(frozen=True)
class ReLU:
    """``max(0, x)``; no parameters."""


@dataclass(frozen=True)
class Tanh:
    """``tanh(x)``, LeNet's squashing function; no parameters."""


@dataclass(frozen=True)
class Flatten:
    """``(C, H, W)`` to ``(C*H*W,)``."""


@dataclass(frozen=True)
class Linear:
    """A dense layer ``in_features -> out_features``."""

    in_features: int
    out_features: int
    bias: bool = True

    def params(self):
        return self.in_features * self.out_features + (self.out_features if self.bias else 0)


@dataclass(frozen=True)
class Dropout:
    """Dropout; no parameters, no change of shape."""

    p: float = 0.5


@dataclass(frozen=True)
class ReLU6:
    """``min(max(0, x), 6)``, MobileNet's activation; no parameters."""


@dataclass(frozen=True)
class SiLU:
    """``x * sigmoid(x)`` (also called swish), EfficientNet's activation; no parameters."""


@dataclass(frozen=True)
class GELU:
    """``x * Phi(x)``, the activation of transformers and ConvNeXt; no parameters."""


@dataclass(frozen=True)
class LayerNorm2d:
    """Normalise the channels of each position of one example, then scale and shift.

    Unlike batch normalisation it uses no batch statistics; it learns a
    scale and a shift per channel (2 parameters each).
    """

    num_features: int


@dataclass(frozen=True)
class LayerScale:
    """Multiply each channel by a learned factor (ConvNeXt); 1 parameter per channel."""

    num_features: int


@dataclass(frozen=True)
class SqueezeExcite:
    """Squeeze-and-excitation (Hu et al., 2018): re-weight channels by a learned gate.

    Global average pooling squeezes each of the ``channels`` maps to one
    number; a 1x1 convolution to ``squeeze`` channels, an activation, a 1x1
    convolution back and a sigmoid give one weight per channel, which
    multiplies its map. Both 1x1 convolutions have biases, as in torchvision.
    """

    channels: int
    squeeze: int

    def params(self):
        return 2 * self.channels * self.squeeze + self.squeeze + self.channels


@dataclass(frozen=True)
class Concat:
    """Parallel ``branches`` (lists of layer specs) on the same input, outputs
    concatenated along the channels: GoogLeNet's Inception module."""

    branches: tuple
    name: str = "Concat"

    def __post_init__(self):
        object.__setattr__(self, "branches", tuple(tuple(b) for b in self.branches))


@dataclass(frozen=True)
class Residual:
    """``out = relu(main(x) + shortcut(x))``, or without the ReLU if ``relu_after=False``.

    ``main`` and ``shortcut`` are lists of layer specs; an empty shortcut is
    the identity, which needs ``main`` to keep the shape.
    """

    main: tuple
    shortcut: tuple = ()
    relu_after: bool = True
    name: str = "Residual"

    def __post_init__(self):
        object.__setattr__(self, "main", tuple(self.main))
        object.__setattr__(self, "shortcut", tuple(self.shortcut))


def BasicBlock(in_channels, out_channels, stride=1):  # noqa: N802 (reads like a layer)
    """ResNet-18/34's block: two 3x3 convolutions with BatchNorm, plus the input.

    As in torchvision, the first convolution carries the stride, the
    convolutions have no bias (BatchNorm's shift replaces it), and the shortcut
    becomes a strided 1x1 convolution with BatchNorm (the "downsample
    projection") when the block changes the shape.
    """
    main = (
        Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
        BatchNorm2d(out_channels),
        ReLU(),
        Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
        BatchNorm2d(out_channels),
    )
    shortcut = ()
    if stride != 1 or in_channels != out_channels:
        shortcut = (Conv2d(in_channels, out_channels, 1, stride, bias=False),
                    BatchNorm2d(out_channels))
    return Residual(main, shortcut, name="BasicBlock")


def Bottleneck(in_channels, width, stride=1, expansion=4):  # noqa: N802
    """ResNet-50/101/152's block: 1x1 down to ``width``, 3x3, 1x1 up to ``width * expansion``.

    torchvision puts the stride on the 3x3 convolution ("ResNet v1.5"; the
    paper put it on the first 1x1); the parameter count is the same either
    way, the MACs are not. The shortcut is a strided 1x1 convolution with
    BatchNorm when the shape changes.
    """
    out_channels = width * expansion
    main = (
        Conv2d(in_channels, width, 1, bias=False),
        BatchNorm2d(width),
        ReLU(),
        Conv2d(width, width, 3, stride, 1, bias=False),
        BatchNorm2d(width),
        ReLU(),
        Conv2d(width, out_channels, 1, bias=False),
        BatchNorm2d(out_channels),
    )
    shortcut = ()
    if stride != 1 or in_channels != out_channels:
        shortcut = (Conv2d(in_channels, out_channels, 1, stride, bias=False),
                    BatchNorm2d(out_channels))
    return Residual(main, shortcut, name="Bottleneck")


# --------------------------------------------------------------------------
# Walking a spec
# --------------------------------------------------------------------------

@dataclass
class Row:
    """One line of a :class:`Table`.

    ``shape`` is the output shape of one example, ``(C, H, W)`` or ``(F,)``.
    ``receptive_field`` is the side in input pixels of the square window one
    output value can see (``None`` once every output sees the whole input,
    after a dense layer); ``jump`` is how many input pixels apart the windows
    of neighbouring outputs sit (the product of the strides so far).
    """

    name: str
    layer: object
    shape: tuple
    params: int
    macs: int
    receptive_field: int | None
    jump: int | None
    depth: int = 0

    @property
    def kind(self):
        return getattr(self.layer, "name", type(self.layer).__name__)


@dataclass
class _State:
    shape: tuple
    rf: int | None = 1
    jump: int | None = 1


def _describe(layer):
    """A short, readable description of a layer's hyper-parameters."""
    if isinstance(layer, Conv2d):
        k = _pair(layer.kernel_size)
        text = f"conv {k[0]}x{k[1]}, {layer.out_channels}"
        if layer.groups == layer.in_channels > 1:
            text = f"depthwise conv {k[0]}x{k[1]}, {layer.out_channels}"
        elif layer.groups > 1:
            text += f", {layer.groups} groups"
        if _pair(layer.stride) != (1, 1):
            text += f", stride {layer.stride}"
        if _pair(layer.padding) != (0, 0):
            text += f", pad {layer.padding}"
        return text
    if isinstance(layer, MaxPool2d | AvgPool2d):
        kind = "max" if isinstance(layer, MaxPool2d) else "avg"
        k = _pair(layer.kernel_size)
        s = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        text = f"{kind} pool {k[0]}x{k[1]}, stride {s[0]}"
        if _pair(layer.padding) != (0, 0):
            text += f", pad {layer.padding}"
        return text
    if isinstance(layer, AdaptiveAvgPool2d):
        o = _pair(layer.output_size)
        return f"adaptive avg pool to {o[0]}x{o[1]}"
    if isinstance(layer, BatchNorm2d):
        return "batch norm"
    if isinstance(layer, Linear):
        return f"dense {layer.in_features} -> {layer.out_features}"
    if isinstance(layer, Dropout):
        return f"dropout {layer.p:g}"
    if isinstance(layer, LayerNorm2d):
        return "layer norm"
    if isinstance(layer, LayerScale):
        return "layer scale"
    if isinstance(layer, SqueezeExcite):
        return f"squeeze-excite {layer.channels} -> {layer.squeeze} -> {layer.channels}"
    if isinstance(layer, Residual | Concat):
        return layer.name
    return type(layer).__name__


def _spatial(state, layer):
    if len(state.shape) != 3:
        raise ValueError(f"{_describe(layer)} needs a (C, H, W) input, got shape {state.shape}; "
                         "did a Flatten come too early?")
    return state.shape


def _grow(state, kernel, stride):
    """Receptive-field arithmetic: r += (k - 1) * jump, jump *= stride."""
    if state.rf is None:
        return None, None
    return state.rf + (kernel - 1) * state.jump, state.jump * stride


def _window_layer(state, layer, kernel, stride, padding, ceil_mode=False):
    c, h, w = _spatial(state, layer)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = _out_size(h, kh, sh, ph, ceil_mode), _out_size(w, kw, sw, pw, ceil_mode)
    if oh < 1 or ow < 1:
        raise ValueError(f"{_describe(layer)} does not fit its input of size {h}x{w} "
                         f"(the output would be {oh}x{ow})")
    rf, jump = _grow(state, kh, sh)
    return (c, oh, ow), rf, jump


def _step(state, layer):
    """Apply one (non-composite) layer: new state, parameters and MACs."""
    if isinstance(layer, Conv2d):
        c, h, w = _spatial(state, layer)
        if c != layer.in_channels:
            raise ValueError(f"{_describe(layer)} expects {layer.in_channels} input channels, "
                             f"but its input has shape {state.shape}")
        k = _pair(layer.kernel_size)
        shape, rf, jump = _window_layer(state, layer, k, _pair(layer.stride), _pair(layer.padding))
        shape = (layer.out_channels, shape[1], shape[2])
        # one multiply-add per weight, at every output position
        macs = math.prod(shape) * (layer.in_channels // layer.groups) * k[0] * k[1]
        return _State(shape, rf, jump), layer.params(), macs
    if isinstance(layer, MaxPool2d | AvgPool2d):
        k = _pair(layer.kernel_size)
        s = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        shape, rf, jump = _window_layer(state, layer, k, s, _pair(layer.padding), layer.ceil_mode)
        return _State(shape, rf, jump), 0, 0
    if isinstance(layer, AdaptiveAvgPool2d):
        c, h, w = _spatial(state, layer)
        oh, ow = _pair(layer.output_size)
        # Window i covers rows floor(i*h/oh) .. ceil((i+1)*h/oh) - 1, as in torch;
        # the widest window and the smallest step describe the receptive field.
        kernel = max(-(-(i + 1) * h // oh) - (i * h) // oh for i in range(oh))
        stride = max(h // oh, 1)
        rf, jump = _grow(state, kernel, stride)
        return _State((c, oh, ow), rf, jump), 0, 0
    if isinstance(layer, BatchNorm2d):
        c, _, _ = _spatial(state, layer)
        if c != layer.num_features:
            raise ValueError(f"BatchNorm2d({layer.num_features}) after an output of shape {state.shape}")
        return _State(state.shape, state.rf, state.jump), 2 * layer.num_features, 0
    if isinstance(layer, LayerNorm2d | LayerScale):
        c, _, _ = _spatial(state, layer)
        if c != layer.num_features:
            raise ValueError(f"{type(layer).__name__}({layer.num_features}) after an output of "
                             f"shape {state.shape}")
        per_channel = 2 if isinstance(layer, LayerNorm2d) else 1
        return _State(state.shape, state.rf, state.jump), per_channel * c, 0
    if isinstance(layer, SqueezeExcite):
        c, _, _ = _spatial(state, layer)
        if c != layer.channels:
            raise ValueError(f"{_describe(layer)} after an output of shape {state.shape}")
        # two 1x1 convolutions on a 1x1 map; the gate depends on the whole image
        return _State(state.shape, state.rf, state.jump), layer.params(), 2 * c * layer.squeeze
    if isinstance(layer, ReLU | ReLU6 | SiLU | GELU | Tanh | Dropout):
        return _State(state.shape, state.rf, state.jump), 0, 0
    if isinstance(layer, Flatten):
        return _State((math.prod(state.shape),), state.rf, state.jump), 0, 0
    if isinstance(layer, Linear):
        if len(state.shape) != 1:
            raise ValueError(f"{_describe(layer)} needs a flat input; add Flatten() before it "
                             f"(the input has shape {state.shape})")
        if state.shape[0] != layer.in_features:
            raise ValueError(f"{_describe(layer)} expects {layer.in_features} inputs, "
                             f"but its input has {state.shape[0]} features")
        # every output of a dense layer depends on every input pixel
        return _State((layer.out_features,), None, None), layer.params(), layer.in_features * layer.out_features
    raise TypeError(f"unknown layer spec {layer!r}")


def _walk(layers, state, prefix, depth, rows, expand):
    for i, layer in enumerate(layers):
        name = f"{prefix}{i}"
        if isinstance(layer, Residual):
            inner = [] if expand else None
            main_state, main_params, main_macs = _walk_all(
                layer.main, state, f"{name}.main.", depth + 1, inner, expand)
            short_state, short_params, short_macs = _walk_all(
                layer.shortcut, state, f"{name}.shortcut.", depth + 1, inner, expand)
            if main_state.shape != short_state.shape:
                raise ValueError(f"{name} ({layer.name}): the main path gives {main_state.shape} "
                                 f"but the shortcut gives {short_state.shape}; they must match to add")
            params, macs = main_params + short_params, main_macs + short_macs
            # The sum sees what either path sees: the main path is the wider one.
            rf = None if main_state.rf is None or short_state.rf is None else max(main_state.rf, short_state.rf)
            new = _State(main_state.shape, rf, main_state.jump)
            rows.append(Row(name, layer, new.shape, params, macs, new.rf, new.jump, depth))
            if expand:
                rows.extend(inner)
        elif isinstance(layer, Concat):
            inner = [] if expand else None
            ends, params, macs = [], 0, 0
            for b, branch in enumerate(layer.branches):
                end, p, m = _walk_all(branch, state, f"{name}.{b}.", depth + 1, inner, expand)
                ends.append(end)
                params, macs = params + p, macs + m
            grids = {end.shape[1:] for end in ends}
            if len(grids) != 1:
                raise ValueError(f"{name} ({layer.name}): the branches give grids "
                                 f"{sorted(grids)}; they must match to concatenate")
            shape = (sum(end.shape[0] for end in ends), *ends[0].shape[1:])
            rfs = [end.rf for end in ends]
            rf = None if None in rfs else max(rfs)
            new = _State(shape, rf, ends[0].jump)
            rows.append(Row(name, layer, new.shape, params, macs, new.rf, new.jump, depth))
            if expand:
                rows.extend(inner)
        else:
            new, params, macs = _step(state, layer)
            rows.append(Row(name, layer, new.shape, params, macs, new.rf, new.jump, depth))
        state = new
    return state


def _walk_all(layers, state, prefix, depth, rows, expand):
    collected = [] if rows is None else rows
    start = len(collected)
    end_state = _walk(layers, state, prefix, depth, collected, expand)
    mine = [r for r in collected[start:] if r.depth == depth]
    return end_state, sum(r.params for r in mine), sum(r.macs for r in mine)


class Table:
    """The result of :func:`summarize`: one :class:`Row` per layer, and the totals.

    Shown as an HTML table in a notebook, as aligned text by ``print``.
    ``rows`` lists the top-level layers (and, with ``expand=True``, the layers
    inside residual blocks, indented, whose numbers are already in their
    block's row).
    """

    def __init__(self, rows, input_shape, title=""):
        self.rows = list(rows)
        self.input_shape = tuple(input_shape)
        self.title = title

    @property
    def top(self):
        return [r for r in self.rows if r.depth == 0]

    @property
    def total_params(self):
        return sum(r.params for r in self.top)

    @property
    def total_macs(self):
        return sum(r.macs for r in self.top)

    @property
    def output_shape(self):
        return self.top[-1].shape if self.top else self.input_shape

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def find(self, name):
        """The row called ``name`` (e.g. ``'3'`` or ``'5.main.0'``)."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def weighted(self):
        """The rows with parameters: convolutions, dense layers, blocks."""
        return [r for r in self.top if r.params]

    # --- rendering -----------------------------------------------------------

    _HEADER = ("layer", "", "output shape", "parameters", "MACs", "receptive field", "jump")

    def _cells(self, row):
        shape = " x ".join(str(s) for s in row.shape)
        rf = "all" if row.receptive_field is None else str(row.receptive_field)
        jump = "" if row.jump is None else str(row.jump)
        params = f"{row.params:,}" if row.params else ""
        macs = f"{row.macs:,}" if row.macs else ""
        indent = "  " * row.depth
        return (indent + row.name, _describe(row.layer), shape, params, macs, rf, jump)

    def _total_cells(self):
        shape = " x ".join(str(s) for s in self.input_shape)
        return ("total", f"input {shape}", "", f"{self.total_params:,}", f"{self.total_macs:,}", "", "")

    def lines(self):
        """The table as lines of aligned plain text."""
        body = [self._cells(r) for r in self.rows]
        table = [self._HEADER, *body, self._total_cells()]
        widths = [max(len(r[i]) for r in table) for i in range(len(self._HEADER))]
        right = {3, 4, 5, 6}

        def fmt(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        out = [self.title] if self.title else []
        out += [fmt(self._HEADER), rule, *(fmt(c) for c in body), rule, fmt(self._total_cells())]
        return out

    def __str__(self):
        return "\n".join(self.lines())

    def __repr__(self):
        return (f"<Table {self.title or 'network'}: {len(self.top)} layers, "
                f"{self.total_params:,} parameters, {self.total_macs:,} MACs>")

    def _repr_html_(self):
        esc = html.escape
        right = 'style="text-align:right"'
        head = "".join(f"<th {right if i >= 3 else ''}>{esc(h)}</th>" for i, h in enumerate(self._HEADER))
        body = []
        for row in self.rows:
            cells = self._cells(row)
            style = ' style="color:#666"' if row.depth else ""
            tds = "".join(f"<td {right if i >= 3 else ''}>{esc(c.strip())}</td>" for i, c in enumerate(cells))
            if row.depth:
                tds = tds.replace("<td >", f'<td style="padding-left:{1 + row.depth}em">', 1)
            body.append(f"<tr{style}>{tds}</tr>")
        total = "".join(f"<td {right if i >= 3 else ''}><b>{esc(c)}</b></td>"
                        for i, c in enumerate(self._total_cells()))
        caption = f"<caption>{esc(self.title)}</caption>" if self.title else ""
        return (f'<table class="arch-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}<tr>{total}</tr></tbody></table>")


def summarize(layers, input_shape=None, title="", expand=False):
    """Walk ``layers`` from an input of shape ``(C, H, W)`` and tabulate every layer.

    Args:
        layers: a list of layer specs (``Conv2d(...)``, ``ReLU()``, ``BasicBlock(...)``, ...),
            or the name of a network in :data:`NETWORKS`.
        input_shape: the shape of one example, ``(C, H, W)``; taken from
            :data:`NETWORKS` when ``layers`` is a name.
        title: shown above the table.
        expand: also list the layers inside residual blocks.

    Returns:
        a :class:`Table`. Raises ``ValueError`` with an explanation when a layer
        does not fit the output of the layer before it.
    """
    if isinstance(layers, str):
        name = layers
        layers = spec(name)
        input_shape = NETWORKS[name]["input_shape"] if input_shape is None else input_shape
        title = title or NETWORKS[name]["title"]
    if input_shape is None:
        raise ValueError("give the input shape (C, H, W) of one example")
    input_shape = tuple(int(s) for s in input_shape)
    rows = []
    _walk(list(layers), _State(input_shape), "", 0, rows, expand)
    return Table(rows, input_shape, title)


def count_parameters(network, input_shape=None):
    """The number of learned parameters of a network.

    ``network`` is a name from :data:`NETWORKS` (``'lenet5'``, ``'alexnet'``,
    ``'vgg16'``, ``'googlenet'``, ``'resnet18'``, ``'resnet50'``, ``'mobilenet_v2'``,
    ``'efficientnet_b0'``, ``'convnext_tiny'``) or a list of layer specs,
    in which case ``input_shape`` ``(C, H, W)`` is needed to follow the shapes.
    For the named networks the result equals the published counts in
    :data:`PUBLISHED_PARAMETERS` (the tests check it).
    """
    return summarize(network, input_shape).total_params


_IN_PLACE = (ReLU, ReLU6, SiLU, GELU, Tanh, Dropout, Flatten)


def count_activations(network, input_shape=None):
    """The number of values a forward pass produces for one image (CS231n's "memory").

    Counts the input and the output of every layer that computes new values:
    convolutions, pooling, normalisation, dense layers, squeeze-excite gates
    and layer scales, and the sum at the end of every residual block.
    Activations, dropout and flattening are left out, because frameworks can
    apply them in place. Training keeps most of these values for the backward
    pass, so per image they cost memory next to the parameters, which are
    stored once; multiply by 4 for bytes in float32.
    """
    table = summarize(network, input_shape, expand=True)
    leaves = [r for r in table.rows if not isinstance(r.layer, (Concat, *_IN_PLACE))]
    return math.prod(table.input_shape) + sum(math.prod(r.shape) for r in leaves)


def receptive_field(layers):
    """Receptive field and jump of a stack of ``(kernel_size, stride)`` pairs.

    Works from the input up: each layer widens the field by ``(k - 1)``
    times the current jump, then multiplies the jump by its stride. Padding
    does not enter. Returns ``(receptive_field, jump)``.
    """
    rf, jump = 1, 1
    for kernel, stride in layers:
        rf += (kernel - 1) * jump
        jump *= stride
    return rf, jump


# --------------------------------------------------------------------------
# The reference networks
# --------------------------------------------------------------------------

def lenet5():
    """LeNet-5 with full connections, on 1x32x32 inputs: 61,706 parameters.

    LeCun et al. (1998) give LeNet-5 the layers C1 (6 maps, 5x5), S2
    (subsampling 2x2), C3 (16 maps, 5x5), S4, C5 (120), F6 (84) and an output
    of 10. The paper connects C3 to only some of S2's maps, gives the
    subsampling layers a trainable coefficient and bias, and ends with
    Gaussian (RBF) units; the version courses build (and this one) connects
    every layer fully, averages without weights, and ends with a dense layer
    of 10 -- 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
    """
    return [
        Conv2d(1, 6, 5), Tanh(), AvgPool2d(2),
        Conv2d(6, 16, 5), Tanh(), AvgPool2d(2),
        Flatten(),
        Linear(16 * 5 * 5, 120), Tanh(),
        Linear(120, 84), Tanh(),
        Linear(84, 10),
    ]


def alexnet(num_classes=1000):
    """AlexNet as torchvision defines it (the one-tower variant of Krizhevsky, 2014).

    61,100,840 parameters on 3x224x224 (torchvision's model table). The 2012
    network split its layers over two GPUs and had 96, 256, 384, 384, 256
    filters; torchvision's single-tower version has 64, 192, 384, 256, 256.
    """
    return [
        Conv2d(3, 64, 11, 4, 2), ReLU(), MaxPool2d(3, 2),
        Conv2d(64, 192, 5, padding=2), ReLU(), MaxPool2d(3, 2),
        Conv2d(192, 384, 3, padding=1), ReLU(),
        Conv2d(384, 256, 3, padding=1), ReLU(),
        Conv2d(256, 256, 3, padding=1), ReLU(), MaxPool2d(3, 2),
        AdaptiveAvgPool2d(6), Flatten(),
        Dropout(), Linear(256 * 6 * 6, 4096), ReLU(),
        Dropout(), Linear(4096, 4096), ReLU(),
        Linear(4096, num_classes),
    ]


VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                512, 512, 512, "M", 512, 512, 512, "M")


def vgg16(num_classes=1000):
    """VGG-16 (configuration D of Simonyan and Zisserman, 2015), as in torchvision.

    Thirteen 3x3 convolutions with padding 1 in five blocks, each block ended
    by a 2x2 max pooling, then three dense layers: 138,357,544 parameters.
    """
    layers, channels = [], 3
    for item in VGG16_CONFIG:
        if item == "M":
            layers.append(MaxPool2d(2))
        else:
            layers += [Conv2d(channels, item, 3, padding=1), ReLU()]
            channels = item
    layers += [
        AdaptiveAvgPool2d(7), Flatten(),
        Linear(512 * 7 * 7, 4096), ReLU(), Dropout(),
        Linear(4096, 4096), ReLU(), Dropout(),
        Linear(4096, num_classes),
    ]
    return layers


def _resnet_stem():
    return [Conv2d(3, 64, 7, 2, 3, bias=False), BatchNorm2d(64), ReLU(), MaxPool2d(3, 2, 1)]


def resnet18(num_classes=1000):
    """ResNet-18 (He et al., 2016) as in torchvision: 11,689,512 parameters.

    A 7x7 stem, then four stages of two :func:`BasicBlock` s with 64, 128,
    256 and 512 channels (each stage after the first halves the size), global
    average pooling and one dense layer.
    """
    layers, channels = _resnet_stem(), 64
    for stage, width in enumerate((64, 128, 256, 512)):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(BasicBlock(channels, width, stride))
            channels = width
    return layers + [AdaptiveAvgPool2d(1), Flatten(), Linear(512, num_classes)]


def resnet50(num_classes=1000):
    """ResNet-50 (He et al., 2016) as in torchvision (v1.5): 25,557,032 parameters.

    The same stem, then 3, 4, 6 and 3 :func:`Bottleneck` blocks of widths
    64, 128, 256 and 512, each expanding to four times its width.
    """
    layers, channels = _resnet_stem(), 64
    for stage, (width, blocks) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True)):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(Bottleneck(channels, width, stride))
            channels = width * 4
    return layers + [AdaptiveAvgPool2d(1), Flatten(), Linear(2048, num_classes)]


def _conv_bn(in_channels, out_channels, kernel_size, stride=1, groups=1, act=ReLU):
    """Convolution without bias, batch normalisation, activation (torchvision's
    ``Conv2dNormActivation`` and GoogLeNet's ``BasicConv2d``); padding keeps the grid."""
    layers = [Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                     bias=False, groups=groups),
              BatchNorm2d(out_channels)]
    return layers + ([act()] if act is not None else [])


def Inception(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):  # noqa: N802
    """GoogLeNet's Inception module: four parallel branches, concatenated.

    1x1; 1x1 then 3x3; 1x1 then a larger kernel; 3x3 max pooling then 1x1.
    The 1x1 convolutions in front of the 3x3 and larger kernels reduce the
    channels first, which is where the module saves its parameters. As in
    torchvision (whose weights were ported with this quirk), the "5x5" branch
    uses a 3x3 kernel; every convolution is followed by BatchNorm and ReLU.
    """
    return Concat((
        _conv_bn(in_channels, ch1x1, 1),
        _conv_bn(in_channels, ch3x3red, 1) + _conv_bn(ch3x3red, ch3x3, 3),
        _conv_bn(in_channels, ch5x5red, 1) + _conv_bn(ch5x5red, ch5x5, 3),
        [MaxPool2d(3, 1, 1, ceil_mode=True)] + _conv_bn(in_channels, pool_proj, 1),
    ), name="Inception")


GOOGLENET_INCEPTIONS = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


def googlenet(num_classes=1000):
    """GoogLeNet (Szegedy et al., 2015) as in torchvision, without the two
    auxiliary classifiers (used only in training): 6,624,904 parameters."""
    inc = {k: Inception(*v) for k, v in GOOGLENET_INCEPTIONS.items()}
    return [
        *_conv_bn(3, 64, 7, 2), MaxPool2d(3, 2, ceil_mode=True),
        *_conv_bn(64, 64, 1), *_conv_bn(64, 192, 3), MaxPool2d(3, 2, ceil_mode=True),
        inc["3a"], inc["3b"], MaxPool2d(3, 2, ceil_mode=True),
        inc["4a"], inc["4b"], inc["4c"], inc["4d"], inc["4e"], MaxPool2d(2, 2, ceil_mode=True),
        inc["5a"], inc["5b"],
        AdaptiveAvgPool2d(1), Flatten(), Dropout(0.2), Linear(1024, num_classes),
    ]


def InvertedResidual(in_channels, out_channels, stride, expand_ratio, kernel_size=3,  # noqa: N802
                     act=ReLU6, se_squeeze=None):
    """MobileNetV2's block (and, with ``act=SiLU`` and a squeeze-excite, EfficientNet's MBConv).

    A 1x1 convolution expands the channels ``expand_ratio`` times, a
    *depthwise* ``kernel_size`` convolution filters each channel on its own,
    and a 1x1 convolution projects back down, without an activation (the
    "linear bottleneck"). The input is added when the shape is unchanged.
    """
    hidden = in_channels * expand_ratio
    main = []
    if expand_ratio != 1:
        main += _conv_bn(in_channels, hidden, 1, act=act)
    main += _conv_bn(hidden, hidden, kernel_size, stride, groups=hidden, act=act)
    if se_squeeze is not None:
        main.append(SqueezeExcite(hidden, se_squeeze))
    main += _conv_bn(hidden, out_channels, 1, act=None)
    name = "MBConv" if se_squeeze is not None else "InvertedResidual"
    if stride == 1 and in_channels == out_channels:
        return [Residual(main, relu_after=False, name=name)]
    return main


MOBILENET_V2_SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
"""MobileNetV2's stages: expansion t, output channels c, blocks n, first stride s."""


def mobilenet_v2(num_classes=1000):
    """MobileNetV2 (Sandler et al., 2018) as in torchvision: 3,504,872 parameters."""
    layers, channels = _conv_bn(3, 32, 3, 2, act=ReLU6), 32
    for t, c, n, s in MOBILENET_V2_SETTING:
        for i in range(n):
            layers += InvertedResidual(channels, c, s if i == 0 else 1, t)
            channels = c
    return layers + [*_conv_bn(channels, 1280, 1, act=ReLU6), AdaptiveAvgPool2d(1), Flatten(),
                     Dropout(0.2), Linear(1280, num_classes)]


EFFICIENTNET_B0_SETTING = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
                           (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
                           (6, 3, 1, 192, 320, 1))
"""EfficientNet-B0's stages: expansion, kernel, first stride, channels in and out, blocks."""


def efficientnet_b0(num_classes=1000):
    """EfficientNet-B0 (Tan and Le, 2019) as in torchvision: 5,288,548 parameters.

    MobileNetV2's blocks with SiLU, squeeze-and-excitation (squeezing to a
    quarter of the block's *input* channels) and some 5x5 depthwise kernels.
    """
    layers = _conv_bn(3, 32, 3, 2, act=SiLU)
    for expand, k, stride, c_in, c_out, n in EFFICIENTNET_B0_SETTING:
        for i in range(n):
            block_in = c_in if i == 0 else c_out
            layers += InvertedResidual(block_in, c_out, stride if i == 0 else 1, expand, k,
                                       act=SiLU, se_squeeze=max(1, block_in // 4))
    return layers + [*_conv_bn(320, 1280, 1, act=SiLU), AdaptiveAvgPool2d(1), Flatten(),
                     Dropout(0.2), Linear(1280, num_classes)]


def ConvNeXtBlock(channels):  # noqa: N802
    """ConvNeXt's block: depthwise 7x7, layer norm, 1x1 up to 4x, GELU, 1x1 down,
    layer scale, plus the input (the transformer's MLP block in convolutions)."""
    main = (Conv2d(channels, channels, 7, padding=3, groups=channels), LayerNorm2d(channels),
            Conv2d(channels, 4 * channels, 1), GELU(), Conv2d(4 * channels, channels, 1),
            LayerScale(channels))
    return Residual(main, relu_after=False, name="ConvNeXtBlock")


def convnext_tiny(num_classes=1000):
    """ConvNeXt-T (Liu et al., 2022) as in torchvision: 28,589,128 parameters.

    A 4x4 stride-4 "patchify" stem, four stages of 3, 3, 9 and 3 blocks with
    96, 192, 384 and 768 channels, each later stage entered through layer
    norm and a 2x2 stride-2 convolution; global average pooling, layer norm
    and one dense layer. (torchvision's ``Linear`` layers inside the block act
    on each position, which is what a 1x1 convolution computes.)
    """
    widths, depths = (96, 192, 384, 768), (3, 3, 9, 3)
    layers = [Conv2d(3, 96, 4, 4), LayerNorm2d(96)]
    for stage, (width, depth) in enumerate(zip(widths, depths, strict=True)):
        if stage > 0:
            layers += [LayerNorm2d(widths[stage - 1]), Conv2d(widths[stage - 1], width, 2, 2)]
        layers += [ConvNeXtBlock(width) for _ in range(depth)]
    return layers + [AdaptiveAvgPool2d(1), LayerNorm2d(768), Flatten(), Linear(768, num_classes)]


_TORCHVISION = "torchvision model documentation, {}_Weights.IMAGENET1K_V1 (num_params)"

NETWORKS = {
    "lenet5": dict(build=lenet5, input_shape=(1, 32, 32), title="LeNet-5", year=1998,
                   published=61_706,
                   source="hand count of LeNet-5's layer sizes (LeCun et al., 1998), every layer "
                          "fully connected; the paper's own network has 60,000 parameters"),
    "alexnet": dict(build=alexnet, input_shape=(3, 224, 224), title="AlexNet", year=2012,
                    published=61_100_840, gmacs=0.71, source=_TORCHVISION.format("AlexNet")),
    "vgg16": dict(build=vgg16, input_shape=(3, 224, 224), title="VGG-16", year=2014,
                  published=138_357_544, gmacs=15.47, source=_TORCHVISION.format("VGG16")),
    "resnet18": dict(build=resnet18, input_shape=(3, 224, 224), title="ResNet-18", year=2015,
                     published=11_689_512, gmacs=1.81, source=_TORCHVISION.format("ResNet18")),
    "resnet50": dict(build=resnet50, input_shape=(3, 224, 224), title="ResNet-50", year=2015,
                     published=25_557_032, gmacs=4.09, source=_TORCHVISION.format("ResNet50")),
    "googlenet": dict(build=googlenet, input_shape=(3, 224, 224), title="GoogLeNet", year=2014,
                      published=6_624_904, gmacs=1.50, source=_TORCHVISION.format("GoogLeNet")),
    "mobilenet_v2": dict(build=mobilenet_v2, input_shape=(3, 224, 224), title="MobileNetV2",
                         year=2018, published=3_504_872, gmacs=0.30,
                         source=_TORCHVISION.format("MobileNet_V2")),
    "efficientnet_b0": dict(build=efficientnet_b0, input_shape=(3, 224, 224),
                            title="EfficientNet-B0", year=2019, published=5_288_548, gmacs=0.39,
                            source=_TORCHVISION.format("EfficientNet_B0")),
    "convnext_tiny": dict(build=convnext_tiny, input_shape=(3, 224, 224), title="ConvNeXt-T",
                          year=2022, published=28_589_128, gmacs=4.46,
                          source=_TORCHVISION.format("ConvNeXt_Tiny")),
}
"""The reference networks: builder, input shape, published parameter count and its source.

``gmacs`` is the "GFLOPS" column of torchvision's tables, which counts
multiply-accumulates, in billions, rounded to two decimals.
"""

PUBLISHED_PARAMETERS = {name: info["published"] for name, info in NETWORKS.items()}
PUBLISHED_GMACS = {name: info["gmacs"] for name, info in NETWORKS.items() if "gmacs" in info}


def spec(name):
    """The list of layer specs of a reference network, by name."""
    try:
        return NETWORKS[name]["build"]()
    except KeyError:
        raise ValueError(f"unknown network {name!r}; choose from {sorted(NETWORKS)}") from None


def input_shape(name):
    """The input shape ``(C, H, W)`` a reference network is defined for."""
    return NETWORKS[name]["input_shape"]

