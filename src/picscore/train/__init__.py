"""Training and evaluation: pair data sets, metrics, and (later) the training loop."""
