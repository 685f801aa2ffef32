"""Weight handlers: the automatic loader's transcript, and the operator at the console."""

from __future__ import annotations

import io

import pytest

from labctl.drivers.base import NullTransport
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.capabilities import WeightHandler, WeightLoad
from labctl.drivers.weighing.weights import AutoWeightLoader, ManualWeights
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout

from .transcript import TIMEOUT, Transcript


def loader(steps, **options) -> tuple[AutoWeightLoader, Transcript]:
    t = Transcript(steps)
    return AutoWeightLoader(t, name="loader", **options), t


def test_place_add_unload():
    lo, t = loader([("LOAD centre W5kg,W2kg", "OK"), ("ADD centre W1kg", "OK"),
                    ("UNLOAD", "OK")])
    assert isinstance(lo, WeightHandler)
    lo.place(WeightLoad(("W5kg", "W2kg")))
    lo.add(WeightLoad(("W1kg",), position="centre"))
    lo.remove_all()
    t.assert_done()


def test_remove_takes_some_pieces_off():
    lo, t = loader([("LOAD centre W5kg,W2kg", "OK"), ("REMOVE W2kg", "OK")])
    lo.place(WeightLoad(("W5kg", "W2kg")))
    lo.remove(("W2kg",))
    t.assert_done()


def test_manual_remove_leaves_the_rest_on():
    m, out = manual("\n\n", weights={"W5kg": "5 kg", "W2kg": "2 kg"})
    m.place(WeightLoad(("W5kg", "W2kg")))
    m.remove(("W2kg",))
    assert m.on_receptor == ["W5kg"]
    assert "leaving the rest on the receptor: W2kg (2 kg)" in out.getvalue()
    with pytest.raises(ConfigError, match="not on the receptor"):
        m.remove(("W1",))


def test_moves_wait_up_to_the_move_timeout():
    lo, t = loader([("LOAD front W1", "OK")], move_timeout="3 min")
    lo.place(WeightLoad(("W1",), position="front"))
    assert t.timeouts_seen == [180.0]


def test_refusal_names_the_reason():
    lo, _ = loader([("LOAD centre W9", "ERR unknown weight W9")])
    with pytest.raises(InstrumentError, match="unknown weight W9") as err:
        lo.place(WeightLoad(("W9",)))
    assert (err.value.instrument, err.value.command) == ("loader", "LOAD centre W9")


def test_unexpected_reply():
    lo, _ = loader([("UNLOAD", "DONE")])
    with pytest.raises(InstrumentError, match="unexpected reply"):
        lo.remove_all()


def test_a_move_that_never_ends_times_out():
    lo, _ = loader([("UNLOAD", TIMEOUT)])
    with pytest.raises(InstrumentTimeout) as err:
        lo.remove_all()
    assert err.value.command == "UNLOAD"


@pytest.mark.parametrize("ids", [(), ("W 1",), ("W1,W2",), ("W1", "W1")])
def test_bad_ids_are_refused_before_sending(ids):
    lo, t = loader([])
    with pytest.raises(ConfigError):
        lo.place(WeightLoad(ids))
    assert t.sent == []


def test_status_positions_identity_and_safe_state():
    lo, t = loader([("STAT?", "LOADED front W1,W2"), ("STAT?", "EMPTY"),
                    ("POS?", "centre,front"), ("*IDN?", "LABCTL-SIM,WL-100,WL1,1.0"),
                    ("UNLOAD", "OK")])
    assert lo.status() == ("front", ("W1", "W2"))
    assert lo.status() == (None, ())
    assert lo.positions() == ("centre", "front")
    assert lo.identify() == Identity("LABCTL-SIM", "WL-100", "WL1", "1.0")
    lo.safe_state()
    t.assert_done()


def manual(answers: str, **options) -> tuple[ManualWeights, io.StringIO]:
    out = io.StringIO()
    return ManualWeights(None, name="operator", input=io.StringIO(answers), output=out,
                         **options), out


def test_manual_tells_which_weights_where_and_waits_for_enter():
    m, out = manual("\n\n\n", weights={"W5kg": "5 kg", "W2kg": "2 kg"})
    assert isinstance(m, WeightHandler) and isinstance(m.transport, NullTransport)
    m.place(WeightLoad(("W5kg", "W2kg"), position="front", extras={"nominal": "7 kg"}))
    text = out.getvalue()
    assert "front" in text and "W5kg (5 kg)" in text and "W2kg (2 kg)" in text
    assert "together 7 kg" in text and "Press Enter" in text
    m.add(WeightLoad(("W1",), position="front"))
    assert m.on_receptor == ["W5kg", "W2kg", "W1"]
    m.remove_all()
    assert "Take every weight off" in out.getvalue() and m.on_receptor == []


def test_manual_place_over_a_load_asks_to_take_it_off_first():
    m, out = manual("\n\n\n")
    m.place(WeightLoad(("A",)))
    m.place(WeightLoad(("B",)))
    assert "Take off A" in out.getvalue() and m.on_receptor == ["B"]


def test_manual_closed_input_is_an_error():
    m, _ = manual("")
    with pytest.raises(InstrumentError, match="no answer"):
        m.place(WeightLoad(("A",)))


def test_manual_abort():
    m, _ = manual("a\n")
    with pytest.raises(InstrumentError, match="aborted"):
        m.place(WeightLoad(("A",)))


def test_manual_add_twice_is_refused():
    m, _ = manual("\n\n")
    m.place(WeightLoad(("A",)))
    with pytest.raises(ConfigError, match="already"):
        m.add(WeightLoad(("A",)))


def test_manual_safe_state_does_not_wait():
    m, out = manual("\n")
    m.place(WeightLoad(("A",)))
    m.safe_state()  # the input is exhausted: waiting would fail
    assert "Stopped" in out.getvalue()
    assert m.identify().serial == "operator"


def test_manual_weights_option_must_be_a_mapping():
    with pytest.raises(ConfigError, match="weights"):
        manual("", weights=["W1"])
