"""Package data: the shared text-space vocabulary (see picscore.moods.vocabulary)."""
