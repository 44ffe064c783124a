"""Ranking: the popular and hot scores the lists are ordered by, and the similar-shows heuristic.

``scores`` holds the formulas (pure functions and their constants), ``job`` the periodic
refresh that stores them on ``shows`` and ``show_tags``, ``similar`` the related-shows list.
The formulas, windows and bounds are written down in docs/ranking.md.
"""

from mixcast.ranking.job import RefreshStats, ranking_now, refresh_now, refresh_scores

__all__ = ["RefreshStats", "ranking_now", "refresh_now", "refresh_scores"]
