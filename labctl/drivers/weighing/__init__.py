"""The weighing family's drivers: scales (MT-SICS, A&D format, any line format), the
weight handlers (an automatic loader, the operator placing weights by hand) and the
weighing capabilities they implement (``scale``, ``weight_handler``)."""
