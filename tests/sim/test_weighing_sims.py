"""The weighing simulators at the byte level: exact lines, and when they are sent."""

from __future__ import annotations

import math

import pytest

from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.sim.weighing import and_scale_sim as and_scale
from labctl.sim.weighing import mtsics_scale_sim as mtsics_scale
from labctl.sim.weighing import weight_loader_sim as weight_loader
from labctl.sim.world import World

#: what a unit of another dimension than mass is refused with
NOT_A_MASS = r"quantity in \w+ does not fit: expected a unit of \[mass\]"

PLATE = {"max": "15 kg", "e": "5 g", "d": "5 g"}


def world() -> World:
    return World(VirtualClock(), seed=4)


def ask(device, command: str) -> list[str]:
    """Send a command; advance the clock to each queued reply; return the reply lines."""
    device.write(command.encode() + b"\r\n")
    lines = []
    while (due := device.next_due()) is not None:
        now = device.clock.now()
        if due > now:
            device.clock.sleep(due - now)
        lines += device.read().decode().split("\r\n")[:-1]
    return lines


def test_mtsics_power_on_then_stable_weight():
    w = world()
    sim = mtsics_scale.create(w, {**PLATE, "serial": "B021002593"})
    assert sim.read() == b'I4 A "B021002593"\r\n'
    assert ask(sim, "S") == ["S S      0.000 kg"]
    assert ask(sim, "SI") == ["S S      0.000 kg"]


def test_mtsics_s_waits_until_the_load_settles():
    w = world()
    sim = mtsics_scale.create(w, {**PLATE, "power_on_message": False, "settling_time": "1 s",
                                  "gain": 5e-4})
    loader = weight_loader.create(w, {"weights": {"W": "10 kg"}, "move_time": "2 s",
                                      "time_per_weight": "0 s"})
    assert ask(loader, "LOAD centre W") == ["OK"]
    assert w.clock.now() == pytest.approx(2.0)
    assert ask(sim, "SI")[0].startswith("S D")
    expected = 2.0 + math.log(10.005 / 0.00125) + 0.5  # settle to d/4, then 0.5 s stable
    assert ask(sim, "S") == ["S S     10.005 kg"]  # 10 kg x (1 + 5e-4), rounded to 5 g
    assert w.clock.now() == pytest.approx(expected)


def test_mtsics_never_stable_gives_s_i_after_its_timeout():
    w = world()
    sim = mtsics_scale.create(w, {**PLATE, "power_on_message": False, "noise": "10 g",
                                  "timeout": "7 s"})
    assert ask(sim, "S") == ["S I"]
    assert w.clock.now() == pytest.approx(7.0)
    assert ask(sim, "Z") == ["Z I"] and ask(sim, "T") == ["T I"]


def test_mtsics_reset_cancels_a_pending_s():
    w = world()
    sim = mtsics_scale.create(w, {**PLATE, "power_on_message": False, "noise": "10 g",
                                  "serial": "SN1"})
    sim.write(b"S\r\n")
    sim.write(b"@\r\n")
    assert sim.read() == b'I4 A "SN1"\r\n'
    w.clock.sleep(60)
    assert sim.read() == b""  # the S I never comes


def test_mtsics_errors():
    sim = mtsics_scale.create(world(), {**PLATE, "power_on_message": False})
    assert ask(sim, "HELLO") == ["ES"]
    assert ask(sim, "S 3") == ["EL"]
    sim.write(b"S\xff\r\n")
    assert sim.read() == b"ET\r\n"


def test_mtsics_type_data_and_tare():
    w = world()
    sim = mtsics_scale.create(w, {**PLATE, "power_on_message": False, "model": "ICS425",
                                  "firmware": "2.10"})
    assert ask(sim, "I2") == ['I2 A "ICS425 15.000 kg"']
    assert ask(sim, "I3") == ['I3 A "2.10"']
    loader = weight_loader.create(w, {"weights": {"W": "0.5 kg", "V": "1 kg"}})
    ask(loader, "LOAD centre W")
    assert ask(sim, "T") == ["T S      0.500 kg"]
    assert ask(sim, "TA") == ["TA A      0.500 kg"]
    ask(loader, "ADD centre V")
    assert ask(sim, "S") == ["S S      1.000 kg"]
    assert ask(sim, "TAC") == ["TAC A"]
    assert ask(sim, "S") == ["S S      1.500 kg"]
    assert ask(sim, "Z") == ["Z +"]
    ask(loader, "UNLOAD")
    w.clock.sleep(30)
    assert ask(sim, "ZI") == ["ZI S"]


def test_mtsics_overload_and_underload():
    w = world()
    sim = mtsics_scale.create(w, {**PLATE, "power_on_message": False})
    loader = weight_loader.create(w, {"weights": {"A": "10 kg", "B": "5.05 kg"}})
    ask(loader, "LOAD centre A,B")
    assert ask(sim, "S") == ["S +"]
    sim2 = mtsics_scale.create(World(VirtualClock()), {**PLATE, "power_on_message": False,
                                                       "offset": "-0.2 kg"})
    assert ask(sim2, "SI") == ["S -"]


def test_and_lines_and_acknowledge():
    w = world()
    sim = and_scale.create(w, {**PLATE, "serial": "T123", "model": "FG-150KAL"})
    assert sim.read() == b""  # no power-on message
    assert ask(sim, "Q") == ["ST,+0000.000 kg"]
    assert ask(sim, "Z") == ["\x06", "\x06"]
    assert ask(sim, "?SN") == ["SN,T123"] and ask(sim, "?TN") == ["TN,FG-150KAL"]
    assert ask(sim, "PT:+0001.000 kg") == ["\x06"]
    assert ask(sim, "?PT") == ["PT,+0001.000 kg"]
    assert ask(sim, "Q") == ["ST,-0001.000 kg"]
    assert ask(sim, "PT:+0001.000  g") == ["EC,E06"]
    assert ask(sim, "PT:+0099.000 kg") == ["EC,E07"]
    assert ask(sim, "PT:1") == ["EC,E06"]
    assert ask(sim, "HELLO") == ["EC,E01"]


