"""``Sequential``: modules applied one after another, backward in reverse."""

from .module import Module


class Sequential(Module):
    """Modules applied one after another; backward runs them in reverse.

    ``model[i]`` is the i-th module and ``model[a:b]`` a new Sequential of the
    same (shared, not copied) modules, so ``model[:4]`` is the front of a
    trained network, ready to be reused as a feature extractor. The slice is in
    the parent's mode: ``model.eval()[:4].training`` is ``False``.
    """

    def __init__(self, *modules):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential holds Modules, got {type(module).__name__}")
        setattr(self, str(len(self._module_names)), module)
        return self

    def _layers(self):
        return [getattr(self, name) for name in self._module_names]

    def __getitem__(self, index):
        layers = self._layers()
        if isinstance(index, slice):
            # The layers are shared and keep their own mode; the new container
            # takes the parent's, as model[:4].training should read.
            part = Sequential(*layers[index])
            object.__setattr__(part, "training", self.training)
            return part
        return layers[index]

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return iter(self._layers())

    def forward(self, x):
        for layer in self._layers():
            x = layer(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self._layers()):
            grad_out = layer.backward(grad_out)
        return grad_out
