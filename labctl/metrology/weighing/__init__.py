"""Metrological tables of the weighing family: the accuracy classes of OIML R 76-1 and
the weight classes of OIML R 111-1, each looked up in a data file of ``labctl/data``."""
