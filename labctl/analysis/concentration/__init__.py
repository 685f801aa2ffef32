"""Concentration analyses shared by the families that calibrate concentration monitors
(particulates, and the gas family after it): relative indication error against a
reference instrument, repeatability, zero, response time (T90). Each reads readings by
role and name from the journal, so a family's procedure only has to name them; limits
come from the procedure's options or from the data table the procedure names
(``data: {limits: <document-edition>}``, in ``labctl/data/<family>/``, the folder given
by the ``limits_folder`` option)."""
