"""The weighing family's analyses (OIML R 76-1 / JJG 539 tests of a non-automatic
weighing instrument): zero setting, weighing error, eccentricity, repeatability,
discrimination and tare, each registered in the ``labctl.analyses`` entry-point group."""
