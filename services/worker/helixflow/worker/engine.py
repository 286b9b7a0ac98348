"""The Engine protocol every worker backend implements, and its domain types.

A backend is one module (``helixflow.worker.backends.llama_cpp``,
``helixflow.worker.backends.vllm``) with a class that satisfies ``Engine``.
The servicer converts protobuf to these types and back
(``helixflow.worker.convert``); backends never see protobuf.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class FinishReason(enum.Enum):
    STOP = "stop"
    LENGTH = "length"
    CANCELLED = "cancelled"
    ERROR = "error"
    TOOL_CALLS = "tool_calls"


class ConstraintKind(enum.Enum):
    JSON_SCHEMA = "json_schema"
    REGEX = "regex"
    GRAMMAR = "grammar"


@dataclass(frozen=True, slots=True)
class Constraint:
    kind: ConstraintKind
    value: str


@dataclass(frozen=True, slots=True)
class SamplingOptions:
    """Decoding settings; None means "the model's default"."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    max_tokens: int | None = None
    ignore_eos: bool = False
    stop: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    repetition_penalty: float | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    constraint: Constraint | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One complete call: ``arguments`` is JSON text exactly as the model wrote it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a call: the first one of an index carries id and name, later ones argument text."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str = ""
    parameters: str = ""  # JSON Schema text of the arguments object; "" = no arguments


class ToolChoiceMode(enum.Enum):
    AUTO = "auto"
    NONE = "none"
    REQUIRED = "required"
    FUNCTION = "function"  # exactly ToolSpec.function


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """The tools of a request, already validated (names unique, schemas parse)."""

    tools: tuple[Tool, ...]
    choice: ToolChoiceMode = ToolChoiceMode.AUTO
    function: str = ""  # with ToolChoiceMode.FUNCTION
    parallel: bool = True

    @property
    def offered(self) -> tuple[Tool, ...]:
        """The tools the model is shown: none under NONE, only the named one under FUNCTION."""
        if self.choice is ToolChoiceMode.NONE:
            return ()
        if self.choice is ToolChoiceMode.FUNCTION:
            return tuple(t for t in self.tools if t.name == self.function)
        return self.tools


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # "system" | "user" | "assistant" | "tool"
    content: str
    name: str = ""
    tool_calls: tuple[ToolCall, ...] = ()  # assistant turns that called tools
    tool_call_id: str = ""  # tool turns: the call this answers


@dataclass(frozen=True, slots=True)
class TextPrompt:
    text: str


@dataclass(frozen=True, slots=True)
class ChatPrompt:
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class TokenPrompt:
    ids: tuple[int, ...]


Prompt = TextPrompt | ChatPrompt | TokenPrompt


# helixflow.v1.Priority's classes; a higher one runs first.
PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_HIGH = 1, 2, 3
# A waiting request's class rises one per this many seconds (both backends): long against
# a request's usual life, short against a client's patience.
DEFAULT_PRIORITY_AGING_S = 30.0


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    request_id: str
    prompt: Prompt
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    tools: ToolSpec | None = None
    adapter: str = ""  # LoRA adapter id (helixflow.worker.adapters); "" = the base model
    # The priority class; the router has capped it by the key.
    priority: int = PRIORITY_NORMAL


@dataclass(slots=True)
class TopLogprob:
    token_id: int
    token: str
    logprob: float
    bytes: bytes


@dataclass(slots=True)
class TokenLogprob:
    token_id: int
    token: str
    logprob: float
    bytes: bytes
    top: list[TopLogprob] = field(default_factory=list)


@dataclass(slots=True)
class Delta:
    """New output: whole UTF-8 characters only; text may be empty."""

    text: str
    token_ids: list[int]
    logprobs: list[TokenLogprob] | None = None
    tool_calls: list[ToolCallDelta] = field(default_factory=list)


@dataclass(slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0


@dataclass(slots=True)
class Timings:
    queue_s: float
    time_to_first_token_s: float
    total_s: float


@dataclass(slots=True)
class Finished:
    """Terminal event of a generation: exactly one, last."""

    reason: FinishReason
    usage: Usage
    timings: Timings
    stop_string: str | None = None
    stop_token_id: int | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)


Event = Delta | Finished


@dataclass(frozen=True, slots=True)
class EngineInfo:
    model_id: str
    backend: str
    backend_version: str
    context_length: int
    vocab_size: int
    eos_token_ids: tuple[int, ...]
    embedding_dimension: int
    constraints: frozenset[ConstraintKind]
    max_concurrent_sequences: int
    max_waiting: int
    has_chat_template: bool
    supports_generate: bool = True
    supports_embed: bool = True
    aliases: tuple[str, ...] = ()
    # Settings the engine resolved at load, each with why (shown in Info).
    engine_options: dict[str, str] = field(default_factory=dict)
    tool_parser: str = ""  # "" = tools are not served
    adapters: tuple[str, ...] = ()  # LoRA adapter ids served on this model (helixflow.worker.adapters)


@dataclass(frozen=True, slots=True)
class LoadReport:
    waiting: int
    running: int
    max_running: int
    kv_cache_usage: float
    prefix_cache_hit_rate: float
    preemptions: int = 0  # prefills preempted by a higher class since start (0: no preemption)


@dataclass(frozen=True, slots=True)
class EmbedResult:
    vectors: list[list[float]]
    prompt_tokens: int


@dataclass(frozen=True, slots=True)
class TokenizeResult:
    token_ids: list[int]
    pieces: list[str]
    rendered_prompt: str


class Engine(Protocol):
    """A model engine. All methods are safe to call from the asyncio loop."""

    async def load(self) -> None:
        """Load weights before anything else; a second call does nothing."""

    def info(self) -> EngineInfo:
        """Static facts about the model and limits (valid after load)."""

    def alive(self) -> bool:
        """Whether the loaded engine can still serve (its decode loop or engine process runs).
        False turns the worker's liveness NOT_SERVING, so an orchestrator restarts it."""

    def load_report(self) -> LoadReport:
        """Current load, cheap enough to call every few hundred ms."""

    def generate(self, request: GenerationRequest) -> AsyncGenerator[Event, None]:
        """Stream deltas then exactly one Finished.

        Admission errors (helixflow.common.errors: InvalidArgument,
        PromptTooLong, UnsupportedConstraint, QueueFull, Draining) are raised
        before the first event. Closing the iterator early (the consumer
        stops, or its task is cancelled) aborts the sequence and frees its
        slot and KV cache at the next decode step.
        """

    async def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        """One vector per input, in order."""

    async def tokenize(self, prompt: TextPrompt | ChatPrompt, *, return_pieces: bool) -> TokenizeResult:
        """Tokenize text, or render and tokenize a conversation."""

    def abort(self, request_ids: Sequence[str]) -> list[str]:
        """Cancel queued or running requests; returns the ids that were live. Idempotent."""

    async def close(self) -> None:
        """Stop the decode loop and free the model."""
