"""Work that runs outside a request: for now a small in-process periodic runner (``periodic``).

A persistent queue (huey) arrives later; the periodic tasks move onto huey's then.
"""
