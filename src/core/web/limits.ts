// The web search's result count bounds, on their own: the tool definitions (on the plugin's start path)
// need them, the rest of the web client is loaded on first use.

/** Search results: kimi-cli's bounds and default (src/kimi_cli/tools/web/search.py `Params.limit`). */
export const SEARCH_LIMIT_MIN = 1;
export const SEARCH_LIMIT_MAX = 20;
export const SEARCH_LIMIT_DEFAULT = 5;
