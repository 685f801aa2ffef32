"""PM monitor under test reporting over HJ 212-2017 (capability ``meter``).

labctl plays the platform. Two ways to get a value, the bench's ``mode`` option:

- ``poll`` (default): a request CN 2011 (real-time data) with the logger's MN and
  password; the logger answers 9011 (``QnRtn``), the data (CN 2011, the request's QN)
  and 9012 (``ExeRtn``)::

      -> ##....QN=...;ST=22;CN=2011;PW=123456;MN=LABCTL-PM-0001;Flag=5;CP=&&&&....
      <- ##....QN=...;ST=91;CN=9011;PW=...;MN=...;Flag=4;CP=&&QnRtn=1&&....
      <- ##....QN=...;ST=22;CN=2011;...;CP=&&DataTime=...;a34004-Rtd=35.2,a34004-Flag=N;...&&....
      <- ##....QN=...;ST=91;CN=9012;...;CP=&&ExeRtn=1&&....

- ``listen``: wait for the logger's own next upload (CN 2011), check its MN and
  password, and answer 9014 when its Flag asks for an answer. The transport's
  ``timeout`` must be longer than the upload interval.

Every frame ends in CR LF (the line transport's termination). A 9011 refusing the request
(``QnRtn`` 3: wrong password, 4: wrong MN), an upload from another MN or with another
password, a frame that fails its CRC or length check and a missing reply (the monitor
stopped reporting) raise ``InstrumentError`` naming the instrument and the command.

Options: ``mn``, ``pw``, ``st`` (default 22), ``mode``, ``maker`` and ``model`` (HJ 212
cannot tell them), ``codes`` (quantity -> HJ 212
code; defaults a34004 PM2.5, a34002 PM10, a01001 temperature, a01002 humidity, a01006
pressure; the code of the sampling flow, ``flow``, is platform-specific: no code for it
is confirmed in HJ 212-2017, the default ``qflow`` is labctl's own), and the data plate:
``resolution`` (e.g. 0.1 ug/m^3), ``range`` (e.g. 1000 ug/m^3), ``flow_nominal`` (e.g.
16.67 L/min).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any, ClassVar

from labctl.drivers.base import Instrument, quantity_maker
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.options import option_quantity
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout
from labctl.protocols import hj212

DEFAULT_CODES = {"pm25": "a34004", "pm10": "a34002", "temperature": "a01001",
                 "humidity": "a01002", "pressure": "a01006", "flow": "qflow"}
UNITS = {"pm25": "ug/m^3", "pm10": "ug/m^3", "temperature": "degC", "humidity": "percent",
         "pressure": "kPa", "flow": "L/min"}
_QN_EPOCH = datetime(2026, 1, 1)
_QN_RTN = {3: "wrong password", 4: "wrong MN (another data logger)", 5: "wrong ST",
           8: "unknown command"}


class Hj212PmMonitor(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = tuple(DEFAULT_CODES)
    option_names: ClassVar[frozenset[str]] = frozenset(
        {"mn", "pw", "st", "mode", "codes", "maker", "model", "resolution", "range",
         "flow_nominal"})
    option_units: ClassVar[dict[str, str]] = {"resolution": "ug/m^3", "range": "ug/m^3",
                                              "flow_nominal": "L/min"}
    #: quantity -> HJ 212 code (None: the bench must give it), and the quantities' units
    default_codes: ClassVar[dict[str, str | None]] = DEFAULT_CODES
    units: ClassVar[dict[str, str]] = UNITS
    #: data plate option -> its default
    plate_defaults: ClassVar[dict[str, str]] = {"resolution": "0.1 ug/m^3",
                                                "range": "1000 ug/m^3",
                                                "flow_nominal": "16.67 L/min"}
    default_st: ClassVar[str] = hj212.ST_AIR_QUALITY
    main_quantity: ClassVar[str] = "pm25"

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        self.mn = str(self.options.get("mn", "LABCTL-PM-0001"))
        self.pw = str(self.options.get("pw", "123456"))
        self.st = str(self.options.get("st", self.default_st))
        self.mode = str(self.options.get("mode", "poll"))
        if self.mode not in ("poll", "listen"):
            raise ConfigError(f"mode must be poll or listen, got {self.mode!r}",
                              where=f"instrument {name!r}, option 'mode'")
        codes = self.options.get("codes") or {}
        unknown = sorted(set(codes) - set(self.units))
        if unknown:
            raise ConfigError(f"codes: unknown quantity {unknown[0]!r}",
                              where=f"instrument {name!r}, option 'codes'",
                              hint=f"quantities: {', '.join(self.units)}")
        merged = {**self.default_codes, **{k: str(v) for k, v in codes.items()}}
        missing = [k for k, v in merged.items() if v is None]
        if missing:
            raise ConfigError(f"codes: no HJ 212 code for {missing[0]!r}: it differs "
                              "between platforms", where=f"instrument {name!r}, option 'codes'",
                              hint=f"give the platform's code, e.g. codes: {{{missing[0]}: ...}}")
        self.codes: dict[str, str] = {k: str(v) for k, v in merged.items()}
        self._makers = {k: quantity_maker(u) for k, u in self.units.items()}
        self._qn = itertools.count()

    # -- identity and data plate ----------------------------------------------------
    def identify(self) -> Identity:
        """HJ 212 has no identification command: the MN (the logger's unique id) stands
        for the serial, and maker and model are the bench's ``maker`` and ``model``
        options; a real-time data exchange proves the logger answers to that MN."""
        self._exchange("identify")
        return Identity(str(self.options.get("maker", "unknown maker")),
                        str(self.options.get("model", "PM monitor (HJ 212-2017)")), self.mn, "")

    def data_plate(self) -> dict[str, Any]:
        plate: dict[str, Any] = {"mn": self.mn}
        for key, default in self.plate_defaults.items():
            plate[key] = option_quantity(self.name, self.options, key,
                                         self.option_units[key], default)
        return plate

    # -- reading ----------------------------------------------------------------------
    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        name = name or self.main_quantity
        if name not in self.codes:
            raise InstrumentError(f"the monitor reports {', '.join(self.codes)}, not {name!r}",
                                  instrument=self.name, command="measure")
        frame = self._exchange(f"read {name}")
        values: dict[str, Any] = {}
        flags: set[str] = set()
        for quantity, code in self.codes.items():
            fields = frame.cp.pollutants.get(code)
            if fields is None or "Rtd" not in fields:
                continue
            try:
                values[quantity] = self._makers[quantity](float(fields["Rtd"]))
            except ValueError:
                raise InstrumentError(f"{code}-Rtd={fields['Rtd']!r} is not a number",
                                      instrument=self.name, command=f"read {name}") from None
            if quantity == name and fields.get("Flag", "N") != "N":
                flags.add(f"data_flag_{fields['Flag']}")
        if name not in values:
            raise InstrumentError(f"the data carry no {self.codes[name]}-Rtd ({name})",
                                  instrument=self.name, command=f"read {name}",
                                  reply=hj212.encode_cp(frame.cp),
                                  hint="check the monitor's codes option against what the "
                                       "logger sends")
        value = values.pop(name)
        return Reading(value=value, stable=None, flags=frozenset(flags),
                       raw=hj212.encode_cp(frame.cp), values=values)

    def _exchange(self, command: str) -> hj212.Frame:
        try:
            return self._poll(command) if self.mode == "poll" else self._listen(command)
        except InstrumentTimeout as exc:
            what = ("answer" if self.mode == "poll" else "upload")
            raise InstrumentTimeout(
                f"the data logger did not {what} within {self.transport.options.timeout:g} s "
                "(has it stopped reporting?)", instrument=self.name,
                command=f"{command} (CN 2011)",
                hint="check the monitor and its link; in listen mode the timeout must be "
                     "longer than the upload interval") from exc

    def _next_qn(self) -> str:
        return hj212.make_qn(_QN_EPOCH + timedelta(milliseconds=next(self._qn)))

    def _frame(self, line: str, command: str) -> hj212.Frame:
        try:
            return hj212.decode(line + "\r\n")
        except hj212.Hj212Error as exc:
            raise InstrumentError(f"bad HJ 212 frame: {exc.message}", instrument=self.name,
                                  command=command, reply=line, hint=exc.hint) from None

    def _poll(self, command: str) -> hj212.Frame:
        request = hj212.Frame(st=self.st, cn=hj212.CN_REALTIME_DATA, pw=self.pw, mn=self.mn,
                              qn=self._next_qn(), flag=hj212.Flag(ack=True))
        text = hj212.encode(request)[:-2].decode("ascii")
        label = f"{command} (CN 2011 QN={request.qn})"
        with self.transport.lock:
            self.transport.discard_input()
            self.write(text)
            data = None
            for _ in range(16):   # 9011, the data, 9012 (and uploads in between)
                frame = self._frame(self.read(label), label)
                if frame.qn != request.qn:
                    continue     # an upload or a stale answer: not ours
                if frame.cn == hj212.CN_REQUEST_REPLY:
                    rtn = frame.cp.params.get("QnRtn", "")
                    if rtn != str(int(hj212.QnRtn.READY)):
                        why = _QN_RTN.get(int(rtn) if rtn.isdigit() else -1, "refused")
                        raise InstrumentError(
                            f"the data logger refused the request: QnRtn={rtn} ({why})",
                            instrument=self.name, command=label, reply=hj212.encode_cp(frame.cp),
                            hint="check the mn and pw options against the logger's settings")
                elif frame.cn == hj212.CN_REALTIME_DATA:
                    data = frame
                elif frame.cn == hj212.CN_EXECUTION_RESULT:
                    if data is None:
                        raise InstrumentError(
                            f"the logger ended the request without data "
                            f"(ExeRtn={frame.cp.params.get('ExeRtn')})",
                            instrument=self.name, command=label)
                    return data
            raise InstrumentError("no 9012 after the data", instrument=self.name,
                                  command=label)

    def _listen(self, command: str) -> hj212.Frame:
        label = f"{command} (waiting for an upload)"
        with self.transport.lock:
            self.transport.discard_input()
            for _ in range(64):
                frame = self._frame(self.read(label), label)
                if frame.cn != hj212.CN_REALTIME_DATA:
                    continue
                if frame.mn != self.mn or frame.pw != self.pw:
                    what = "MN" if frame.mn != self.mn else "password"
                    raise InstrumentError(
                        f"an upload with the wrong {what} (MN={frame.mn})",
                        instrument=self.name, command=label,
                        hint="check the mn and pw options against the logger's settings")
                if frame.wants_ack:
                    self.write(hj212.encode(hj212.data_reply(frame))[:-2].decode("ascii"))
                return frame
            raise InstrumentError("no real-time upload among 64 frames", instrument=self.name,
                                  command=label)
