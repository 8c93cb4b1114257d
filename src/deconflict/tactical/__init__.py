"""Tactical conflict detection on state vectors: broad phase (``broad``), exact pairs
(``cpa``), minima areas (``areas``) and ``engine.detect``."""
