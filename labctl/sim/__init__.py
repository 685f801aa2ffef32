"""Simulation: clocks, the physical world, device simulators that speak wire protocols,
fault injection and the real-time server. Simulators know nothing of drivers."""
