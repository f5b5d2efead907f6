"""Chapter 8's experiment, outside the book: every strategy, budget and seed.

    python scripts/transfer_experiment.py                      # writes _build/transfer.json
    python scripts/transfer_experiment.py --out cnn_helpers/weights/transfer_results.json

For each number of labelled digits per class (1, 2, 5, 10, 20, 50) and each seed, it runs
``cnn_helpers.demos.transfer.run_cell``: scratch, linear probe, fine-tuning, linear probe
then fine-tuning and a probe on random features, plus three ablations: a linear probe and
fine-tuning on a source truncated to 1,040 letters (the fine-tuning at 1, 2 and 5 labels per
class only), and a linear probe on the full source's first block. Each strategy
chooses its learning rate and steps (scratch also whether to augment) on validation images,
from the same number of trials, with early stopping on validation; the test set is
scored once per run. Cells are independent and seeded, so they run in parallel
(``--jobs``) and give the same numbers in any order. The JSON lists, per strategy and budget, the test accuracies
in the order of the seeds.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402

from tqdm import tqdm  # noqa: E402

from cnn_helpers.demos import transfer  # noqa: E402


def _cell(args):
    per_class, seed, strategies = args
    start, cpu = time.perf_counter(), time.process_time()
    out = transfer.run_cell(per_class, seed, strategies)
    return per_class, seed, out, time.perf_counter() - start, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="_build/transfer.json")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--budgets", type=int, nargs="+", default=list(transfer.BUDGETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(transfer.SEEDS))
    parser.add_argument("--strategies", nargs="+",
                        default=list(transfer.STRATEGIES + transfer.ABLATIONS),
                        help="also: scratch_no_augmentation")
    parser.add_argument("--resume", nargs="*", default=[], metavar="CELLS_JSONL",
                        help="reuse the cells already recorded in these .cells.jsonl files "
                             "(the same code and seeds give the same cells)")
    args = parser.parse_args(argv)

    # The largest budgets take longest: start them first so the workers finish together.
    tasks = [(n, s, transfer.runs_at(n, tuple(args.strategies)))
             for n in sorted(args.budgets, reverse=True) for s in args.seeds]
    wanted = {n: set(strategies) for n, _, strategies in tasks}
    cells, seconds, cpu = {}, {}, {}
    reused = []
    for path in args.resume:
        for line in Path(path).read_text().splitlines():
            record = json.loads(line)
            key = (record["per_class"], record["seed"])
            if (key[0] in wanted and set(record["cell"]) == wanted[key[0]] and key not in cells
                    and key[0] in args.budgets and key[1] in args.seeds):
                cells[key] = record["cell"]
                seconds[f"{key[0]}/{key[1]}"] = record["seconds"]
                cpu[f"{key[0]}/{key[1]}"] = record["cpu_seconds"]
                reused.append(record)
    tasks = [task for task in tasks if task[:2] not in cells]
    # Each finished cell is also appended here at once, so a long run can be read early
    # (and resumed).
    partial = Path(args.out).with_suffix(".cells.jsonl")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text("".join(json.dumps(record) + "\n" for record in reused))
    load_start = os.getloadavg()
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(_cell, task) for task in tasks]
        for future in tqdm(as_completed(futures), total=len(futures), desc="cells",
                           unit="cell"):
            n, s, out, sec, cpu_sec = future.result()
            cells[(n, s)] = out
            seconds[f"{n}/{s}"] = round(sec, 1)
            cpu[f"{n}/{s}"] = round(cpu_sec, 1)
            with partial.open("a") as f:
                f.write(json.dumps({"per_class": n, "seed": s, "seconds": round(sec, 1),
                                    "cpu_seconds": round(cpu_sec, 1), "cell": out})
                        + "\n")
    wall = time.perf_counter() - start
    _, meta = transfer.load_source_model()
    results = transfer.collect(cells, sorted(args.budgets), args.seeds, meta)
    # The machine's load (1, 5, 15 minutes) at the start and the end: a shared machine
    # runs the same cells more slowly. The CPU time of the cells does not depend on the
    # load: divided by the number of processes, it is the wall time on idle cores.
    results["timing"] = {"wall_seconds": round(wall, 1), "jobs": args.jobs,
                         "cells_reused": len(reused),
                         "cpu_seconds": round(sum(cpu.values()), 1),
                         "load_average": {"start": [round(x, 1) for x in load_start],
                                          "end": [round(x, 1) for x in os.getloadavg()]},
                         "cell_seconds": seconds, "cell_cpu_seconds": cpu}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    if "scratch" in results["accuracy"]:
        print(transfer.summary_table(results))
    print("trials per strategy:", results["trials"])
    edges = transfer.grid_edges(results)
    for name, n, key, value, count, seeds in edges:
        print(f"at the edge: {name}, {n} labels/class: {key} = {value:g} in {count} of "
              f"{seeds} seeds")
    if not edges:
        print("no chosen setting sits at an end of its grid in most seeds of a budget")
    print(f"{len(tasks)} cells in {wall:.0f} s with {args.jobs} processes "
          f"({sum(cpu.values()) / 60:.1f} CPU-minutes); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
