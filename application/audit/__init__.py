"""Tamper evidence for the log: a Merkle tree over the stored events, its proofs and checkpoints."""
