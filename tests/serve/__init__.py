"""Tests of `picscore serve`: the HTTP API and the web page, against a real server on loopback."""
