"""Incident review: historical encounter analysis of recorded traffic (``docs/analysis.md``)."""
