"""Moods people agree with: valence and arousal of pictures and music, learned from human ratings, and their words."""
