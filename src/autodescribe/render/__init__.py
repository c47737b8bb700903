"""Rendering the deliverables: timeline, mix, loudness, extended description, splice, mux,
HLS, delivery.
"""
