"""The site: server-rendered pages, the developer docs with the OpenAPI document, and media."""
