"""Package data: the shared text-space vocabulary (see picscore.models.vocabulary)."""
