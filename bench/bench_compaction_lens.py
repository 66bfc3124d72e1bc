#!/usr/bin/env python3
"""Benchmark: compaction snapshot diffs on big transcripts, as a ratio to a floor.

A manual compaction snapshot of `--messages` messages is diffed against the transcript
after it, in three shapes:

* typical   – the usual compaction: everything but the last 12 messages archived, a summary added;
* repeated  – the snapshot is one message repeated (tool results such as "ok"), half kept;
* shuffled  – two alternating messages against the same two swapped (no common ends),
  which makes difflib quadratic; `align` falls back to its greedy matcher.

The floor, measured in the same run, is the irreducible work: reducing every message of
both sides to its text (`message_text`). `snapshot_diff` should stay within ~5x of it on
every shape (difflib alone takes minutes on the last two at 20k messages).

    python bench/bench_compaction_lens.py [--messages 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace
from typing import Any

from harn_tui.core.analysis.compaction_lens import message_text, snapshot_diff


def _msg(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"type": "text", "text": text}]}


def shapes(n: int) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    typical = [_msg("user" if i % 2 else "assistant", f"message {i} " + "x" * 300) for i in range(n)]
    same = [_msg("tool", "ok")] * n
    ab = [_msg("user", "a"), _msg("assistant", "b")] * (n // 2)
    ba = [_msg("assistant", "b"), _msg("user", "a")] * (n // 4)
    return {
        "typical": (typical, [_msg("user", "summary"), *typical[-12:]]),
        "repeated": (same, [_msg("user", "summary"), *same[: n // 2]]),
        "shuffled": (ab, ba),
    }


def detail_for(before: list[Any], after: list[Any]) -> SimpleNamespace:
    event = {"id": "c1", "kind": "compaction",
             "metadata": {"mode": "manual", "snapshot_asset_id": "s1"}}
    transcript = {"id": "t", "messages": after, "events": [event],
                  "assets": [{"id": "s1", "data": {"messages": before}}]}
    return SimpleNamespace(normalized={"stages": [], "transcript": transcript})


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    record = {"id": "c1", "stage_id": None, "mode": "manual", "snapshot_asset_id": "s1"}
    worst = 0.0
    for name, (before, after) in shapes(args.messages).items():
        detail = detail_for(before, after)
        floor = best(lambda b=before, a=after: [message_text(m) for m in (*b, *a)], args.repeat)
        took = best(lambda d=detail: snapshot_diff(d, record), args.repeat)
        diff = snapshot_diff(detail, record)
        ratio = took / floor
        worst = max(worst, ratio)
        print(f"{name:9} {len(before):>6} → {len(after):>6} msgs  "
              f"-{len(diff.archived)} +{len(diff.added)} ={len(diff.kept)}  "
              f"diff {took * 1000:8.1f} ms  floor {floor * 1000:7.1f} ms  ratio {ratio:4.1f}x")
    print(f"worst ratio {worst:.1f}x (target ≤ 5x)")


if __name__ == "__main__":
    main()
