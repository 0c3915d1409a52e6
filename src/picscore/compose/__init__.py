"""Algorithmic composition and synthesis: the demo library, test media, fallback music."""
