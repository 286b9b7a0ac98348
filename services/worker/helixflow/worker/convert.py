"""Protobuf <-> engine domain types.

Only what the wire shape itself can get wrong is refused here (no input,
unknown role, empty constraint). Sampling values are checked by every
backend with ``helixflow.worker.sampling.validate_sampling``, so in-process
callers meet the same rules.
"""

from __future__ import annotations

from helixflow.common.errors import InvalidArgument
from helixflow.common.roles import ROLE_NAMES
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2
from helixflow.worker.engine import (
    ChatPrompt,
    Constraint,
    ConstraintKind,
    Delta,
    EngineInfo,
    Finished,
    FinishReason,
    GenerationRequest,
    LoadReport,
    Message,
    Prompt,
    SamplingOptions,
    TextPrompt,
    TokenizeResult,
    TokenPrompt,
)
from helixflow.worker.tools import proto as tools_pb

_FINISH = {
    FinishReason.STOP: common_pb2.FINISH_REASON_STOP,
    FinishReason.LENGTH: common_pb2.FINISH_REASON_LENGTH,
    FinishReason.CANCELLED: common_pb2.FINISH_REASON_CANCELLED,
    FinishReason.ERROR: common_pb2.FINISH_REASON_ERROR,
    FinishReason.TOOL_CALLS: common_pb2.FINISH_REASON_TOOL_CALLS,
}
_CONSTRAINT_TO_PB = {
    ConstraintKind.JSON_SCHEMA: common_pb2.CONSTRAINT_KIND_JSON_SCHEMA,
    ConstraintKind.REGEX: common_pb2.CONSTRAINT_KIND_REGEX,
    ConstraintKind.GRAMMAR: common_pb2.CONSTRAINT_KIND_GRAMMAR,
}


def _messages(pb: common_pb2.ChatMessages) -> ChatPrompt:
    if not pb.messages:
        raise InvalidArgument("messages is empty: send at least one message", field="messages")
    out = []
    for i, m in enumerate(pb.messages):
        role = ROLE_NAMES.get(m.role)
        if role is None:
            raise InvalidArgument(
                f"messages[{i}].role must be system, user, assistant or tool", field=f"messages[{i}].role"
            )
        if role == "tool" and not m.tool_call_id:
            raise InvalidArgument(
                f"messages[{i}] (a tool result) needs tool_call_id", field=f"messages[{i}].tool_call_id"
            )
        if m.tool_calls and role != "assistant":
            raise InvalidArgument(
                f"messages[{i}]: only assistant messages carry tool_calls", field=f"messages[{i}].tool_calls"
            )
        out.append(
            Message(
                role=role,
                content=m.content,
                name=m.name,
                tool_calls=tools_pb.tool_calls_from_pb(m, i),
                tool_call_id=m.tool_call_id,
            )
        )
    return ChatPrompt(messages=tuple(out))


def prompt_from_pb(pb: inference_pb2.GenerateRequest | inference_pb2.TokenizeRequest) -> Prompt:
    """The request's input oneof as a domain prompt."""
    kind = pb.WhichOneof("input")
    if kind == "prompt":
        return TextPrompt(text=pb.prompt)
    if kind == "messages":
        return _messages(pb.messages)
    if kind == "token_ids" and isinstance(pb, inference_pb2.GenerateRequest):
        if not pb.token_ids.ids:
            raise InvalidArgument("token_ids is empty", field="token_ids")
        return TokenPrompt(ids=tuple(pb.token_ids.ids))
    raise InvalidArgument("set one input: prompt, messages or token_ids", field="input")


def _constraint(pb: common_pb2.StructuredOutput) -> Constraint | None:
    kind = pb.WhichOneof("kind")
    if kind is None:
        return None
    value: str = getattr(pb, kind)
    if not value:
        raise InvalidArgument(f"sampling.structured_output.{kind} is empty", field=f"sampling.structured_output.{kind}")
    return Constraint(kind=ConstraintKind(kind), value=value)


