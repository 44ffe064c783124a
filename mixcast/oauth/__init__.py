"""OAuth2 for the API (api-docs.md "Authorization", wire-format.md §6): developer apps with their
redirect URIs, authorization codes (single-use, 10 minutes, PKCE S256) and access tokens. Every
secret (client secret, code, token) is stored as its sha256; the clear value is shown once."""
