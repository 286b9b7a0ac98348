"""TextAssembler: stop strings across token boundaries and split UTF-8."""

from __future__ import annotations

from helixflow.worker.backends.stops import TextAssembler


def test_stop_spanning_tokens_is_held_back_then_dropped() -> None:
    asm = TextAssembler(("END",))
    assert asm.push(b"hello E").text == "hello "  # "E" could start the stop string
    released = asm.push(b"NDing")
    assert released.text == ""
    assert released.stop == "END"


def test_false_alarm_is_released() -> None:
    asm = TextAssembler(("END",))
    assert asm.push(b"E").text == ""
    assert asm.push(b"x").text == "Ex"


def test_earliest_stop_wins() -> None:
    asm = TextAssembler(("bc", "ab"))
    released = asm.push(b"xabc")
    assert (released.text, released.stop) == ("x", "ab")


def test_split_utf8_character_is_buffered() -> None:
    asm = TextAssembler(())
    euro = "€".encode()
    assert asm.push(euro[:2]).text == ""
    assert asm.push(euro[2:]).text == "€"


def test_flush_releases_held_text() -> None:
    asm = TextAssembler(("STOP",))
    assert asm.push(b"go ST").text == "go "
    assert asm.flush() == "ST"
