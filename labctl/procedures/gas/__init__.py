"""The gas family's actions: ``select_cylinder`` (a stream selector's port, with the
calibration cylinder plumbed to it journaled)."""