def sampling_from_pb(pb: common_pb2.SamplingParams) -> SamplingOptions:
    """Sampling options; unset fields stay None (the model's default)."""
    has = pb.HasField
    return SamplingOptions(
        temperature=pb.temperature if has("temperature") else None,
        top_p=pb.top_p if has("top_p") else None,
        top_k=pb.top_k if has("top_k") else None,
        min_p=pb.min_p if has("min_p") else None,
        max_tokens=pb.max_tokens if has("max_tokens") else None,
        ignore_eos=pb.ignore_eos,
        stop=tuple(pb.stop),
        stop_token_ids=tuple(pb.stop_token_ids),
        seed=pb.seed if has("seed") else None,
        presence_penalty=pb.presence_penalty if has("presence_penalty") else None,
        frequency_penalty=pb.frequency_penalty if has("frequency_penalty") else None,
        repetition_penalty=pb.repetition_penalty if has("repetition_penalty") else None,
        logprobs=pb.logprobs,
        top_logprobs=pb.top_logprobs,
        constraint=_constraint(pb.structured_output),
    )


def generation_request(pb: inference_pb2.GenerateRequest) -> GenerationRequest:
    """A validated domain request from the wire request."""
    if not pb.request_id:
        raise InvalidArgument("request_id is required on the worker API", field="request_id")
    return GenerationRequest(
        request_id=pb.request_id,
        prompt=prompt_from_pb(pb),
        sampling=sampling_from_pb(pb.sampling),
        tools=tools_pb.tools_from_pb(pb),
        priority=pb.priority or common_pb2.PRIORITY_NORMAL,
    )


def delta_to_pb(delta: Delta) -> worker_pb2.WorkerGenerateResponse:
    out = worker_pb2.WorkerGenerateResponse()
    d = out.response.delta
    d.text = delta.text
    d.token_ids.extend(delta.token_ids)
    if delta.logprobs:
        for lp in delta.logprobs:
            entry = d.logprobs.add(token_id=lp.token_id, token=lp.token, logprob=lp.logprob, bytes=lp.bytes)
            for top in lp.top:
                entry.top.add(token_id=top.token_id, token=top.token, logprob=top.logprob, bytes=top.bytes)
    tools_pb.tool_call_deltas_to_pb(delta.tool_calls, d)
    return out


def finished_to_pb(done: Finished) -> worker_pb2.WorkerGenerateResponse:
    out = worker_pb2.WorkerGenerateResponse()
    c = out.response.complete
    c.finish_reason = _FINISH[done.reason]
    if done.stop_string is not None:
        c.stop_string = done.stop_string
    elif done.stop_token_id is not None:
        c.stop_token_id = done.stop_token_id
    c.usage.prompt_tokens = done.usage.prompt_tokens
    c.usage.completion_tokens = done.usage.completion_tokens
    c.usage.cached_tokens = done.usage.cached_tokens
    c.timings.queue.FromNanoseconds(int(done.timings.queue_s * 1e9))
    c.timings.time_to_first_token.FromNanoseconds(int(done.timings.time_to_first_token_s * 1e9))
    c.timings.total.FromNanoseconds(int(done.timings.total_s * 1e9))
    tools_pb.tool_calls_to_pb(done.tool_calls, c)
    return out


def info_to_pb(info: EngineInfo) -> worker_pb2.InfoResponse:
    return worker_pb2.InfoResponse(
        model_id=info.model_id,
        aliases=list(info.aliases),
        backend=info.backend,
        backend_version=info.backend_version,
        context_length=info.context_length,
        vocab_size=info.vocab_size,
        eos_token_ids=list(info.eos_token_ids),
        embedding_dimension=info.embedding_dimension,
        supported_constraints=sorted(_CONSTRAINT_TO_PB[k] for k in info.constraints),
        max_concurrent_sequences=info.max_concurrent_sequences,
        max_waiting=info.max_waiting,
        has_chat_template=info.has_chat_template,
        supports_generate=info.supports_generate,
        supports_embed=info.supports_embed,
        engine_options=info.engine_options,
        supports_tools=bool(info.tool_parser),
        tool_parser=info.tool_parser,
        adapters=[worker_pb2.AdapterInfo(id=a, base_model=info.model_id) for a in info.adapters],
    )


def load_to_pb(report: LoadReport, *, draining: bool) -> worker_pb2.WatchLoadResponse:
    return worker_pb2.WatchLoadResponse(
        waiting=report.waiting,
        running=report.running,
        kv_cache_usage=report.kv_cache_usage,
        prefix_cache_hit_rate=report.prefix_cache_hit_rate,
        max_running=report.max_running,
        draining=draining,
        preemptions=report.preemptions,
    )


def tokenize_to_pb(result: TokenizeResult) -> worker_pb2.WorkerTokenizeResponse:
    out = worker_pb2.WorkerTokenizeResponse()
    out.response.token_ids.extend(result.token_ids)
    out.response.pieces.extend(result.pieces)
    out.response.rendered_prompt = result.rendered_prompt
    return out
