"""Typed views over normalized Harn records.

A view wraps the dict produced by :func:`harn_tui.core.format.schema.fill` (every known
key present, unknown keys kept) and exposes its fields as typed attributes. Views
never copy: `view.raw` is the normalized object itself, ready for a JSON view.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, overload

from harn_tui.core.format import schema as S
from harn_tui.core.format.timestamps import parse_ms

T = TypeVar("T")
V = TypeVar("V", bound="View")


class Field(Generic[T]):
    """A typed attribute reading one key of the view's dict."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = self.key or name

    @overload
    def __get__(self, obj: None, owner: type) -> Field[T]: ...
    @overload
    def __get__(self, obj: View, owner: type) -> T: ...
    def __get__(self, obj: View | None, owner: type) -> Any:
        if obj is None:
            return self
        return obj.raw.get(self.key)


class Nested(Generic[V]):
    """An attribute holding one nested record (or None)."""

    def __init__(self, view: type[V], key: str | None = None) -> None:
        self.view, self.key = view, key or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = self.key or name

    def __get__(self, obj: View | None, owner: type) -> V | None:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.raw.get(self.key)
        return self.view(value) if isinstance(value, dict) else None


class Many(Generic[V]):
    """An attribute holding a list of nested records."""

    def __init__(self, view: type[V], key: str | None = None) -> None:
        self.view, self.key = view, key or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = self.key or name

    def __get__(self, obj: View | None, owner: type) -> list[V]:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.raw.get(self.key)
        if not isinstance(value, list):
            return []
        return [self.view(item) for item in value if isinstance(item, dict)]


class View:
    """Base of every record view: holds the normalized dict."""

    SCHEMA: ClassVar[S.Schema] = {}
    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @classmethod
    def from_raw(cls: type[V], raw: Any) -> V:
        """Normalize an arbitrary JSON value with this view's schema and wrap it."""
        return cls(S.fill(raw, cls.SCHEMA))

    def unknown_keys(self) -> dict[str, Any]:
        """Keys this version of harn-tui does not know, kept as they were."""
        return {k: v for k, v in self.raw.items() if k not in self.SCHEMA}

    def __repr__(self) -> str:
        ident = self.raw.get("id") or self.raw.get("node_id") or self.raw.get("worker_id") or ""
        return f"{type(self).__name__}({ident!r})"


class Usage(View):
    SCHEMA = S.USAGE
    input_tokens: Field[int] = Field()
    output_tokens: Field[int] = Field()
    total_duration_ms: Field[int] = Field()
    call_count: Field[int] = Field()
    total_cost: Field[float] = Field()
    models: Field[list[str]] = Field()


class Execution(View):
    SCHEMA = S.EXECUTION
    cwd: Field[str | None] = Field()
    adapter: Field[str | None] = Field()
    repo_path: Field[str | None] = Field()
    worktree_path: Field[str | None] = Field()
    branch: Field[str | None] = Field()
    base_ref: Field[str | None] = Field()
    env: Field[dict[str, Any]] = Field()


class Artifact(View):
    SCHEMA = S.ARTIFACT
    id: Field[str] = Field()
    kind: Field[str] = Field()
    title: Field[str | None] = Field()
    text: Field[str | None] = Field()
    data: Field[Any] = Field()
    source: Field[str | None] = Field()
    created_at: Field[str] = Field()
    estimated_tokens: Field[int | None] = Field()
    stage: Field[str | None] = Field()
    metadata: Field[dict[str, Any]] = Field()


class Attempt(View):
    SCHEMA = S.ATTEMPT
    attempt: Field[int] = Field()
    status: Field[str] = Field()
    outcome: Field[str] = Field()
    branch: Field[str | None] = Field()
    error: Field[str | None] = Field()
    verification: Field[Any] = Field()
    started_at: Field[str] = Field()
    finished_at: Field[str | None] = Field()


class Transcript(View):
    """A transcript object (stored verbatim by Harn; defaults applied on read)."""

    SCHEMA = S.TRANSCRIPT
    id: Field[str] = Field()
    messages: Field[list[Any]] = Field()
    events: Field[list[Any]] = Field()
    assets: Field[list[Any]] = Field()

    @property
    def summary(self) -> str | None:
        value = self.raw.get("summary")
        return value if isinstance(value, str) else None

    @property
    def state(self) -> str | None:
        value = self.raw.get("state")
        return value if isinstance(value, str) else None

    def asset(self, asset_id: str) -> dict[str, Any] | None:
        """The asset with this id, if the transcript carries it."""
        for asset in self.assets:
            if isinstance(asset, dict) and asset.get("id") == asset_id:
                return asset
        return None


class _TimedWithTranscript(View):
    """Shared by stages and runs: an embedded transcript and start/finish times."""

    __slots__ = ()

    @property
    def transcript(self) -> Transcript | None:
        value = self.raw.get("transcript")
        return Transcript.from_raw(value) if isinstance(value, dict) else None

    @property
    def started_ms(self) -> int | None:
        return parse_ms(self.raw.get("started_at"))

    @property
    def finished_ms(self) -> int | None:
        return parse_ms(self.raw.get("finished_at"))


