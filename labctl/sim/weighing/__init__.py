"""The weighing family's simulators: the weighing platform (the shared physical load
receptor), the scale model, and the simulated MT-SICS and A&D scales and weight loader."""
