"""Suggest: score the library's tracks against pictures, rerank, and explain."""
