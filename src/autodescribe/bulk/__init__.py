"""Bulk captioning for dataset teams: manifest in, one caption row per video out.

`caption()` in `autodescribe.bulk.run` is the entry point; `worker.CaptionWorker`
does the work under both runners (`local` processes, `ray` Ray Data).
"""
