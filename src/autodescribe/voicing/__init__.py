"""Voicing the descriptions: synthesis, levelling and the fit of each line into its gap."""
