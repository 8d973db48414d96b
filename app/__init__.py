"""Tradebench's applications: the command line and the desktop workstation."""
