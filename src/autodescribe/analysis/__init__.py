"""Analysis stages that read the programme: frames (shots and stills), scenes, speech,
transcript, gaps, on-screen text.
"""
