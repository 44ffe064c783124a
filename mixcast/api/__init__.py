"""The Mixcloud-compatible JSON API: routes, parameters, rendering, JSONP and errors.

A thin layer: handlers parse the request, call domain functions, and render rows to JSON.
"""
