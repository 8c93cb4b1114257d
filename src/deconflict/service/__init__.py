"""The line over HTTP: ``create_app(line)`` (FastAPI), run by ``deconflict serve``."""
