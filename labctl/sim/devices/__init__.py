"""Device simulators: a device model reading the shared world, behind a wire protocol.

One module per simulated instrument; each has a factory ``create(world, params)``
registered under the ``labctl.simulators`` entry-point group with the name of the driver
that talks to it (``sim://<name>``):

- ``mtsics_scale``: a balance speaking MT-SICS (``mtsics-scale``);
- ``and_scale``: a scale speaking the A&D standard data format (``and-scale``);
- ``weight_loader``: an automatic weight loader (``weight-loader``);
- ``thermohygrometer``: a thermo-hygrometer in the simulated room.

The scales and the loader share the ``WeighingPlatform`` of
``labctl.sim.weighing.weighing_platform`` through the world; ``sequential`` holds the base of
devices whose commands take time, ``scale_front`` what the two scales share.
"""
