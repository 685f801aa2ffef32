"""voltfam: a small instrument family built outside labctl, the proof that a family is
added without touching a labctl module (docs/families.md walks through it).

A DC voltage calibrator (a ``source``) drives a digital multimeter under test (a
``meter``); the family brings the two drivers, their simulators on a shared DC line, and
one analysis of its own (``voltage_error``) and a register entry kind of its own
(``voltage_references``, a Zener check standard). Everything reaches labctl through the
entry-point groups a third-party package declares (see ``ENTRY_POINTS``); it imports
only public names of labctl.
"""

ENTRY_POINTS = {
    "labctl.drivers": {
        "voltfam-calibrator": "voltfam.drivers:VoltageCalibrator",
        "voltfam-dmm": "voltfam.drivers:Multimeter",
    },
    "labctl.simulators": {
        "voltfam-calibrator": "voltfam.sims:create_calibrator",
        "voltfam-dmm": "voltfam.sims:create_multimeter",
    },
    "labctl.analyses": {
        "voltage_error": "voltfam.analysis:VOLTAGE_ERROR",
    },
    "labctl.register_kinds": {
        "voltage_references": "voltfam.register:VOLTAGE_REFERENCES",
    },
}
"""What the family's pyproject.toml would declare under [project.entry-points]."""
