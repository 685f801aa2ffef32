"""The weighing drivers over real transports: simulators served on loopback TCP in real
time (kept short: fast settling, quick loader moves)."""

from __future__ import annotations

import pytest

from labctl.clock import RealClock
from labctl.drivers.weighing.and_scale import AndScale
from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.drivers.weighing.weights import AutoWeightLoader
from labctl.errors import InstrumentError
from labctl.sim.server import SimServer
from labctl.sim.weighing import and_scale_sim as and_scale
from labctl.sim.weighing import mtsics_scale_sim as mtsics_scale
from labctl.sim.weighing import weight_loader_sim as weight_loader
from labctl.sim.world import World
from labctl.transport import TransportOptions, open_transport

pytestmark = pytest.mark.realtime

PLATE = {"max": "15 kg", "e": "5 g", "d": "5 g"}
FAST = {**PLATE, "settling_time": "20 ms", "stable_period": "50 ms", "gain": 4e-4}


@pytest.fixture
def served():
    world = World(RealClock(), seed=3)
    devices = {
        "scale": mtsics_scale.create(world, {**FAST, "serial": "B77"}),
        "ad": and_scale.create(world, FAST),
        "loader": weight_loader.create(world, {"weights": {"W10": "10 kg"},
                                               "move_time": "50 ms", "time_per_weight": "0 s"}),
    }
    with SimServer(devices) as server:
        yield server.addresses()


@pytest.mark.parametrize("which", [0, 1], ids=["pyvisa", "pyserial"])
def test_weighing_over_loopback(served, which):
    opts = TransportOptions(instrument="scale", timeout=2.0)
    scale = MtSicsScale(open_transport(served["scale"][which], opts), name="scale",
                        **PLATE, **{"class": "III"})
    ad = AndScale(open_transport(served["ad"][which], opts), name="ad", **PLATE)
    loader = AutoWeightLoader(open_transport(served["loader"][which], opts), name="loader")
    try:
        # a power-on line the server may pass on must not confuse the first S
        assert scale.read_stable(timeout=2).value.m_as("g") == 0
        assert scale.identify().serial == "B77"
        loader.place(WeightLoad(("W10",)))
        assert scale.read_stable(timeout=2).value.m_as("kg") == pytest.approx(10.005)
        assert ad.read_stable(timeout=2).value.m_as("kg") == pytest.approx(10.005)
        with pytest.raises(InstrumentError) as err:
            scale.query("NOPE")
        assert err.value.reply == "ES"
        loader.remove_all()
    finally:
        for driver in (scale, ad, loader):
            driver.close()
