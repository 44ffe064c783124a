"""The OpenAPI 3.1 document of the API, built from the route table (``api.routes``) and the
object schemas below, which mirror ``api.render``. Published at ``/developers/openapi.json``."""

from __future__ import annotations

from typing import Any

from mixcast import __version__
from mixcast.api.render import SHOW_CONNECTIONS, TAG_CONNECTIONS, USER_CONNECTIONS
from mixcast.api.routes import ApiRoute
from mixcast.embeds import FLAGS, MAX_SIZE
from mixcast.media.artwork import COVER_SIZES, SHOW_SIZES, USER_SIZES


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def _pictures(sizes: dict[str, tuple[int, int]]) -> dict[str, Any]:
    schema = _obj({name: {"type": "string", "format": "uri"} for name in sizes})
    schema["additionalProperties"] = False
    return schema


def _metadata(connections: tuple[str, ...]) -> dict[str, Any]:
    links = _obj({name: {"type": "string", "format": "uri"} for name in connections})
    return _obj({"connections": links})


STRING = {"type": "string"}
INT = {"type": "integer"}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}
KEY = {"type": "string", "pattern": "^/.*/$"}
URL = {"type": "string", "format": "uri"}


def _type(name: str) -> dict[str, Any]:
    return {"type": {"const": name, "description": "Only with metadata=1."}}


USER_BRIEF = {
    "key": KEY,
    "url": URL,
    "name": STRING,
    "username": STRING,
    "pictures": _ref("UserPictures"),
}
USER_COUNTS = (
    "favorite_count",
    "following_count",
    "follower_count",
    "listen_count",
    "cloudcast_count",
)
SHOW_BRIEF = {
    "key": KEY,
    "url": URL,
    "name": STRING,
    "slug": STRING,
    "tags": {"type": "array", "items": _ref("TagBrief")},
    "user": _ref("UserBrief"),
    "pictures": _ref("ShowPictures"),
    "created_time": TIME,
    "updated_time": TIME,
    "audio_length": INT,
    **{
        c: INT
        for c in ("play_count", "favorite_count", "listener_count", "repost_count", "comment_count")
    },
}
NAMED = {"name": STRING, "key": KEY, "url": URL, "slug": STRING}
_FLAG = {"type": "boolean"}
# The token extras (docs/api.md "Access tokens"): only when the request carries a token.
USER_EXTRAS = {
    "following": {**_FLAG, "description": "With a token: the token's user follows this user."},
    "follower": {**_FLAG, "description": "With a token: this user follows the token's user."},
}
FULL_USER_EXTRAS = {
    **USER_EXTRAS,
    "is_current_user": {**_FLAG, "description": "With a token: this is the token's user."},
}
SHOW_EXTRAS = {
    "favorited": {**_FLAG, "description": "With a token: the token's user favorited it."},
    "reposted": {**_FLAG, "description": "With a token: the token's user reposted it."},
    "listen_later": {**_FLAG, "description": "With a token: it is on their listen-later."},
}


def _list(item: str | None) -> dict[str, Any]:
    """The list envelope (§4.1); ``name`` is absent on some lists. Search items are shows,
    users or tags, by ``type``."""
    items = (
        _ref(item) if item else {"anyOf": [_ref("ShowBrief"), _ref("UserBrief"), _ref("TagBrief")]}
    )
    return _obj(
        {"data": {"type": "array", "items": items}, "paging": _ref("Paging")}, {"name": STRING}
    )