class Stage(_TimedWithTranscript):
    SCHEMA = S.STAGE
    id: Field[str] = Field()
    node_id: Field[str] = Field()
    kind: Field[str] = Field()
    status: Field[str] = Field()
    outcome: Field[str] = Field()
    branch: Field[str | None] = Field()
    started_at: Field[str] = Field()
    finished_at: Field[str | None] = Field()
    visible_text: Field[str | None] = Field()
    private_reasoning: Field[str | None] = Field()
    verification: Field[Any] = Field()
    usage = Nested(Usage)
    artifacts = Many(Artifact)
    attempts = Many(Attempt)
    consumed_artifact_ids: Field[list[str]] = Field()
    produced_artifact_ids: Field[list[str]] = Field()
    metadata: Field[dict[str, Any]] = Field()



class Transition(View):
    SCHEMA = S.TRANSITION
    id: Field[str] = Field()
    from_stage_id: Field[str | None] = Field()
    from_node_id: Field[str | None] = Field()
    to_node_id: Field[str] = Field()
    branch: Field[str | None] = Field()
    timestamp: Field[str] = Field()


class Checkpoint(View):
    SCHEMA = S.CHECKPOINT
    id: Field[str] = Field()
    ready_nodes: Field[list[str]] = Field()
    completed_nodes: Field[list[str]] = Field()
    last_stage_id: Field[str | None] = Field()
    persisted_at: Field[str] = Field()
    reason: Field[str] = Field()


class ChildRun(View):
    SCHEMA = S.CHILD_RUN
    worker_id: Field[str] = Field()
    worker_name: Field[str] = Field()
    parent_stage_id: Field[str | None] = Field()
    session_id: Field[str | None] = Field()
    parent_session_id: Field[str | None] = Field()
    mutation_scope: Field[str | None] = Field()
    task: Field[str] = Field()
    status: Field[str] = Field()
    started_at: Field[str] = Field()
    finished_at: Field[str | None] = Field()
    run_id: Field[str | None] = Field()
    run_path: Field[str | None] = Field()
    snapshot_path: Field[str | None] = Field()
    execution = Nested(Execution)


class HitlQuestion(View):
    SCHEMA = S.HITL_QUESTION
    request_id: Field[str] = Field()
    prompt: Field[str] = Field()
    agent: Field[str] = Field()
    trace_id: Field[str | None] = Field()
    asked_at: Field[str] = Field()


class Policy(View):
    SCHEMA = S.POLICY
    tools: Field[list[str]] = Field()
    capabilities: Field[dict[str, Any]] = Field()
    workspace_roots: Field[list[str]] = Field()
    side_effect_level: Field[str | None] = Field()
    recursion_limit: Field[int | None] = Field()


class TraceSpan(View):
    SCHEMA = S.TRACE_SPAN
    span_id: Field[int] = Field()
    kind: Field[str] = Field()
    name: Field[str] = Field()
    start_ms: Field[int] = Field()
    duration_ms: Field[int] = Field()
    metadata: Field[dict[str, Any]] = Field()

    @property
    def parent_id(self) -> int | None:
        """Newer writers say `parent_span_id`; older ones `parent_id`."""
        value = self.raw.get("parent_span_id")
        if value is None:
            value = self.raw.get("parent_id")
        return S.to_int(value, None) if value is not None else None  # type: ignore[arg-type]


class ToolRecording(View):
    SCHEMA = S.TOOL_RECORDING
    tool_name: Field[str] = Field()
    tool_use_id: Field[str] = Field()
    args_hash: Field[str] = Field()
    result: Field[str] = Field()
    is_rejected: Field[bool] = Field()
    duration_ms: Field[int] = Field()
    iteration: Field[int] = Field()
    timestamp: Field[str] = Field()


class RunRecord(_TimedWithTranscript):
    """A whole run record, normalized."""

    SCHEMA = S.RUN
    type_name: Field[str] = Field("_type")
    id: Field[str] = Field()
    workflow_id: Field[str] = Field()
    workflow_name: Field[str | None] = Field()
    task: Field[str] = Field()
    status: Field[str] = Field()
    started_at: Field[str] = Field()
    finished_at: Field[str | None] = Field()
    parent_run_id: Field[str | None] = Field()
    root_run_id: Field[str | None] = Field()
    stages = Many(Stage)
    transitions = Many(Transition)
    checkpoints = Many(Checkpoint)
    pending_nodes: Field[list[str]] = Field()
    completed_nodes: Field[list[str]] = Field()
    child_runs = Many(ChildRun)
    artifacts = Many(Artifact)
    policy = Nested(Policy)
    execution = Nested(Execution)
    usage = Nested(Usage)
    trace_spans = Many(TraceSpan)
    tool_recordings = Many(ToolRecording)
    hitl_questions = Many(HitlQuestion)
    metadata: Field[dict[str, Any]] = Field()
    persisted_path: Field[str | None] = Field()

    @property
    def display_name(self) -> str:
        """`workflow_name`, falling back to `workflow_id` (as Harn's portal does)."""
        return self.workflow_name or self.workflow_id

