"""The gas family's analyses: the indication error of a gas analyzer against the
concentration a dilution calibrator makes from a certified cylinder (``indication``,
with the dilution model of ``dilution``), and the alarm action value (``alarm``). The
repeatability, response time and drift of gas analyzers are the general concentration
analyses (``labctl.analysis.concentration``)."""
