"""Wire formats as pure functions: format and parse lines, no I/O.

One module per protocol family (``mtsics`` for Mettler Toledo's MT-SICS, ``and_line``
for the A&D standard data format, ``hj212``, ``modbus``), and ``framing``: where one
message ends in a byte stream (lines, HJ 212 frames, Modbus RTU frames), which the
transports and the simulators use to cut frames. Drivers and simulators both use them,
so a driver and its simulated twin cannot disagree about a field width.
"""
