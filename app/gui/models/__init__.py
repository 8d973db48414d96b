"""Table models: every table in the workstation is a model over plain row values."""
