"""yomiage: turn a Japanese article into a chaptered podcast episode."""

__version__ = "0.1.0"
