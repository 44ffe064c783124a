"""Demo data for ``mixcast demo``: believable users, shows, pictures, audio and activity.

``plan`` decides the users and shows and ``activity`` what they did (both seeded, on the fixed
clock of ``model``); ``names`` holds the word lists; ``art`` and ``audio`` make the pictures and
MP3 clips; ``loader.load_demo`` writes it all through the domain's named functions.
"""
