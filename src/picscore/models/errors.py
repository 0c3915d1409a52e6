"""The models' error type, importable without torch."""


class ModelError(Exception):
    """A model file cannot be used; the message names the file and the cause."""
