"""One module per ``labctl`` subcommand, imported lazily by ``labctl.cli``."""
