"""The workstation's panels."""
