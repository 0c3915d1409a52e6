"""Package data: the fitted mood heads (tools/fit_moods.py writes them; provenance in NOTICE)."""
