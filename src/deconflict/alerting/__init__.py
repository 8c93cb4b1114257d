"""Graded alerting (DO-365 well-clear, as in DAIDALUS): volumes, alerters, hysteresis."""
