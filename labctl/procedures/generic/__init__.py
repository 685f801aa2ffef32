"""The core's generic actions, which every family's procedures can use (registered in
the ``labctl.actions`` entry-point group like a family's own):

- ``wait`` and ``prompt`` (``timing``);
- ``read`` (``reading``): any measurement of a ``meter`` role, ``count`` times, with
  an optional averaging window;
- ``settle`` (``settling``): wait until a meter's measurement is stable by slope and
  standard deviation over a moving window, or fail the point at the timeout;
- ``record_series`` (``series``): a measurement sampled at an interval for a duration
  or until a level is crossed (the raw material of response-time and drift tests);
- ``set`` and ``output`` (``source``): a ``source`` role's set points and output.
"""