COMPONENTS: dict[str, Any] = {
    "UserPictures": _pictures(USER_SIZES),
    "ShowPictures": _pictures(SHOW_SIZES),
    "CoverPictures": _pictures(COVER_SIZES),
    "UserBrief": _obj(USER_BRIEF, {**_type("user"), **USER_EXTRAS}),
    "User": _obj(
        {
            **USER_BRIEF,
            "cover_pictures": _ref("CoverPictures"),
            "picture_primary_color": {"type": "string", "pattern": "^[0-9a-f]{6}$"},
            "biog": STRING,
            "city": STRING,
            "country": STRING,
            **{c: INT for c in USER_COUNTS},
            "created_time": TIME,
            "updated_time": TIME,
            "is_pro": {"type": "boolean"},
            "is_premium": {"type": "boolean"},
        },
        {**_type("user"), "metadata": _metadata(USER_CONNECTIONS), **FULL_USER_EXTRAS},
    ),
    "Me": {
        "allOf": [
            _ref("User"),
            _obj({"is_current_user": {"const": True}, "following": _FLAG, "follower": _FLAG}),
        ]
    },
    "TagBrief": _obj({"key": KEY, "url": URL, "name": STRING}, _type("tag")),
    "Tag": _obj(
        {"key": KEY, "url": URL, "name": STRING},
        {**_type("tag"), "metadata": _metadata(TAG_CONNECTIONS)},
    ),
    "Section": {
        "oneOf": [
            _obj(
                {
                    "track": _obj(
                        {**NAMED, "artist": _obj(NAMED, _type("artist"))}, _type("track")
                    ),
                    "position": INT,
                    "start_time": {"type": ["integer", "null"]},
                    "section_type": {"const": "track"},
                },
                _type("section"),
            ),
            _obj(
                {
                    "chapter": STRING,
                    "position": INT,
                    "start_time": {"type": ["integer", "null"]},
                    "section_type": {"const": "chapter"},
                },
                _type("section"),
            ),
        ]
    },
    "ShowBrief": _obj(SHOW_BRIEF, {**_type("cloudcast"), **SHOW_EXTRAS}),
    "Show": _obj(
        {
            **SHOW_BRIEF,
            "description": STRING,
            "picture_primary_color": {"type": "string", "pattern": "^[0-9a-f]{6}$"},
            "sections": {"type": "array", "items": _ref("Section")},
        },
        {
            **_type("cloudcast"),
            "metadata": _metadata(SHOW_CONNECTIONS),
            **SHOW_EXTRAS,
            "hosts": {
                "type": "array",
                "items": _ref("UserBrief"),
                "description": "The users tagged as its hosts; absent when there are none.",
            },
            "upload_status": {
                "enum": ["received", "processing", "ready", "failed"],
                "description": "To its owner only: where the media pipeline is.",
            },
            "upload_error": {**STRING, "description": "To its owner only, when failed: why."},
        },
    ),
    "Comment": _obj(
        {
            "key": KEY,
            "url": URL,
            "comment": STRING,
            "submit_date": TIME,
            "user": _ref("UserBrief"),
        },
        _type("comment"),
    ),
    "Playlist": _obj(
        {
            **NAMED,
            "description": STRING,
            "user": _ref("UserBrief"),
            "cloudcast_count": INT,
            "created_time": TIME,
            "updated_time": TIME,
        },
        {**_type("playlist"), "metadata": _metadata(("cloudcasts",))},
    ),
    "Listen": _obj({**SHOW_BRIEF, "listen_time": TIME}, {**_type("cloudcast"), **SHOW_EXTRAS}),
    "FeedItem": _obj(
        {
            "key": KEY,
            "url": URL,
            "from": _ref("UserBrief"),
            "title": {"enum": ["uploaded", "favorited", "reposted", "listened to"]},
            "type": {"enum": ["upload", "favorite", "repost", "listen"]},
            "created_time": TIME,
            "cloudcasts": {"type": "array", "items": _ref("ShowBrief")},
        }
    ),
    "Paging": _obj({}, {"previous": URL, "next": URL}),
    "ActionResult": _obj({"result": _obj({"success": {"const": True}, "message": STRING})}),
    "UploadResult": _obj(
        {"result": _obj({"success": {"const": True}, "message": STRING, "key": KEY})}
    ),
    **{
        f"{name}List": _list(item)
        for name, item in (
            ("Show", "ShowBrief"),
            ("User", "UserBrief"),
            ("Comment", "Comment"),
            ("Playlist", "Playlist"),
            ("Listen", "Listen"),
            ("Feed", "FeedItem"),
        )
    },
    "SearchList": _list(None),
    "EmbedHTML": {
        "type": "string",
        "description": "The widget's <iframe> embed code, served as text/html.",
    },
    "EmbedJSON": _obj({"html": {**STRING, "description": "The widget's <iframe> embed code."}}),
    "Error": _obj(
        {"error": _obj({"type": STRING, "message": STRING}, {"retry_after": INT})},
        {"details": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}}},
    ),
}

PARAMETERS: dict[str, Any] = {
    "metadata": {
        "name": "metadata",
        "in": "query",
        "required": False,
        "description": "1 adds metadata.connections to the object and type to every object.",
        "schema": {
            "type": "string",
            "enum": ["0", "1", "true", "false", "on", "off", "yes", "no", ""],
        },
    },
    "callback": {
        "name": "callback",
        "in": "query",
        "required": False,
        "description": "JSONP: wrap the body in a call to this JavaScript identifier path; "
        "served as text/javascript. Empty counts as absent.",
        "schema": {
            "type": "string",
            "pattern": r"^([A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*)?$",
            "maxLength": 128,
        },
    },
}

