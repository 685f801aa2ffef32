"""The particulate family's drivers: an aerosol generator (``source``), a reference PM
monitor and a reference flowmeter (``meter``), a zero-filter valve (``source``) and a PM
monitor under test reporting over HJ 212-2017 or read over Modbus RTU through a
register map (``meter``; ``modbus_monitor``). Each module's docstring is
the instrument's command set."""
