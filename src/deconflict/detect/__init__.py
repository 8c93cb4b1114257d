"""Tactical conflict detection: broad phase (``broad``), exact pairs (``cpa``), ``engine``."""
