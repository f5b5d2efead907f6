"""Benchmark: ``python -m cnn_helpers.bench [--json FILE] [--quick] ...``.

1. ``conv2d`` forward and backward in float32 at three layer shapes: the
   loop version (:mod:`cnn_helpers.reference`), the vectorised one
   (:mod:`cnn_helpers.conv`) and ``torch.nn.functional`` (if importable).
   The loops are slow, so they run on a slice of the batch and their time is
   scaled up to the full batch (the work is linear in the batch size).
   cnn_helpers and torch take turns in blocks of calls, so both sample the same
   stretch of time; the "total" rows add forward and backward, one training step's share.
2. The book's digits CNN (:func:`cnn_helpers.models.train_digits_cnn`) trained
   on several seeds, and the same network, initial weights, optimiser,
   batch size, shuffling and augmentation in PyTorch (if importable).

Times are medians of repeats with ``time.perf_counter``, in milliseconds for
the convolutions and seconds for training. Nothing here is run by the tests
except a ``--quick`` smoke run.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

from . import reference
from ._threads import use_blas_threads
from .augment import RandomShift
from .conv import conv2d, conv2d_backward
from .data import load_digits
from .models import DIGITS_RECIPE, digits_cnn, train_digits_cnn
from .training import iterate_minibatches

ROUNDS = 4  # turns each implementation takes at a conv timing (see alternating_median_ms)

CONV_CASES = [
    # (input shape, weight shape, padding)
    ((64, 1, 28, 28), (8, 1, 3, 3), 1),
    ((64, 8, 14, 14), (16, 8, 3, 3), 1),
    ((32, 3, 32, 32), (32, 3, 5, 5), 2),
]


def _torch():
    """``torch`` if it can be imported, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def median_ms(fn, repeats, warmup=1):
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` calls."""
    return alternating_median_ms([fn], repeats, warmup=warmup)[0]


def alternating_median_ms(fns, repeats, rounds=1, warmup=1):
    """Median milliseconds of each of ``fns`` over ``repeats`` calls, taken in ``rounds`` turns.

    On a shared machine the speed drifts over seconds, so comparing libraries timed one after
    the other is unfair to whichever ran in a slow spell. Here each function in turn gets a
    block of ``repeats // rounds`` timed calls, round after round, so all of them sample the
    same stretch of time. Each block starts with ``warmup`` untimed calls: right after another
    library ran, its idle threads still spin for a while and would slow the first calls down
    (call-by-call alternation doubled the forward times measured here).
    """
    per_block = max(1, repeats // rounds)
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, kept in zip(fns, times, strict=True):
            for _ in range(warmup):
                fn()
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                kept.append((time.perf_counter() - start) * 1e3)
    return [statistics.median(kept) for kept in times]


# --------------------------------------------------------------------------
# Part 1: conv2d
# --------------------------------------------------------------------------

def _conv_calls(x, w, b, g, padding, torch):
    """Forward and backward calls, by implementation, on the same float32 data."""
    calls = {"cnn_helpers": (lambda: conv2d(x, w, b, padding=padding),
                             lambda: conv2d_backward(g, x, w, padding=padding))}
    if torch is not None:
        F = torch.nn.functional
        xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
        gt = torch.from_numpy(g)
        yt = F.conv2d(xt, wt, bt, padding=padding)

        def torch_forward():
            with torch.no_grad():
                F.conv2d(xt, wt, bt, padding=padding)

        calls["torch"] = (torch_forward,
                          lambda: torch.autograd.grad(yt, (xt, wt, bt), gt, retain_graph=True))
    return calls


def bench_conv_case(x_shape, w_shape, padding, repeats, loop_images, loop_repeats, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    g = rng.standard_normal(conv2d(x, w, b, padding=padding).shape, dtype=np.float32)

    k = min(loop_images, x_shape[0])
    scale = x_shape[0] / k
    result = {"input": list(x_shape), "weight": list(w_shape), "padding": padding, "loop_images": k}
    forward = {"loops": scale * median_ms(lambda: reference.conv2d(x[:k], w, b, padding=padding),
                                          loop_repeats, warmup=0)}
    backward = {"loops": scale * median_ms(
        lambda: reference.conv2d_backward(g[:k], x[:k], w, padding=padding), loop_repeats, warmup=0)}
    calls = _conv_calls(x, w, b, g, padding, torch)
    names = list(calls)
    medians = alternating_median_ms([fn for name in names for fn in calls[name]], repeats,
                                    rounds=ROUNDS, warmup=3)
    for i, name in enumerate(names):
        forward[name], backward[name] = medians[2 * i], medians[2 * i + 1]
    result["forward_ms"], result["backward_ms"] = forward, backward
    # The speed target is on a training step's share: forward plus backward.
    result["total_ms"] = {name: forward[name] + backward[name] for name in forward}
    for part in ("forward", "backward", "total"):
        times = result[f"{part}_ms"]
        ratios = {"loops/cnn_helpers": times["loops"] / times["cnn_helpers"]}
        if "torch" in times:
            ratios["cnn_helpers/torch"] = times["cnn_helpers"] / times["torch"]
        result[f"{part}_ratios"] = ratios
    return result


def bench_conv(quick, torch, repeats=None):
    cases = CONV_CASES
    if quick:
        cases = [((2, *xs[1:]), ws, p) for xs, ws, p in CONV_CASES]
    repeats = repeats or (2 if quick else 40)
    loop_images, loop_repeats = (1, 1) if quick else (2, 3)
    return [bench_conv_case(xs, ws, p, repeats, loop_images, loop_repeats, torch)
            for xs, ws, p in cases]


# --------------------------------------------------------------------------
# Part 2: the digits CNN, here and in PyTorch
# --------------------------------------------------------------------------

def torch_digits_cnn(torch, seed):
    """The digits CNN in torch.nn, starting from the same weights as ``digits_cnn(seed)``."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 2 * 2, 10),
    )
    ours = digits_cnn(seed)
    state = {k: torch.from_numpy(v) for k, v in ours.state_dict().items()}
    model.load_state_dict(state)  # same names: "0.weight", ... "10.bias"
    return model


def train_torch_digits(torch, seed, data, epochs, batch_size, lr, max_shift, cosine):
    """Train the torch twin with the recipe of ``train_digits_cnn``; returns (accuracy, seconds)."""
    torch.manual_seed(seed)
    model = torch_digits_cnn(torch, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs) if cosine else None
    F = torch.nn.functional
    X, y = data.X_train, data.y_train
    y_t = torch.from_numpy(y)
    rng = np.random.default_rng(seed)
    shift = RandomShift(max_shift)
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for idx in iterate_minibatches(len(X), batch_size, rng):
            xb = shift(X[idx], rng) if max_shift else X[idx]
            logits = model(torch.from_numpy(xb))
            loss = F.cross_entropy(logits, y_t[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            # the same bookkeeping as cnn_helpers.training.fit
            loss.item()
            int((logits.argmax(1) == y_t[idx]).sum())
        if scheduler is not None:
            scheduler.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(data.X_test)).argmax(1).numpy()
    return float(np.mean(pred == data.y_test)), seconds


def bench_digits(seeds, epochs, torch, quick):
    data = load_digits()
    recipe = dict(DIGITS_RECIPE, epochs=epochs)
    result = {"seeds": list(seeds), **recipe, "test_accuracy": [], "train_seconds": []}
    if torch is not None:
        result.update(torch_test_accuracy=[], torch_train_seconds=[],
                      torch_threads=torch.get_num_threads())
    for seed in seeds:
        _, _, scores = train_digits_cnn(seed, epochs=epochs, data=data)
        result["test_accuracy"].append(scores["accuracy"])
        result["train_seconds"].append(scores["seconds"])
        line = f"  seed {seed}: accuracy {scores['accuracy']:.4f} in {scores['seconds']:.1f} s"
        if torch is not None:
            acc, sec = train_torch_digits(torch, seed, data, **recipe)
            result["torch_test_accuracy"].append(acc)
            result["torch_train_seconds"].append(sec)
            line += f"; torch {acc:.4f} in {sec:.1f} s"
        print(line, file=sys.stderr, flush=True)
    result["mean_test_accuracy"] = float(np.mean(result["test_accuracy"]))
    if torch is not None:
        result["mean_torch_test_accuracy"] = float(np.mean(result["torch_test_accuracy"]))
        result["time_ratio_cnn_helpers/torch"] = (
            sum(result["train_seconds"]) / sum(result["torch_train_seconds"]))
    return result


# --------------------------------------------------------------------------
# Printing and command line
# --------------------------------------------------------------------------

def _fmt(value):
    return "-" if value is None else f"{value:10.2f}"


def conv_table(rows):
    lines = [
        "conv2d, float32, median ms (loops: timed on a batch slice and scaled to the full batch)",
        f"{'input x weight, pad':<34} {'pass':<8} {'loops':>10} {'numpy':>10} {'torch':>10}"
        f" {'loops/np':>9} {'np/torch':>9}",
    ]
    for r in rows:
        label = f"{tuple(r['input'])}x{tuple(r['weight'])} p{r['padding']}"
        for part in ("forward", "backward", "total"):
            t, q = r[f"{part}_ms"], r[f"{part}_ratios"]
            np_torch = q.get("cnn_helpers/torch")
            lines.append(
                f"{label:<34} {part:<8} {_fmt(t['loops'])} {_fmt(t['cnn_helpers'])}"
                f" {_fmt(t.get('torch'))} {q['loops/cnn_helpers']:9.1f}"
                f" {'-' if np_torch is None else format(np_torch, '9.2f'):>9}")
            label = ""
    return "\n".join(lines)


def digits_table(d):
    schedule = " with cosine decay" if d["cosine"] else ""
    lines = [f"digits CNN: {d['epochs']} epochs, batch {d['batch_size']}, Adam lr {d['lr']}{schedule}, "
             f"shifts up to {d['max_shift']} px",
             f"{'seed':>4} {'test acc':>9} {'seconds':>8} {'torch acc':>10} {'torch s':>8}"]
    has_torch = "torch_train_seconds" in d
    for i, seed in enumerate(d["seeds"]):
        row = f"{seed:>4} {d['test_accuracy'][i]:9.4f} {d['train_seconds'][i]:8.2f}"
        if has_torch:
            row += f" {d['torch_test_accuracy'][i]:10.4f} {d['torch_train_seconds'][i]:8.2f}"
        lines.append(row)
    row = f"{'mean':>4} {d['mean_test_accuracy']:9.4f} {np.mean(d['train_seconds']):8.2f}"
    if has_torch:
        row += (f" {d['mean_torch_test_accuracy']:10.4f} {np.mean(d['torch_train_seconds']):8.2f}"
                f"   (time ratio cnn_helpers/torch {d['time_ratio_cnn_helpers/torch']:.2f})")
    lines.append(row)
    return "\n".join(lines)


_blas_limiter = None  # keeps threadpoolctl's limit alive for the whole run


def _limit_threads(n, torch):
    global _blas_limiter
    from threadpoolctl import threadpool_limits

    _blas_limiter = threadpool_limits(limits=n, user_api="blas")
    if torch is not None:
        torch.set_num_threads(n)


def environment(torch):
    from threadpoolctl import threadpool_info

    env = {"python": platform.python_version(), "numpy": np.__version__,
           "machine": platform.machine(), "processor": platform.processor(),
           "cpus": os.cpu_count(),
           "numpy_blas_threads": [i["num_threads"] for i in threadpool_info()
                                  if i["user_api"] == "blas"]}
    if hasattr(os, "getloadavg"):
        env["load_average_at_start"] = os.getloadavg()
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_threads"] = torch.get_num_threads()
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnn_helpers.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run: batch of 2, one seed, one epoch")
    parser.add_argument("--parts", default="conv,digits",
                        help="comma-separated parts to run: conv, digits (default both)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds, 0..N-1 (default 5)")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"training epochs (default {DIGITS_RECIPE['epochs']})")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per conv timing")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparisons")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both numpy's BLAS and torch (default: their own defaults)")
    args = parser.parse_args(argv)

    torch = None if args.no_torch else _torch()
    if args.threads is not None:
        _limit_threads(args.threads, torch)
    else:  # the libraries' own defaults, not the one thread the book runs with
        use_blas_threads(None)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - {"conv", "digits"}
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    report = {"environment": environment(torch), "quick": args.quick}
    env = report["environment"]
    print(f"numpy {env['numpy']} (BLAS threads {env['numpy_blas_threads']})"
          + (f", torch {env['torch']} ({env['torch_threads']} threads)" if torch else "")
          + (f", load average {env['load_average_at_start'][0]:.1f} on {env['cpus']} cpus"
             if "load_average_at_start" in env else ""), end="\n\n")
    if torch is None:
        print("torch not importable: PyTorch columns are left out", file=sys.stderr)

    if "conv" in parts:
        report["conv2d"] = bench_conv(args.quick, torch, args.repeats)
        print(conv_table(report["conv2d"]), end="\n\n", flush=True)
    if "digits" in parts:
        seeds = range(1 if args.quick else args.seeds)
        epochs = 1 if args.quick and args.epochs is None else (args.epochs or DIGITS_RECIPE["epochs"])
        report["digits"] = bench_digits(seeds, epochs, torch, args.quick)
        print(digits_table(report["digits"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    main()
