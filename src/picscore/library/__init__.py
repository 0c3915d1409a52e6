"""The music library: one SQLite file of analysed tracks, and the indexer that fills it."""
