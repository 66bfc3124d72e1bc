"""What `ls` and the summary cache need, without the summary machinery (cheap to import).

A warm `harn-tui ls` touches only this module, the cache and the walk: the full
`RunSummary` (and the derivation code behind it) is imported only to parse new files.
"""

from __future__ import annotations

from typing import NamedTuple

#: Bump when the summary's shape or derivation changes (invalidates caches).
SUMMARY_VERSION = 7

#: `RunSummary`'s fields in order (checked against the dataclass when it is imported).
FIELDS: tuple[str, ...] = (
    "path", "id", "workflow_id", "workflow_name", "status", "started_at", "started_at_ms",
    "finished_at", "finished_at_ms", "duration_ms", "stage_count", "child_run_count",
    "hitl_question_count", "failure", "usage", "error", "status_group", "last_node_id", "task",
    "parent_run_id", "root_run_id", "pending_node_count", "skills", "hitl_request_ids",
    "session_ids", "size", "mtime_ns",
)


class Listed(NamedTuple):
    """A run as `ls` needs it: sort and filter keys, and its JSON document ready to print.

    Built from the cache without materializing a `RunSummary`, which keeps warm
    listings of thousands of runs cheap.
    """

    path: str
    mtime_ns: int
    started_at_ms: int | None
    duration_ms: int | None
    status_group: str
    workflow_name: str
    id: str
    search: str
    hitl_request_ids: list[str]
    broken: bool
    doc: bytes | memoryview  # a slice of the cache file when served from it

    def search_text(self) -> str:
        return self.search


#: Length of a cached listing entry: the Listed fields after path and mtime.
ENTRY_LEN = len(Listed._fields) - 2
