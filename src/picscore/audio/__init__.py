"""Audio analysis: spectrograms, tempo and beats, key, loudness, highlight, affect."""
