#!/usr/bin/env python3
"""Benchmark: full-text search (`harn-tui grep`) on the benchmark run root, as ratios.

Floors measured in the same run: the orjson floor (read + parse every run file
once, one core) for the index build, and `rg -i -F` (Debian's ripgrep) searching
the same files for the same literal for the queries. Targets (issue #12):

* index build from cold <= 3x the orjson floor, peak RSS <= 300 MB;
* a word / phrase query, warm, whole `harn-tui grep` process <= 0.1x `rg`;
* a substring query <= 0.25x `rg`;
* one changed run file re-indexed in <= 100 ms (in process, the watcher's path);
* index size on disk reported, <= 1.0x the corpus.

The literals are picked from the corpus (words in about 1% of the runs), so both
tools print a comparable, modest number of lines. The machine may be shared:
compare the ratios, not the seconds.

    python bench/bench_search.py [--runs 10000] [--corpus DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import ensure_corpus, floor


def ensure_rg() -> str:
    found = shutil.which("rg")
    if found:
        return found
    print("installing ripgrep (apt-get install -y ripgrep)…")
    subprocess.run(["apt-get", "install", "-y", "ripgrep"], check=False, capture_output=True)
    found = shutil.which("rg")
    if not found:
        raise SystemExit("ripgrep (rg) is needed: apt-get install -y ripgrep")
    return found


def env_for(cache: Path) -> dict[str, str]:
    env = dict(os.environ, HARN_TUI_CACHE_DIR=str(cache))
    for key in ("HARN_STATE_DIR", "HARN_EVENT_LOG_BACKEND", "HARN_EVENT_LOG_SQLITE_PATH",
                "HARN_EVENT_LOG_DIR"):
        env.pop(key, None)
    return env


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[:300]}")
    return elapsed, proc.stdout


def pick_literals(root: Path, files: list[Path]) -> tuple[str, str, str]:
    """(word, phrase, substring) found in roughly 1% of the run files."""
    rng = random.Random(12)
    sample = rng.sample(files, min(300, len(files)))
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for f in sample:
        text = f.read_text(errors="replace").lower()
        tokens = re.findall(r"(?<![A-Za-z\\])[a-z]{7,}(?![A-Za-z])", text)
        words.update(set(tokens))
        pairs.update({f"{a} {b}" for a, b in itertools.pairwise(tokens)
                      if f"{a} {b}" in text})
    target = max(1, len(sample) // 100)
    texts = [f.read_text(errors="replace").lower() for f in sample]

    def near(counter: Counter[str]) -> str:
        """The candidate in about 1% of the files, as a word AND as a substring (so rg's
        lines and our hits count the same places)."""
        close = sorted((w for w in counter), key=lambda w: (abs(counter[w] - target), w))[:40]

        def substring_df(w: str) -> int:
            return sum(1 for t in texts if w in t)

        return min(close, key=lambda w: (abs(substring_df(w) - counter[w]), abs(counter[w] - target), w))

    word = near(words)
    phrase = near(pairs)
    # a fragment from inside a longer word, itself in about 1% of the files
    fragments = Counter({w[2:-2]: c for w, c in words.items() if len(w) >= 10})
    close = sorted(fragments, key=lambda w: (abs(fragments[w] - target), w))[:60]
    sub = min(close, key=lambda w: (abs(sum(1 for t in texts if w in t) - target), w))
    return word, phrase, sub


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path,
                        default=Path(tempfile.gettempdir()) / "harn-tui-bench-corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rg = ensure_rg()
    root = ensure_corpus(args.corpus / str(args.runs), args.runs)
    files = sorted(root.rglob("*.json"))
    size = sum(f.stat().st_size for f in files)
    print(f"corpus: {args.runs} runs, {size / 1e6:.0f} MB, {os.cpu_count()} cores")
    word, phrase, sub = pick_literals(root, files)
    print(f"literals: word {word!r}, phrase {phrase!r}, substring {sub!r}")
    binary = str(Path(sys.executable).with_name("harn-tui"))

    floor(root)  # warm the page cache
    f = min(floor(root) for _ in range(args.repeat))
    print(f"floor (read + orjson.loads, 1 core): {f:.3f}s")

    cache = Path(tempfile.mkdtemp(prefix="harn-tui-bench-search-"))
    env = env_for(cache)
    try:
        build, _ = timed([binary, "grep", word, str(root), "--limit", "1"], env)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        from harn_tui.core.search_index import SearchIndex

        index = SearchIndex(cache, root)
        index_bytes = index.size_bytes()
        print(f"index build cold: {build:.2f}s = {build / f:.2f}x floor   (target <= 3x)")
        print(f"peak RSS:         {rss} MB                  (target <= 300 MB)")
        print(f"index size:       {index_bytes / 1e6:.0f} MB = {index_bytes / size:.2f}x corpus"
              "   (target <= 1.0x)")

        results = []
        for kind, pattern, literal, target in (
            ("word", word, word, 0.1),
            ("phrase", f'"{phrase}"', phrase, 0.1),
            ("substring", f"*{sub}*", sub, 0.25),
        ):
            ours, rgs, hits = [], [], 0
            for _ in range(args.repeat):
                t, out = timed([binary, "grep", pattern, str(root)], env)
                ours.append(t)
                hits = out.count(b"\n")
                t, out_rg = timed([rg, "-i", "-F", "--no-heading", literal, str(root)])
                rgs.append(t)
            o, r = min(ours), min(rgs)
            lines = out_rg.count(b"\n")
            results.append(o / r <= target)
            print(f"{kind:9} query warm: {o * 1000:.0f} ms vs rg {r * 1000:.0f} ms = {o / r:.3f}x"
                  f"  (target <= {target}x; {hits} hits, rg {lines} lines)")

        victim = files[len(files) // 2]
        data = victim.read_bytes()
        times = []
        for i in range(args.repeat):
            victim.write_bytes(data)  # same content, new mtime: a rewrite by Harn
            os.utime(victim, ns=(time.time_ns(), time.time_ns() + i))
            t0 = time.perf_counter()
            touched = index.update_paths([victim])
            times.append(time.perf_counter() - t0)
            assert touched, "the rewritten file was not re-indexed"
        one = min(times)
        index.close()
        print(f"one changed file re-indexed: {one * 1000:.1f} ms   (target <= 100 ms)")
        ok = (build / f <= 3 and rss <= 300 and index_bytes <= size and all(results)
              and one <= 0.1)
        print("RESULT:", "all targets met" if ok else "target missed")
        return 0 if ok else 1
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
