"""Curation: from a camera roll, the photos worth showing (see select.py)."""
