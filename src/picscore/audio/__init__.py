"""Audio analysis: spectrograms, tempo and beats, key, loudness, highlight, affect."""

# Bump when any stored descriptor would come out differently: the library re-analyses rows
# with an older version. Kept here, not in analysis.py, so that reading a library does not
# load the analysis (and SciPy with it).
ANALYSIS_VERSION = 4