_PAGING_TIME = {
    "type": "string",
    "description": "A unix timestamp, YYYY-MM-DD HH:MM:SS (UTC), or a value from a paging link.",
}
PARAMETERS.update(
    {
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Items per page: 20 by default, at most 100 (larger values are "
            "clamped).",
            "schema": {"type": "string", "pattern": "^[0-9]{0,9}$"},
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "Page by position; links then carry offsets instead of dates.",
            "schema": {"type": "string", "pattern": "^[0-9]{0,8}$"},
        },
        "since": {
            "name": "since",
            "in": "query",
            "required": False,
            "description": "Only items newer than this (exclusive).",
            "schema": _PAGING_TIME,
        },
        "until": {
            "name": "until",
            "in": "query",
            "required": False,
            "description": "Only items older than this (exclusive).",
            "schema": _PAGING_TIME,
        },
        "method": {
            "name": "method",
            "in": "query",
            "required": False,
            "description": "delete: a POST that removes, as DELETE does (also as a form field).",
            "schema": {"enum": ["delete", "DELETE", "post", "POST", ""]},
        },
        "q": {
            "name": "q",
            "in": "query",
            "required": True,
            "description": "The words to look for; the last one also matches as a prefix.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        },
        "type": {
            "name": "type",
            "in": "query",
            "required": True,
            "description": "What to search: cloudcast (or upload), user or tag.",
            "schema": {"enum": ["cloudcast", "upload", "user", "tag"]},
        },
    }
)

_FLAG_VALUES = {"enum": ["0", "1", "true", "false", "on", "off", "yes", "no", ""]}
_FLAG_TEXT = {
    "hide_cover": "1 (the default) hides the cover picture; 0 shows it.",
    "mini": "1: the mini player, 60 pixels high.",
    "light": "1: the light theme.",
    "hide_artwork": "1: no artwork beside the title.",
    "hide_tracklist": "1: no tracklist.",
    "autoplay": "1: the player starts playing on load, where the browser lets it.",
}
EMBED_PARAMETERS = ["width", "height", "color", *FLAGS]
PARAMETERS.update(
    {
        "width": {
            "name": "width",
            "in": "query",
            "required": False,
            "description": f"The iframe's width: pixels from 1 to {MAX_SIZE}, or a percentage "
            "from 1% to 100%. Default 100%.",
            "schema": {"type": "string", "pattern": "^([1-9][0-9]{0,3}|([1-9][0-9]?|100)%)?$"},
        },
        "height": {
            "name": "height",
            "in": "query",
            "required": False,
            "description": f"The iframe's height in pixels, from 1 to {MAX_SIZE}. Default 120; "
            "60 with mini=1; 400 with hide_cover=0.",
            "schema": {"type": "string", "pattern": "^([1-9][0-9]{0,3})?$"},
        },
        "color": {
            "name": "color",
            "in": "query",
            "required": False,
            "description": "The player's accent colour: exactly 6 hex digits, without #.",
            "schema": {"type": "string", "pattern": "^([0-9A-Fa-f]{6})?$"},
        },
        **{
            name: {
                "name": name,
                "in": "query",
                "required": False,
                "description": f"The widget's {name} option: {text}",
                "schema": _FLAG_VALUES,
            }
            for name, text in _FLAG_TEXT.items()
        },
    }
)

_INT_HEADER = {"schema": {"type": "integer"}}
# On every answer while the request's kind of limit is on (docs/api.md "Rate limits").
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed per window.", **_INT_HEADER},
    "X-RateLimit-Remaining": {"description": "Requests left in the window.", **_INT_HEADER},
    "X-RateLimit-Reset": {"description": "Unix time at which there is room again.", **_INT_HEADER},
}
# Errors are JSON, or JSONP (text/javascript) when the request names a ``callback``.
ERROR_CONTENT = {
    "application/json": {"schema": _ref("Error")},
    "text/javascript": {"schema": {"type": "string"}},
}
ERRORS = {
    "400": {
        "description": "A parameter the API cannot use (InvalidParameterException), an access "
        "token that is missing where required, unknown, revoked or sent over plain http to an "
        "https API (OAuthException), or an action that cannot be done (InvalidActionException).",
        "headers": RATE_HEADERS,
        "content": ERROR_CONTENT,
    },
    "403": {
        "description": "Over the rate limit (RateLimitException, with retry_after).",
        "headers": {
            **RATE_HEADERS,
            "Retry-After": {"description": "Seconds to wait.", "required": True, **_INT_HEADER},
        },
        "content": ERROR_CONTENT,
    },
    "404": {
        "description": "No such object (ResourceNotFoundException).",
        "headers": RATE_HEADERS,
        "content": ERROR_CONTENT,
    },
    "503": {
        "description": "The database or the storage is away for now "
        "(ServiceUnavailableException): retry after Retry-After seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", **_INT_HEADER}},
        "content": ERROR_CONTENT,
    },
}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for n in names
    ]


