"""Wire formats as pure functions: format and parse lines, no I/O.

One module per protocol family (``mtsics`` for Mettler Toledo's MT-SICS, ``and_line``
for the A&D standard data format). Drivers and simulators both use them, so a driver
and its simulated twin cannot disagree about a field width.
"""
