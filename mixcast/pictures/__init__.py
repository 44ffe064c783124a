"""Stored pictures (profile, cover and show artwork) and the ``pictures`` maps that point at them.

Every rendition is made when the picture is stored, under ``pictures/<id>/<W>x<H>.jpg``, and
served by the site at ``/media/pictures/<id>/<W>x<H>.jpg``. A user or show without a picture
points at the default set, made once per storage by ``ensure_defaults``.
"""
