"""Migration scripts: one file per revision, applied in order."""
