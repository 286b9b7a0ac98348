"""Chat roles: the one mapping between the proto's ``Role`` and the names that chat
templates and the public APIs use."""

from __future__ import annotations

from helixflow.v1 import common_pb2

# ROLE_UNSPECIFIED has no name: a message must say who speaks.
ROLE_NAMES: dict[common_pb2.Role.ValueType, str] = {
    common_pb2.ROLE_SYSTEM: "system",
    common_pb2.ROLE_USER: "user",
    common_pb2.ROLE_ASSISTANT: "assistant",
    common_pb2.ROLE_TOOL: "tool",
}
ROLES_BY_NAME: dict[str, common_pb2.Role.ValueType] = {name: role for role, name in ROLE_NAMES.items()}
