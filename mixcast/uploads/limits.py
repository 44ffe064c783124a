"""The limits of an upload's files and fields (api-docs.md "Uploads", and ours where it is
silent), in one module that imports nothing, so the command-line uploader (``uploads.cli``),
which runs against any server, checks them without loading the server's code."""

MAX_MP3 = 4_294_967_296
MAX_PICTURE = 10_485_760
MAX_NAME = 255
MAX_DESCRIPTION = 1000
MAX_TAGS = 5
MAX_TAG = 128
MAX_HOSTS = 2
MAX_SECTIONS = 500
MAX_SECTION_TEXT = 255
MAX_START_TIME = 2**31 - 1  # sections.start_time is an Integer column
