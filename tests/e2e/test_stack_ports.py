"""``helixflow up`` picks its workers' ports before the workers bind them: the picks must differ."""

from __future__ import annotations

from helixflow.stack.local import _free_ports


def test_ports_picked_together_are_distinct() -> None:
    # A port released right after its pick comes back from later picks: 200 picks one at a
    # time repeat one about three times in four (the birthday bound over ~14k ports).
    ports = _free_ports(200)
    assert len(set(ports)) == 200
    assert all(1024 <= port < 65536 for port in ports)
