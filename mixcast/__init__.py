"""mixcast: a self-hostable platform for audio shows, wire-compatible with the Mixcloud API."""

__version__ = "0.1.0"
