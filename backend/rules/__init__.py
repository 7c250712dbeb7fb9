"""Rules as data: when EVENT, if CONDITIONS, then ACTIONS — edited in the desk, no code."""
