"""Simulated gas family: the gas line (``line``), the dilution calibrator, the mass-flow
controller and the analyzers under test, each speaking its wire protocol."""
