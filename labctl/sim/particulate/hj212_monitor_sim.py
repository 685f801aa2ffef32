"""A simulated PM monitor under test with an HJ 212-2017 data logger.

It answers the platform's requests and, when ``upload_interval`` is given, uploads its
real-time data by itself. Every frame ends in CR LF, so a line transport carries it.

- Request CN 2011 (real-time data) with this logger's MN and password: 9011
  ``QnRtn=1``, the data (CN 2011, the request's QN), 9012 ``ExeRtn=1``. A wrong password
  gets 9011 ``QnRtn=3``, another MN 9011 ``QnRtn=4``, another CN 9011 ``QnRtn=8``
  (codes from memory of the standard, see ``labctl.protocols.hj212``); a frame that does
  not decode (bad CRC, length) gets nothing, as a logger drops it.
- Uploads (``upload_interval: 30 s``): CN 2011 with a fresh QN every interval, Flag 5
  (HJ 212-2017, answer requested) when ``ack`` is true, else 4. A 9014 from the platform
  is taken silently. A reader that falls behind gets the latest upload only (the logger
  keeps one unsent frame).
- ``stop_after: 40 min``: from that clock time on the logger sends and answers nothing (a
  monitor that stops uploading).

The data: ``DataTime`` (2026-01-01 00:00 plus the clock, to the second) and one group per
code of ``codes`` (defaults below) with ``-Rtd`` and ``-Flag=N``: PM2.5, PM10 (the
monitor model), temperature, humidity and pressure of the chamber air, and the sampling
flow the instrument indicates.

Parameters: ``serial``, ``mn`` (default LABCTL-PM-0001), ``pw`` (default 123456), ``st``
(default 22, ambient air quality), ``codes`` ({pm25: a34004, ...}), ``upload_interval``,
``ack``, ``stop_after`` and those of ``monitor_model`` (``port`` defaults to ``dut``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime, timedelta
from typing import Any

from labctl.errors import ConfigError
from labctl.protocols import hj212
from labctl.sim.device import ALL, SimDevice
from labctl.sim.particulate.flowmeter_sim import SAMPLERS
from labctl.sim.particulate.monitor_model import MODEL_KEYS, MonitorModel, monitor_from_params
from labctl.sim.world import World

EPOCH = datetime(2026, 1, 1)
DEFAULT_CODES = {"pm25": "a34004", "pm10": "a34002", "temperature": "a01001",
                 "humidity": "a01002", "pressure": "a01006", "flow": "qflow"}
KEYS = ("serial", "mn", "pw", "st", "codes", "upload_interval", "ack", "stop_after",
        *MODEL_KEYS)


class Hj212MonitorSim(SimDevice):
    name = "hj212-pm-monitor"
    read_termination = b"\r\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, model: MonitorModel, *, mn: str, pw: str, st: str,
                 codes: Mapping[str, str], upload_interval: float, ack: bool,
                 stop_after: float | None) -> None:
        self.model = model
        self.mn, self.pw, self.st = mn, pw, st
        self.codes = dict(codes)
        self.upload_interval = upload_interval
        self.ack = ack
        self.stop_after = stop_after
        self.received: list[hj212.Frame] = []     # what the platform sent (for tests)
        super().__init__(world.clock)
        self._next_upload = self.clock.now() + upload_interval if upload_interval else None

    # -- the logger ------------------------------------------------------------------
    def silent(self) -> bool:
        return self.stop_after is not None and self.clock.now() >= self.stop_after

    def values(self) -> dict[str, str]:
        """What the logger reports now, by quantity, as text."""
        m = self.model
        chamber = m.chamber
        return {"pm25": f"{m.indication('pm25'):.1f}", "pm10": f"{m.indication('pm10'):.1f}",
                "temperature": f"{chamber.temperature:.1f}",
                "humidity": f"{chamber.humidity:.1f}",
                "pressure": f"{chamber.pressure:.2f}",
                "flow": f"{m.flow_indication():.2f}"}

    def data(self) -> hj212.Cp:
        now = self.clock.now()
        values = self.values()
        pollutants = {self.codes[k]: {"Rtd": v, "Flag": "N"} for k, v in values.items()
                      if k in self.codes}
        when = EPOCH + timedelta(seconds=int(now))
        return hj212.Cp(data_time=when, pollutants=pollutants)

    def _line(self, frame: hj212.Frame) -> str:
        return hj212.encode(frame)[:-2].decode("ascii")   # the CR LF is the termination

    def handle(self, line: str) -> list[str]:
        if self.silent():
            return []
        try:
            frame = hj212.decode(line.encode("ascii", "replace") + b"\r\n")
        except hj212.Hj212Error:
            return []
        self.received.append(frame)
        if frame.cn == hj212.CN_DATA_REPLY:
            return []
        if frame.qn is None:
            return []
        if frame.mn != self.mn:
            return [self._line(hj212.request_reply(frame, hj212.QnRtn.BAD_MN))]
        if frame.pw != self.pw:
            return [self._line(hj212.request_reply(frame, hj212.QnRtn.BAD_PASSWORD))]
        if frame.cn != hj212.CN_REALTIME_DATA:
            return [self._line(hj212.request_reply(frame, hj212.QnRtn.BAD_CN))]
        return [self._line(f) for f in hj212.replies(frame, self.data())]

    # -- uploads: produced when their time has come -----------------------------------
    def _upload_due(self) -> None:
        if self._next_upload is None:
            return
        now = self.clock.now()
        if self._next_upload > now:
            return
        missed = int((now - self._next_upload) // self.upload_interval)
        self._next_upload += (missed + 1) * self.upload_interval
        if self.silent():
            return
        when = EPOCH + timedelta(seconds=now)
        frame = hj212.Frame(st=self.st, cn=hj212.CN_REALTIME_DATA, pw=self.pw, mn=self.mn,
                            qn=hj212.make_qn(when), flag=hj212.Flag(ack=self.ack),
                            cp=self.data())
        self._queue(self._line(frame))

    def read(self, max_bytes: int = 65536, session: Hashable = ALL) -> bytes:
        with self._lock:
            self._upload_due()
            return super().read(max_bytes, session)

    def next_due(self, session: Hashable = ALL) -> float | None:
        with self._lock:
            due = super().next_due(session)
            if self._next_upload is None or (self.stop_after is not None
                                             and self._next_upload >= self.stop_after):
                return due
            return self._next_upload if due is None else min(due, self._next_upload)


def create(world: World, params: Mapping[str, Any]) -> Hj212MonitorSim:
    """Simulator factory (``hj212-pm-monitor`` in ``labctl.simulators``)."""
    model, r = monitor_from_params(world, params, "hj212-pm-monitor", KEYS, port="dut",
                                   t90=120.0, resolution=0.1)
    codes = r.get("codes") or {}
    if not isinstance(codes, Mapping) or set(codes) - set(DEFAULT_CODES):
        raise ConfigError("codes maps quantities to HJ 212 codes",
                          where=r.where("codes"),
                          hint=f"quantities: {', '.join(DEFAULT_CODES)}")
    interval = r.number("upload_interval", 0.0, unit="s", minimum=0)
    stop = r.get("stop_after")
    device = Hj212MonitorSim(
        world, model, mn=r.text("mn", "LABCTL-PM-0001"), pw=r.text("pw", "123456"),
        st=r.text("st", hj212.ST_AIR_QUALITY),
        codes={**DEFAULT_CODES, **{k: str(v) for k, v in codes.items()}},
        upload_interval=interval, ack=r.flag("ack", True),
        stop_after=None if stop is None else r.number("stop_after", 0.0, unit="s", minimum=0))
    world.put(SAMPLERS + model.port, model)
    return device
