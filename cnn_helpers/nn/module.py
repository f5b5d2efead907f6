"""``Parameter`` and ``Module``, the base of every layer (``torch.nn.Module``).

A Module registers its parameters, buffers and sub-modules as they are set;
it walks that tree for ``parameters()``, ``train()``/``eval()``,
``freeze()``, dtype casts, ``state_dict()`` and saving to ``.npz``.
"""

import os
from collections import OrderedDict

import numpy as np


class Parameter:
    """A trainable array: ``data``, its gradient ``grad`` and ``requires_grad``.

    ``grad`` is ``None`` until a backward pass adds to it; backward passes
    accumulate, so call ``zero_grad()`` between steps, as in PyTorch.
    A parameter with ``requires_grad=False`` (a frozen one) collects no gradient.
    """

    __slots__ = ("data", "grad", "requires_grad")

    def __init__(self, data, requires_grad=True):
        self.data = np.asarray(data)
        self.grad = None
        self.requires_grad = requires_grad

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    def accumulate_grad(self, grad):
        """Add ``grad`` to ``.grad`` (nothing happens when frozen)."""
        if not self.requires_grad:
            return
        if grad.shape != self.data.shape:
            raise ValueError(f"gradient of shape {grad.shape} for a parameter of shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=True)
        else:
            self.grad += grad

    def __repr__(self):
        frozen = "" if self.requires_grad else ", requires_grad=False"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}{frozen})"


class Module:
    """Base class of every layer and model.

    Subclasses set parameters, buffers (arrays saved with the model but not
    trained, such as BatchNorm's running statistics) and sub-modules as
    attributes in ``__init__``, and implement ``forward`` and ``backward``.
    """

    def __init__(self):
        object.__setattr__(self, "_param_names", [])
        object.__setattr__(self, "_buffer_names", [])
        object.__setattr__(self, "_module_names", [])
        object.__setattr__(self, "_cache", None)
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        # Remember attribute names by kind, in order, as torch's registries do.
        if "_param_names" not in self.__dict__:
            raise RuntimeError(f"call super().__init__() in {type(self).__name__}.__init__ first")
        if isinstance(value, Parameter):
            _append_once(self._param_names, name)
        elif isinstance(value, Module):
            _append_once(self._module_names, name)
        object.__setattr__(self, name, value)

    def register_buffer(self, name, array):
        """Keep ``array`` as attribute ``name``, saved in ``state_dict`` but not trained."""
        _append_once(self._buffer_names, name)
        object.__setattr__(self, name, array)

    # --- forward and backward ------------------------------------------------

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__} has no backward()")

    def __call__(self, x):
        return self.forward(x)

    def _saved(self):
        """What ``forward`` cached, or a clear error if there was no forward."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")
        return self._cache

    # --- walking the tree -----------------------------------------------------

    def named_children(self):
        for name in self._module_names:
            module = getattr(self, name)
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """This module and all below it, as ``(dotted name, module)``."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix=""):
        """``(dotted name, Parameter)`` for every parameter, e.g. ``'0.weight'``."""
        seen = set()
        for mod_name, module in self.named_modules(prefix):
            for name in module._param_names:
                param = getattr(module, name)
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{mod_name}.{name}" if mod_name else name), param

    def parameters(self):
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self, prefix=""):
        for mod_name, module in self.named_modules(prefix):
            for name in module._buffer_names:
                buf = getattr(module, name)
                if buf is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), buf

    def num_parameters(self, trainable_only=False):
        """How many numbers the model learns (only unfrozen ones if asked)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # --- modes -------------------------------------------------------------------

    def zero_grad(self, set_to_none=True):
        """Forget accumulated gradients (``None`` by default, as in torch)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.fill(0)

    def train(self, mode=True):
        """Training mode (Dropout drops, BatchNorm uses batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (Dropout is the identity, BatchNorm uses running statistics)."""
        return self.train(False)

    def freeze(self):
        """Stop training this module's parameters.

        Gradients still flow through it to earlier layers; only its own
        parameters stop collecting them, so optimisers leave them alone.
        BatchNorm running statistics still update in training mode, as in
        torch; call ``eval()`` on the module too to fix them.
        """
        for p in self.parameters():
            p.requires_grad = False
            p.grad = None
        return self

    def unfreeze(self):
        for p in self.parameters():
            p.requires_grad = True
        return self

    # --- dtype ---------------------------------------------------------------------

    def to(self, dtype):
        """Cast parameters, gradients and floating buffers to ``dtype`` in place."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = p.grad.astype(dtype)
        for module in self.modules():
            for name in module._buffer_names:
                buf = getattr(module, name)
                if buf is not None and np.issubdtype(buf.dtype, np.floating):
                    object.__setattr__(module, name, buf.astype(dtype))
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # --- saving --------------------------------------------------------------------

    def state_dict(self):
        """Copies of every parameter and buffer, by dotted name, as in torch."""
        state = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = p.data.copy()
        for name, buf in self.named_buffers():
            state[name] = np.array(buf, copy=True)
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into this module's parameters and buffers.

        With ``strict=True`` the names must match exactly. Shapes must always
        match; values are cast to the module's dtypes.
        """
        own = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        expected = set(own) | set(buffers)
        missing = sorted(expected - set(state_dict))
        unexpected = sorted(set(state_dict) - expected)
        if strict and (missing or unexpected):
            raise KeyError(f"state_dict does not fit {type(self).__name__}: "
                           f"missing {missing}, unexpected {unexpected}")
        for name, value in state_dict.items():
            value = np.asarray(value)
            target = own[name].data if name in own else buffers.get(name)
            if target is None:
                continue
            if value.shape != target.shape:
                raise ValueError(f"{name}: saved shape {value.shape} does not fit "
                                 f"the model's shape {target.shape}")
            target[...] = value  # in place, so optimisers keep their references
        return self

    def save(self, path):
        """Write ``state_dict()`` to an ``.npz`` file (numpy adds the suffix if missing)."""
        np.savez(path, **self.state_dict())

    def load(self, path, strict=True):
        """Read weights saved by :meth:`save` into this module; returns the module."""
        path = str(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        with np.load(path) as archive:
            return self.load_state_dict({k: archive[k] for k in archive.files}, strict=strict)

    # --- printing ------------------------------------------------------------------

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"


def _append_once(names, name):
    if name not in names:
        names.append(name)