def test_and_overload_line_and_stability_error():
    w = world()
    sim = and_scale.create(w, {**PLATE, "timeout": "4 s"})
    loader = weight_loader.create(w, {"weights": {"A": "16 kg"}})
    ask(loader, "LOAD centre A")
    assert ask(sim, "S") == ["OL,+9999.999 kg"]
    noisy = and_scale.create(World(VirtualClock()), {**PLATE, "noise": "20 g", "timeout": "4 s"})
    assert ask(noisy, "S") == ["EC,E11"]
    assert ask(noisy, "Z") == ["\x06", "EC,E11"]
    assert ask(noisy, "Q")[0].startswith("US,")


def test_and_without_acknowledge_is_silent_on_control_commands():
    sim = and_scale.create(world(), {**PLATE, "ack": False, "offset": "10 g"})
    assert ask(sim, "Z") == []
    assert ask(sim, "Q") == ["ST,+0000.000 kg"]


def test_loader_protocol():
    w = world()
    lo = weight_loader.create(w, {"weights": {"W1": "1.000002 kg", "W2": "2 kg"},
                                  "positions": ["centre", "front"], "serial": "L9"})
    platform = w.get("weighing_platform")
    assert ask(lo, "*IDN?") == ["LABCTL-SIM,WL-100,L9,1.0"]
    assert ask(lo, "POS?") == ["centre,front"]
    assert ask(lo, "STAT?") == ["EMPTY"]
    assert ask(lo, "LOAD left W1") == ["ERR unreachable position left (reaches centre,front)"]
    assert ask(lo, "LOAD front W3") == ["ERR unknown weight W3"]
    assert ask(lo, "LOAD front W1,W1") == ["ERR weight W1 twice"]
    assert ask(lo, "LOAD front") == ["ERR syntax: expected <position> <id>,<id>,..."]
    t0 = w.clock.now()
    assert ask(lo, "LOAD front W1") == ["OK"]
    assert w.clock.now() - t0 == pytest.approx(4.5)
    assert platform.mass_kg() == pytest.approx(1.000002)
    assert ask(lo, "LOAD front W2") == ["ERR occupied: UNLOAD first or ADD"]
    assert ask(lo, "ADD centre W2") == ["ERR position centre: the load stands at front"]
    assert ask(lo, "ADD front W2") == ["OK"]
    assert ask(lo, "STAT?") == ["LOADED front W1,W2"]
    assert ask(lo, "UNLOAD") == ["OK"]
    assert platform.mass_kg() == 0
    assert ask(lo, "JUMP") == ["ERR unknown command JUMP"]


def test_loader_commands_run_one_after_the_other():
    w = world()
    lo = weight_loader.create(w, {"weights": {"W1": "1 kg"}})
    lo.write(b"LOAD centre W1\r\nSTAT?\r\n")
    assert lo.read() == b""
    w.clock.sleep(4.5)
    assert lo.read() == b"OK\r\nLOADED centre W1\r\n"


@pytest.mark.parametrize("factory, params, words", [
    (weight_loader.create, {}, "needs its weights"),
    (weight_loader.create, {"weights": {"W 1": "1 kg"}}, "blanks"),
    (weight_loader.create, {"weights": {"W1": "1 L"}}, NOT_A_MASS),
    (weight_loader.create, {"weights": {"W1": "1 kg"}, "positions": ["top"]}, "positions"),
    (mtsics_scale.create, {"colour": "red"}, "colour"),
    (and_scale.create, {"ack": "no"}, "true or false"),
])
def test_bad_parameters(factory, params, words):
    with pytest.raises(ConfigError, match=words):
        factory(world(), params)


def test_an_overlong_command_gets_each_devices_error_reply():
    w = world()
    long = "S" + "x" * 5000  # beyond max_command_length (4096 bytes)
    assert ask(mtsics_scale.create(w, {**PLATE, "power_on_message": False}), long) == ["ES"]
    assert ask(and_scale.create(w, dict(PLATE)), long) == ["EC,E04"]
    assert ask(weight_loader.create(w, {"weights": {"W": "1 kg"}}), long) == [
        "ERR command too long"]


def test_loader_remove_takes_pieces_off_without_passing_through_zero():
    """REMOVE (issue 7, item 5): the named pieces come off, the rest stays on, and the
    platform goes from the old load to the rest in one step."""
    w = world()
    lo = weight_loader.create(w, {"weights": {"A": "5 kg", "B": "2 kg", "C": "0.5 kg"},
                                  "move_time": "2 s", "time_per_weight": "0 s"})
    platform = w.get("weighing_platform")
    assert ask(lo, "LOAD front A,B,C") == ["OK"]
    assert ask(lo, "REMOVE C,B") == ["OK"]
    assert ask(lo, "STAT?") == ["LOADED front A"]
    masses = [step.mass_kg for step in platform.steps_until(w.clock.now())]
    assert masses[-2:] == [pytest.approx(7.5), pytest.approx(5.0)]
    assert 0.0 not in masses[1:]  # never empty in between
    assert ask(lo, "REMOVE B") == ["ERR weight B is not on the receptor"]
    assert ask(lo, "REMOVE") == ["ERR syntax: expected REMOVE <id>,<id>,..."]
