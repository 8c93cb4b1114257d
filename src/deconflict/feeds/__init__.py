"""Feeds: adapters that turn a source of traffic into states pushed to the line
(``sbs``: an ADS-B receiver's SBS/BaseStation text over TCP)."""
