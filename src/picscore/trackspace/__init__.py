"""The library's tracks as the matcher sees them, kept beside the library: candidates, the stored track
space, stored columns, search indexes."""
