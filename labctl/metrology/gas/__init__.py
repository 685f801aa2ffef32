"""The gas family's metrology: its units and the dilution model of a gas calibrator."""
