// What a test scripts for the web services (/search, /fetch): canned results and pages. Kept apart
// from web-tools.ts so state.ts can hold it without importing the route handlers.

/** One search hit, in Kimi's field names (kimi-cli src/kimi_cli/tools/web/search.py `SearchResult`). */
export interface SearchResult {
  site_name: string;
  title: string;
  url: string;
  snippet: string;
  content: string;
  date: string;
  icon: string;
  mime: string;
}

/** What a script sees of a search request. */
export interface SearchQuery {
  query: string;
  /** `limit` as sent, bounded to 1..MAX_SEARCH_LIMIT (default DEFAULT_SEARCH_LIMIT). */
  limit: number;
  /** `enable_page_crawling`. */
  crawl: boolean;
}

/** What POST /fetch answers for a URL. */
export interface FetchedPage {
  /** Default 200. */
  status?: number;
  /** Default: a deterministic markdown page naming the URL (empty for other statuses). */
  body?: string;
  /** Default `text/markdown; charset=utf-8`. */
  contentType?: string;
}

export type SearchScript = SearchResult[] | ((query: SearchQuery) => SearchResult[] | undefined);
export type FetchScript = FetchedPage | ((url: string) => FetchedPage | undefined);

export class WebScripts {
  private searchScript: SearchScript | null = null;
  private fetchScript: FetchScript | null = null;

  /** Scripts every following search; null restores the deterministic default results. */
  setSearchResults(script: SearchScript | null): void {
    this.searchScript = script;
  }

  /** Scripts every following fetch; null restores the deterministic default page. */
  setFetchPage(script: FetchScript | null): void {
    this.fetchScript = script;
  }

  /** @internal */
  searchResults(query: SearchQuery): SearchResult[] | undefined {
    const s = this.searchScript;
    return typeof s === "function" ? s(query) : (s ?? undefined);
  }

  /** @internal */
  fetchedPage(url: string): FetchedPage | undefined {
    const s = this.fetchScript;
    return typeof s === "function" ? s(url) : (s ?? undefined);
  }
}
