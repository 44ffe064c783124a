"""Uploads: from a multipart body on the wire to a show whose media the pipeline makes.

- ``multipart``: the streaming parser; files go to temporary files as they arrive.
- ``fields``: the upload and edit fields of api-docs.md, validated all at once.
- ``intake``: ``accept_upload``: probe, store the original, create the show, enqueue its job.
- ``pipeline``: the job: stream rendition, waveform peaks, picture renditions.
- ``client``/``cli``: ``mixcast upload``, the command-line uploader.
"""
