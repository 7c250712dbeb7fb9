"""Photo intake and file storage.

``pipeline`` turns an untrusted upload into upright, metadata-free JPEG variants (pure CPU,
no database, no web framework); ``storage`` keeps bytes under content-addressed keys with
crash-safe writes. The web layer glues them together.
"""
