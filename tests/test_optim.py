"""Tests of cnn_helpers.optim against hand-computed updates and a quadratic."""

import numpy as np
import pytest

from cnn_helpers.nn import Parameter
from cnn_helpers.optim import SGD, Adam, CosineAnnealingLR, StepLR


def param(values, grad=None):
    p = Parameter(np.array(values, dtype=np.float64))
    if grad is not None:
        p.grad = np.array(grad, dtype=np.float64)
    return p


def test_sgd_plain_step():
    p = param([1.0, -2.0], grad=[0.5, 1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.1])


def test_sgd_momentum_and_weight_decay_by_hand():
    # p0 = 1, g = 2 each step, lr 0.1, momentum 0.9, weight decay 0.5:
    # step 1: g' = 2 + 0.5*1 = 2.5, buf = 2.5, p1 = 1 - 0.25 = 0.75
    # step 2: g' = 2 + 0.5*0.75 = 2.375, buf = 0.9*2.5 + 2.375 = 4.625,
    #         p2 = 0.75 - 0.4625 = 0.2875
    p = param([1.0], grad=[2.0])
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    opt.step()
    np.testing.assert_allclose(p.data, [0.75])
    opt.step()
    np.testing.assert_allclose(p.data, [0.2875])
    np.testing.assert_allclose(opt.state[id(p)]["momentum_buffer"], [4.625])


def test_sgd_nesterov_by_hand():
    # step 1: buf = g = 1, update g + m*buf = 1.5 -> p = 1 - 0.15
    p = param([1.0], grad=[1.0])
    SGD([p], lr=0.1, momentum=0.5, nesterov=True).step()
    np.testing.assert_allclose(p.data, [0.85])


def test_adam_bias_correction_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    p = param([1.0], grad=[2.0])
    opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    opt.step()
    # After one step the corrected averages are g and g**2: a step of lr*sign(g).
    np.testing.assert_allclose(p.data, [1.0 - lr * 2.0 / (2.0 + eps)])
    p.grad = np.array([-1.0])
    opt.step()
    m = b1 * (1 - b1) * 2.0 + (1 - b1) * -1.0
    v = b2 * (1 - b2) * 4.0 + (1 - b2) * 1.0
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    expected = 1.0 - lr * 2.0 / (2.0 + eps) - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(p.data, [expected], rtol=1e-12)
    assert opt.state[id(p)]["step"] == 2


def test_adam_weight_decay_is_added_to_the_gradient():
    p = param([2.0], grad=[0.0])
    Adam([p], lr=0.1, weight_decay=1.0).step()
    # g' = 0 + 1.0*2 = 2 > 0, so the first step is -lr.
    np.testing.assert_allclose(p.data, [1.9], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    lambda ps: Adam(ps, lr=0.05),
])
def test_converges_on_a_quadratic(make):
    # f(p) = 0.5 * sum(a * (p - c)**2), minimum at c.
    a = np.array([1.0, 4.0, 0.5])
    c = np.array([3.0, -1.0, 2.0])
    p = param(np.zeros(3))
    opt = make([p])
    for _ in range(500):
        opt.zero_grad()
        p.grad = a * (p.data - c)
        opt.step()
    np.testing.assert_allclose(p.data, c, atol=1e-3)


def test_frozen_and_gradless_parameters_are_skipped():
    frozen = param([1.0], grad=[1.0])
    frozen.requires_grad = False
    no_grad = param([1.0])
    for opt in (SGD([frozen, no_grad], lr=0.1, momentum=0.9), Adam([frozen, no_grad])):
        opt.step()
        assert frozen.data[0] == 1.0 and no_grad.data[0] == 1.0
        assert opt.state == {}


def test_param_groups_have_their_own_learning_rates():
    slow, fast = param([1.0], grad=[1.0]), param([1.0], grad=[1.0])
    opt = SGD([{"params": [slow], "lr": 0.01}, {"params": [fast]}], lr=0.1, momentum=0.0)
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    opt.step()
    np.testing.assert_allclose([slow.data[0], fast.data[0]], [0.99, 0.9])
    opt.param_groups[1]["lr"] = 0.0  # schedules change lr in place, as in torch
    opt.step()
    assert fast.data[0] == pytest.approx(0.9)
    assert "Parameter Group 0" in repr(opt)


def test_zero_grad_and_argument_errors():
    p = param([1.0], grad=[1.0])
    opt = Adam([p])
    opt.zero_grad()
    assert p.grad is None
    with pytest.raises(ValueError, match="more than one"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="unknown option"):
        SGD([{"params": [p], "betas": (0.9, 0.9)}], lr=0.1)
    with pytest.raises(TypeError, match="Parameters"):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        Adam([])
    with pytest.raises(ValueError, match="betas"):
        Adam([p], betas=(0.9, 1.0))


def test_float32_parameters_stay_float32():
    p = Parameter(np.ones(3, dtype=np.float32))
    p.grad = np.full(3, 0.5, dtype=np.float32)
    for opt in (SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-4), Adam([p], weight_decay=1e-4)):
        opt.step()
        assert p.data.dtype == np.float32


def test_step_lr_and_cosine_annealing_follow_torch_formulas():
    slow, fast = param([1.0]), param([1.0])
    opt = SGD([{"params": [slow], "lr": 0.01}, {"params": [fast]}], lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(sched.get_last_lr())
        sched.step()
    np.testing.assert_allclose(lrs, [[0.01, 0.1], [0.01, 0.1], [0.005, 0.05], [0.005, 0.05],
                                     [0.0025, 0.025]])

    opt = Adam([param([1.0])], lr=0.2)
    sched = CosineAnnealingLR(opt, T_max=4, eta_min=0.02)
    seen = [opt.param_groups[0]["lr"]]
    for _ in range(4):
        sched.step()
        seen.append(opt.param_groups[0]["lr"])
    expected = [0.02 + 0.18 * (1 + np.cos(np.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(seen, expected)
    assert seen[0] == pytest.approx(0.2) and seen[-1] == pytest.approx(0.02)
