"""Contract: every message round-trips, presence is explicit, enums start UNSPECIFIED."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from google.protobuf import descriptor, descriptor_pb2, message
from google.protobuf.descriptor import FieldDescriptor

import helixflow.v1
from helixflow.v1 import common_pb2, inference_pb2

PB_MODULES = [
    importlib.import_module(f"helixflow.v1.{m.name}")
    for m in pkgutil.iter_modules(helixflow.v1.__path__)
    if m.name.endswith("_pb2")
]


def _all_messages() -> list[type[message.Message]]:
    found: list[type[message.Message]] = []

    def walk(desc: descriptor.Descriptor, owner: object) -> None:
        cls = getattr(owner, desc.name)
        found.append(cls)
        for nested in desc.nested_types:
            walk(nested, cls)

    for module in PB_MODULES:
        for desc in module.DESCRIPTOR.message_types_by_name.values():
            walk(desc, module)
    return found


def _all_enums() -> list[descriptor.EnumDescriptor]:
    enums = []
    for module in PB_MODULES:
        enums.extend(module.DESCRIPTOR.enum_types_by_name.values())
        for m in _all_messages():
            enums.extend(m.DESCRIPTOR.enum_types)
    return list({e.full_name: e for e in enums}.values())


def _fill(msg: message.Message, depth: int = 0) -> None:
    """Set every field (one member of each oneof) to a non-default value."""
    seen_oneofs: set[str] = set()
    for field in msg.DESCRIPTOR.fields:
        oneof = field.containing_oneof
        if oneof is not None and not oneof.name.startswith("_"):
            if oneof.name in seen_oneofs:
                continue
            seen_oneofs.add(oneof.name)
        if field.message_type is not None:
            if depth > 4 or field.message_type.GetOptions().map_entry:
                continue
            target = getattr(msg, field.name).add() if field.is_repeated else getattr(msg, field.name)
            if field.message_type.full_name.startswith("google.protobuf."):
                target.SetInParent()
            else:
                _fill(target, depth + 1)
            continue
        value = _sample_value(field)
        if field.is_repeated:
            getattr(msg, field.name).append(value)
        else:
            setattr(msg, field.name, value)


def _sample_value(field: Any) -> object:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values[-1].number
    if field.type == FieldDescriptor.TYPE_STRING:
        return f"v-{field.name}"
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"\x00\xff"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return 0.5
    return 7


@pytest.mark.parametrize("cls", _all_messages(), ids=lambda c: c.DESCRIPTOR.full_name)
def test_every_message_round_trips(cls: type[message.Message]) -> None:
    original = cls()
    _fill(original)
    decoded = cls.FromString(original.SerializeToString())
    assert decoded == original
    if cls.DESCRIPTOR.fields:
        assert decoded.ByteSize() > 0


def test_messages_were_found() -> None:
    names = {c.DESCRIPTOR.full_name for c in _all_messages()}
    assert {
        "helixflow.v1.GenerateRequest",
        "helixflow.v1.WorkerGenerateRequest",
        "helixflow.v1.CreateKeyRequest",
    } <= names


def test_temperature_zero_is_distinguishable_from_unset() -> None:
    unset = common_pb2.SamplingParams()
    zero = common_pb2.SamplingParams(temperature=0.0)
    assert not unset.HasField("temperature")
    assert zero.HasField("temperature")
    assert zero.temperature == 0.0
    assert common_pb2.SamplingParams.FromString(zero.SerializeToString()).HasField("temperature")
    assert unset.SerializeToString() != zero.SerializeToString()


@pytest.mark.parametrize(
    "field", [f for f in common_pb2.SamplingParams.DESCRIPTOR.fields if not f.is_repeated and f.message_type is None]
)
def test_every_scalar_sampling_field_has_explicit_presence(field: FieldDescriptor) -> None:
    assert field.has_presence, f"SamplingParams.{field.name} must be `optional`"


@pytest.mark.parametrize("enum", _all_enums(), ids=lambda e: e.full_name)
def test_every_enum_zero_is_unspecified(enum: descriptor.EnumDescriptor) -> None:
    zero = enum.values_by_number[0]
    assert zero.name.endswith("_UNSPECIFIED"), f"{enum.full_name} value 0 is {zero.name}"


def test_generate_input_is_a_oneof() -> None:
    req = inference_pb2.GenerateRequest(prompt="hello")
    assert req.WhichOneof("input") == "prompt"
    req.messages.messages.add(role=common_pb2.ROLE_USER, content="hi")
    assert req.WhichOneof("input") == "messages"
    assert not req.prompt


def test_complete_carries_one_matched_stop() -> None:
    done = common_pb2.Complete(finish_reason=common_pb2.FINISH_REASON_STOP, stop_string="\n\n")
    assert done.WhichOneof("matched_stop") == "stop_string"
    done.stop_token_id = 1
    assert done.WhichOneof("matched_stop") == "stop_token_id"


def test_removed_field_number_is_reserved() -> None:
    proto = descriptor_pb2.DescriptorProto()
    common_pb2.SamplingParams.DESCRIPTOR.CopyToProto(proto)
    assert any(r.start <= 16 < r.end for r in proto.reserved_range)
    assert "best_of" in proto.reserved_name
