"""Benchmark-only baseline: a Bradley-Terry bootstrap by Hunter's MM iteration in numpy.

Used by `dotnet run -c Release --project benchmarks/Judge.Benchmarks -- bt-bootstrap`, which writes the
battles file, runs this script (Debian's numpy: /usr/bin/python3) interleaved with the C# bootstrap and
compares the times. Not part of the product, not run by tests.

The same procedure as `Ratings.BradleyTerry` / `BiasReport.BradleyTerryWithIntervals`: a tie is half a win
for each side; MM step p_i <- W_i / sum_j n_ij / (p_i + p_j), rescaled to geometric mean 1, until no
strength changes by more than the tolerance (relative); the point fit at 1e-10 (at most 10,000 iterations),
each resample at 1e-8 (at most 2,000); resamples draw as many battles as there are, with replacement, and
count them per (pair, outcome) cell; ratings 400 log10(p) + 1000; 2.5 % and 97.5 % percentiles (numpy's
linear interpolation). Every model in the benchmark's data is connected and has wins and losses against
the others, so no rating is unbounded here (the C# side checks that on every resample; this script does not).

usage: /usr/bin/python3 bt_mm_numpy.py BATTLES.tsv RESAMPLES [--warm] [--out RESULT.tsv]
  BATTLES.tsv: one line per battle, "i<TAB>j<TAB>outcome" with model indices and outcome A, B or T.
  --warm: start each resample's fit from the point fit (as the C# bootstrap does), else from 1.
Prints "seconds <fit + bootstrap time, excluding reading the file>" and "iterations <total>".
"""
import sys
import time

import numpy as np


def fit(wins, games, p, max_iter, tol):
    """MM iterations on a k x k games matrix (symmetric) and the per-model credit vector."""
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)
        new = wins / denom
        new /= np.exp(np.log(new).mean())
        change = np.max(np.abs(new - p) / p)
        p = new
        if change < tol:
            break
    return p, iterations


def tables(k, first, second, cells):
    """Credit per model and the games matrix from per-(pair, outcome) counts."""
    a_wins, b_wins, ties = cells[:, 0], cells[:, 1], cells[:, 2]
    n = (a_wins + b_wins + ties).astype(float)
    wins = np.bincount(first, weights=a_wins + 0.5 * ties, minlength=k) + np.bincount(
        second, weights=b_wins + 0.5 * ties, minlength=k)
    games = np.zeros((k, k))
    games[first, second] = n
    games[second, first] = n
    return wins, games


def main():
    path, resamples = sys.argv[1], int(sys.argv[2])
    warm = "--warm" in sys.argv
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    raw = np.loadtxt(path, dtype=str, delimiter="\t")
    i = raw[:, 0].astype(np.int64)
    j = raw[:, 1].astype(np.int64)
    outcome = np.select([raw[:, 2] == "A", raw[:, 2] == "B"], [0, 1], 2)

    start = time.perf_counter()
    k = int(max(i.max(), j.max())) + 1
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    # Outcome seen from the lower-numbered model: 0 = it won, 1 = it lost, 2 = tie.
    flipped = np.where(outcome == 2, 2, np.where(i == lo, outcome, 1 - outcome))
    pair_keys, pair_of = np.unique(lo * k + hi, return_inverse=True)
    first, second = pair_keys // k, pair_keys % k
    code = pair_of * 3 + flipped
    cells_count = len(pair_keys) * 3
    n = len(code)

    point_cells = np.bincount(code, minlength=cells_count).reshape(-1, 3)
    wins, games = tables(k, first, second, point_cells)
    point, iterations = fit(wins, games, np.ones(k), 10_000, 1e-10)

    rng = np.random.default_rng(0)
    samples = np.empty((resamples, k))
    for r in range(resamples):
        cells = np.bincount(code[rng.integers(0, n, n)], minlength=cells_count).reshape(-1, 3)
        wins, games = tables(k, first, second, cells)
        p, it = fit(wins, games, point.copy() if warm else np.ones(k), 2_000, 1e-8)
        iterations += it
        samples[r] = 400 * np.log10(p) + 1000
    lower, upper = np.percentile(samples, [2.5, 97.5], axis=0)
    elapsed = time.perf_counter() - start

    print(f"seconds {elapsed:.4f}")
    print(f"iterations {iterations}")
    if out:
        with open(out, "w") as f:
            for m in range(k):
                f.write(f"{m}\t{400 * np.log10(point[m]) + 1000!r}\t{lower[m]!r}\t{upper[m]!r}\n")


if __name__ == "__main__":
    main()
