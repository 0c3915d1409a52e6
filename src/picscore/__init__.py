"""picscore: puts music from your own library to your pictures."""

__version__ = "0.1.0"
