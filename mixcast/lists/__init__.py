"""Lists: which items a list holds, in which order, one page at a time.

A list is a *source*: SQL that yields an item id, its list time and a tie-breaking number, in
an order an index already holds (``keyset``). Pages are cut by keyset (``since``/``until``,
cheap at any depth) or by offset (``window``). The ids are then loaded for a whole page at once
(``loaders``), so a page costs the same few queries whatever its length.
"""
