"""The feed's WebSocket close codes, the one list the server, `incident watch` and the README use.

| code | meaning | what a client does |
|---|---|---|
| 4001 | resume from your last position: the watcher fell behind its queue, or a send to it did not complete within the send timeout | reconnect at once with `after=` the last position it received |
| 4401 | no, unknown or revoked token; also sent when the token is revoked while the feed is open | sign in again; retrying cannot help |
| 4403 | outside the token's scope | retrying cannot help |
| 4422 | a bad filter or position | fix the request |
| 4429 | this token already has as many feeds open as it may | close another (a board in another tab); do not retry in a loop |
| 4503 | this server process has as many feeds open as it serves | retry after a minute, or on another server |

A refusal before the handshake (4401, 4403, 4422 on connecting) reaches the client as an HTTP 403:
browsers cannot see it, so the feed accepts first and then closes where the client must be told
(4401 on revocation, 4429, 4503). uvicorn itself closes with 1012 when the server shuts down.
"""

RESUME = 4001
UNAUTHORISED = 4401
FORBIDDEN = 4403
INVALID = 4422
TOO_MANY_FOR_TOKEN = 4429
SERVER_FULL = 4503
