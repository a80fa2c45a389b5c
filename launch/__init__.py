"""Thin absl-flag launchers: parse flags, build a config, call the library."""
