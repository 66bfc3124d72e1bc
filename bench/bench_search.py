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

The literals come from the corpus: an id group for the word and substring queries (the
generated prose is one small pool, so its real words are in most runs) and a two-word phrase
found in about 1% of the sampled runs. The machine may be shared:
compare the ratios, not the seconds.

    python bench/bench_search.py [--runs 10000] [--corpus DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import ensure_corpus, floor
from installed import child_env, run_measured


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
    return child_env(HARN_TUI_CACHE_DIR=str(cache))


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[:300]}")
    return elapsed, proc.stdout


def pick_literals(root: Path, files: list[Path]) -> tuple[str, str, str]:
    """(word, phrase, substring) of the indexed text found in roughly 1% of the run files."""
    import orjson

    from harn_tui.core.search.extract import record_pieces

    rng = random.Random(12)
    sample = rng.sample(files, min(300, len(files)))
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    texts = []
    for f in sample:
        text = "\n".join(p.text for p in record_pieces(orjson.loads(f.read_bytes()))).lower()
        texts.append(text)
        tokens = [t for t in re.findall(r"(?<![a-z0-9_])[a-z]{7,}(?![a-z0-9_])", text)
                  if not set(t) <= set("abcdef")]
        words.update(set(tokens))
        pairs.update({f"{a} {b}" for a, b in itertools.pairwise(tokens) if f"{a} {b}" in text})
    target = max(1, len(sample) // 100)

    def near(counter: Counter[str]) -> str:
        """The candidate in about 1% of the files, as a word AND as a substring (so rg's
        lines and our hits count the same places)."""
        pool = sorted(w for w in counter if target <= counter[w] <= 3 * target) or sorted(counter)
        close = random.Random(5).sample(pool, min(150, len(pool)))

        def substring_df(w: str) -> int:
            return sum(1 for t in texts if w in t)

        return min(close, key=lambda w: (abs(substring_df(w) - counter[w]), abs(counter[w] - target), w))

    # The generated prose comes from one small pool (every real word is in most runs), so the
    # needle for the word and substring queries is an id: the run's short id in its worktree
    # branch (`harn/<workflow>-<8 hex>`), also in its paths ("where is this run mentioned?").
    word = ""
    for f in files[len(files) // 3:]:
        branch = (orjson.loads(f.read_bytes()).get("execution") or {}).get("branch") or ""
        if "-" in branch:
            word = branch.rsplit("-", 1)[-1]
            break
    phrase = near(pairs)
    return word, phrase, word[1:-1]


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
        build, _out, _err, _code, rss = run_measured(
            [binary, "grep", word, str(root), "--limit", "1"], env)
        from harn_tui.core.search.store import SearchIndex

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

        from harn_tui.core.search.query import parse_search, run_search
        from harn_tui.screens.search import MAX_HITS

        typed = []
        for pattern in (word, f'"{phrase}"', f"*{sub}*"):
            reader = index.reader()
            t0 = time.perf_counter()
            list(run_search(reader, parse_search(pattern), limit=MAX_HITS))
            typed.append(time.perf_counter() - t0)
            reader.close()
        app_ms = max(typed) * 1000
        print(f"query typed in the app (first {MAX_HITS} hits, in process): {app_ms:.0f} ms"
              "   (target <= 100 ms)")

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
              and one <= 0.1 and app_ms <= 100)
        print("RESULT:", "all targets met" if ok else "target missed")
        return 0 if ok else 1
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
