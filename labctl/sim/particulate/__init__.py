"""The particulate family's simulators: an aerosol chamber driven by an aerosol
generator, a reference PM monitor, a reference flowmeter, a zero-filter valve and a PM
monitor under test with an HJ 212-2017 data logger or a Modbus RTU port
(``modbus_monitor_sim``, PM and cooking fume, on a register map). The physics is in
``chamber`` (the well-mixed chamber with its lag and non-uniformity) and
``monitor_model`` (gain, offset, noise, resolution, averaging, T90, drift, humidity
growth, sampling flow); each device module documents its protocol and its ``sim:``
parameters.
"""
