"""The particulate family's own analyses: the sampling-flow tests of a PM monitor
(HJ 655-2013 6.2.3). The concentration analyses it uses are the shared ones of
``labctl.analysis.concentration``."""
