"""The OpenAI-compatible gateway (docs/DESIGN.md §7): :mod:`.app` (``create_app``), :mod:`.chat`
(``/v1/chat/completions``), :mod:`.server` (``GatewayServer``, ``serve``: signals,
reload, drain), :mod:`.workers` (several processes on one port, §7.1). The only
package that imports ``aiohttp.web``."""