def _query_parameters(route: ApiRoute) -> list[str]:
    names = ["metadata", "callback"]
    if route.paged:
        names += ["limit", "offset", "since", "until"]
    if route.operation_id == "search":
        names += ["q", "type"]
    if route.tag == "actions":
        names += ["method"]
    if route.tag == "embeds":
        names += EMBED_PARAMETERS
    return names


def _content(route: ApiRoute) -> dict[str, Any]:
    """The 200 answer's media types: JSON or JSONP, but embed-html's text/html."""
    if route.response == "EmbedHTML":
        return {"text/html": {"schema": _ref(route.response)}}
    return {
        "application/json": {"schema": _ref(route.response)},
        "text/javascript": {"schema": {"type": "string"}},
    }


def _operation(route: ApiRoute, method: str) -> dict[str, Any]:
    # One id per (path, method): the POST and DELETE of an action are two operations.
    many = len(route.methods) > 1
    operation: dict[str, Any] = {
        "operationId": f"{route.operation_id}_{method.lower()}" if many else route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": [
            *_path_parameters(route.path),
            *[{"$ref": f"#/components/parameters/{name}"} for name in _query_parameters(route)],
        ],
        "responses": {
            "200": {
                "description": route.summary,
                "headers": RATE_HEADERS,
                "content": _content(route),
            },
            **ERRORS,
        },
    }
    if route.tag == "uploads":
        editing = route.operation_id.startswith("edit")
        operation["requestBody"] = _upload_body(editing)
        operation["responses"]["413"] = {
            "description": "A file over its limit (FormValidationError), refused at once.",
            "headers": RATE_HEADERS,
            "content": ERROR_CONTENT,
        }
        operation["responses"]["507"] = {
            "description": "The server's temporary space is full "
            "(InsufficientStorageException): retry after Retry-After seconds.",
            "headers": {"Retry-After": {"description": "Seconds to wait.", **_INT_HEADER}},
            "content": ERROR_CONTENT,
        }
    # Every operation takes a token (it adds the extras); some require one.
    operation["security"] = TOKEN_REQUIRED if route.token_required else TOKEN_OPTIONAL
    return operation


def _upload_body(editing: bool) -> dict[str, Any]:
    """The upload fields of api-docs.md (docs/api.md "Uploads"); X is the tag, section or host
    index. Unknown fields are ignored."""
    text, flag = STRING, {"type": "string", "enum": ["true", "false", "1", "0", "on", "off"]}
    binary = {"type": "string", "format": "binary"}
    properties: dict[str, Any] = {
        "mp3": {**binary, "description": "The audio: MP3, M4A/AAC, WAV, FLAC, OGG or AIFF."},
        "name": {**text, "maxLength": 255},
        "picture": {**binary, "description": "At most 10,485,760 bytes."},
        "description": {**text, "maxLength": 1000},
        "unlisted": flag,
        "publish_date": {**text, "description": "Pro: YYYY-MM-DDTHH:MM:SSZ, in the future."},
        "disable_comments": flag,
        "hide_stats": flag,
    }
    properties |= {f"tags-{x}-tag": text for x in range(5)}
    properties |= {f"hosts-{x}-username": text for x in range(2)}
    properties |= {
        f"sections-0-{part}": text for part in ("artist", "song", "chapter", "start_time")
    }
    required: list[str]
    if editing:
        del properties["mp3"]
        properties |= {"publish": flag, "unpublish": flag}
        required = []
    else:
        required = ["mp3", "name"]
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


TOKEN_REQUIRED: list[dict[str, list[str]]] = [{"bearer": []}, {"access_token": []}]
TOKEN_OPTIONAL = [{}, *TOKEN_REQUIRED]
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "access_token": {"type": "apiKey", "in": "query", "name": "access_token"},
}


def build_openapi(routes: list[ApiRoute], api_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
        if not route.documented:
            continue
        for method in route.methods:
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mixcast API",
            "version": __version__,
            "description": "Wire-compatible with the Mixcloud API. Every path also answers "
            "without its trailing slash: GET with a 301 to the slashed path.",
        },
        "servers": [{"url": api_url}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "parameters": PARAMETERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
