"""Small helpers every floor uses: the work folder cache, lazy imports, progress,
processes, languages.
"""
