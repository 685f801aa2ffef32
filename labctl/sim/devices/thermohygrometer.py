"""A simulated thermo-hygrometer that measures the simulated room.

Line protocol (SCPI-like; commands end in LF or CR LF, replies end in CR LF)::

    *IDN?        ->  LABCTL-SIM,TH-100,<serial>,<firmware>
    MEAS:TEMP?   ->  air temperature in degC, 2 decimals, signed:  +21.37
    MEAS:HUM?    ->  relative humidity in %RH, 1 decimal:           48.2
    MEAS:ALL?    ->  both, comma separated:                          +21.37,48.2
    UNIT:TEMP?   ->  C
    SYST:ERR?    ->  0,"No error"   (or the oldest queued error, e.g. -113,"Undefined header")
    *CLS         ->  (no reply) clears the error queue
    *RST         ->  (no reply)

An unknown command gets no reply and queues ``-113,"Undefined header"``, as SCPI
instruments do. Each reply is sent ``response_time`` seconds (clock time) after the
command, like a sensor that samples on request.

Simulator parameters (``sim:`` in a bench file): the room's (see ``labctl.sim.room``:
temperature, humidity, temperature_swing, humidity_swing, period, excursions), and the
sensor's: ``serial``, ``firmware``, ``temperature_offset`` (e.g. 0.1 degC),
``humidity_offset`` (e.g. -1 %), ``temperature_noise`` (standard deviation, e.g.
0.02 degC), ``humidity_noise`` (e.g. 0.2 %), ``response_time`` (default 20 ms) and
``seed`` (noise stream of this sensor). The room is shared through the world under the
name ``room``: the first simulator that needs it creates it from its own parameters.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from labctl.clock import Clock
from labctl.errors import ConfigError
from labctl.sim.device import Reply, SimDevice
from labctl.sim.params import require_units
from labctl.sim.room import ROOM_KEYS, Room, to_kelvin_difference, to_percent, to_seconds
from labctl.sim.world import World

MAKER = "LABCTL-SIM"
MODEL = "TH-100"
SENSOR_KEYS = ("serial", "firmware", "temperature_offset", "humidity_offset",
               "temperature_noise", "humidity_noise", "response_time", "seed")


class ThermoHygrometerSim(SimDevice):
    """The device: a temperature and humidity sensor in ``room``."""

    name = "thermohygrometer"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, clock: Clock, room: Room, *, rng: Any, serial: str = "TH100-0000",
                 firmware: str = "1.2.0", temperature_offset: float = 0.0,
                 humidity_offset: float = 0.0, temperature_noise: float = 0.0,
                 humidity_noise: float = 0.0, response_time: float = 0.02) -> None:
        self.room = room
        self.rng = rng
        self.serial = serial
        self.firmware = firmware
        self.temperature_offset = temperature_offset
        self.humidity_offset = humidity_offset
        self.temperature_noise = temperature_noise
        self.humidity_noise = humidity_noise
        self.response_time = response_time
        self.errors: deque[str] = deque(maxlen=20)
        super().__init__(clock)

    # -- the sensor ----------------------------------------------------------------
    def temperature(self) -> float:
        t = self.clock.now()
        value = self.room.temperature(t) + self.temperature_offset
        if self.temperature_noise:
            value += float(self.rng.normal(0.0, self.temperature_noise))
        return round(value, 2)

    def humidity(self) -> float:
        t = self.clock.now()
        value = self.room.humidity(t) + self.humidity_offset
        if self.humidity_noise:
            value += float(self.rng.normal(0.0, self.humidity_noise))
        return round(min(100.0, max(0.0, value)), 1)

    # -- the protocol --------------------------------------------------------------
    def handle(self, line: str) -> list[str | Reply]:
        command = line.strip().upper()
        if not command:
            return []
        if command == "*IDN?":
            return [self._reply(f"{MAKER},{MODEL},{self.serial},{self.firmware}")]
        if command in ("MEAS:TEMP?", "MEASURE:TEMPERATURE?"):
            return [self._reply(f"{self.temperature():+.2f}")]
        if command in ("MEAS:HUM?", "MEASURE:HUMIDITY?"):
            return [self._reply(f"{self.humidity():.1f}")]
        if command in ("MEAS:ALL?", "MEASURE:ALL?"):
            return [self._reply(f"{self.temperature():+.2f},{self.humidity():.1f}")]
        if command == "UNIT:TEMP?":
            return [self._reply("C")]
        if command in ("SYST:ERR?", "SYSTEM:ERROR?"):
            return [self._reply(self.errors.popleft() if self.errors else '0,"No error"')]
        if command == "*CLS":
            self.errors.clear()
            return []
        if command == "*RST":
            return []
        self.errors.append('-113,"Undefined header"')
        return []

    def overlong(self) -> list[str | bytes | Reply]:
        """A command longer than ``max_command_length``: no reply, SCPI's -223 queued."""
        self.errors.append('-223,"Too much data"')
        return []

    def _reply(self, text: str) -> Reply:
        return Reply(text, self.response_time)


def create(world: World, params: Mapping[str, Any]) -> ThermoHygrometerSim:
    """Simulator factory (entry point ``thermohygrometer`` in ``labctl.simulators``)."""
    where = params.where() if hasattr(params, "where") else None
    unknown = sorted(set(params) - set(ROOM_KEYS) - set(SENSOR_KEYS))
    if unknown:
        place = params.where(unknown[0]) if hasattr(params, "where") else None
        raise ConfigError(f"unknown thermohygrometer simulator parameter {unknown[0]!r}",
                          where=place,
                          hint=f"use {', '.join(ROOM_KEYS + SENSOR_KEYS)}")

    def place(key: str) -> str | None:
        return params.where(key) if hasattr(params, "where") and key in params else where

    require_units(params, {"response_time": "s", "temperature_noise": "K",
                           "temperature_offset": "K", "humidity_noise": "percent",
                           "humidity_offset": "percent"}, where)
    room = world.get("room", lambda: Room.from_params(params, where))
    seed = params.get("seed", 0)
    response_time = to_seconds(params.get("response_time", 0.02), place("response_time"))
    if response_time < 0:
        raise ConfigError("response_time cannot be negative", where=place("response_time"))
    noise_t = to_kelvin_difference(params.get("temperature_noise", 0.0), place("temperature_noise"))
    noise_h = to_percent(params.get("humidity_noise", 0.0), place("humidity_noise"))
    if noise_t < 0 or noise_h < 0:
        raise ConfigError("noise is a standard deviation and cannot be negative", where=where)
    return ThermoHygrometerSim(
        world.clock, room,
        rng=world.rng(f"thermohygrometer/{seed}"),
        serial=str(params.get("serial", "TH100-0000")),
        firmware=str(params.get("firmware", "1.2.0")),
        temperature_offset=to_kelvin_difference(params.get("temperature_offset", 0.0),
                                   place("temperature_offset")),
        humidity_offset=to_percent(params.get("humidity_offset", 0.0), place("humidity_offset")),
        temperature_noise=noise_t,
        humidity_noise=noise_h,
        response_time=response_time,
    )


__all__ = ["MAKER", "MODEL", "ThermoHygrometerSim", "create"]
