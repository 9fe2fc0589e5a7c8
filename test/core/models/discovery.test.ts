import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { PLUGIN_USER_AGENT } from "../../../src/core/config/constants.ts";
import {
  DEFAULT_MODELS,
  DiscoveryError,
  fetchModels,
  isDiscoveredModel,
  parseModels,
  type DiscoveredModel,
} from "../../../src/core/models/discovery.ts";
import { variantsFor } from "../../../src/core/models/variants.ts";

const MODELS_BODY = {
  object: "list",
  data: [
    {
      id: "kimi-for-coding",
      display_name: "k2.6-code-preview",
      context_length: 262144,
      supports_reasoning: true,
      supports_image_in: true,
      supports_video_in: true,
    },
    {
      id: "kimi-for-coding-highspeed",
      display_name: "K2.6 Highspeed",
      context_length: "262144",
      supports_reasoning: false,
      supports_thinking_type: "no",
      supports_image_in: true,
      supports_video_in: false,
    },
    {
      id: "k3",
      display_name: "K3",
      context_length: 1048576,
      max_output_tokens: 131072,
      supports_reasoning: true,
      supports_thinking_type: "both",
      think_efforts: { support: true, valid_efforts: ["max", "low", "xhigh", "high", "turbo"], default_effort: "high" },
      supports_image_in: true,
      supports_video_in: true,
    },
    {
      id: "k3-256k",
      context_length: 0,
      supports_reasoning: true,
      supports_thinking_type: "only",
      think_efforts: { support: true, valid_efforts: ["low", "high", "max"] },
      supports_tool_use: false,
    },
    { id: 42, display_name: "numeric id" },
    { display_name: "no id" },
    "garbage",
    null,
    { id: "   " },
    { id: "kimi-for-coding", display_name: "duplicate, must be ignored", context_length: 1 },
    { id: "tiny", context_length: 8192, max_completion_tokens: 65536 },
  ],
};

function byId(models: DiscoveredModel[], id: string): DiscoveredModel {
  const m = models.find((x) => x.id === id);
  if (!m) throw new Error(`model ${id} missing`);
  return m;
}

describe("parseModels", () => {
  const models = parseModels(MODELS_BODY);

  test("keeps every entitled model with its own wire id, in server order, skipping bad items and duplicates", () => {
    expect(models.map((m) => m.id)).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k", "tiny"]);
    expect(byId(models, "kimi-for-coding").displayName).toBe("k2.6-code-preview"); // first wins
  });

  test("names: display_name, else the id", () => {
    expect(byId(models, "k3").displayName).toBe("K3");
    expect(byId(models, "k3-256k").displayName).toBe("k3-256k");
  });

  test("limits: context from context_length (numeric strings too, 0 → 262144), output 32768 or the server's, ≤ context", () => {
    expect(byId(models, "kimi-for-coding")).toMatchObject({ contextLength: 262144, outputLimit: 32768 });
    expect(byId(models, "kimi-for-coding-highspeed")).toMatchObject({ contextLength: 262144, outputLimit: 32768 });
    expect(byId(models, "k3")).toMatchObject({ contextLength: 1048576, outputLimit: 131072 });
    expect(byId(models, "k3-256k")).toMatchObject({ contextLength: 262144, outputLimit: 32768 });
    expect(byId(models, "tiny")).toMatchObject({ contextLength: 8192, outputLimit: 8192 });
  });

  test("modalities and tool use from the capability flags", () => {
    expect(byId(models, "kimi-for-coding")).toMatchObject({ imageIn: true, videoIn: true, toolUse: true });
    expect(byId(models, "kimi-for-coding-highspeed")).toMatchObject({ imageIn: true, videoIn: false });
    expect(byId(models, "k3-256k")).toMatchObject({ imageIn: false, videoIn: false, toolUse: false });
    expect(byId(models, "tiny").toolUse).toBe(true);
  });

  test("thinking type, efforts (canonical order, xhigh → max, unknown dropped) and default effort", () => {
    expect(byId(models, "kimi-for-coding")).toMatchObject({ reasoning: true, thinkingType: "both" });
    expect(byId(models, "kimi-for-coding").efforts).toBeUndefined();
    expect(byId(models, "kimi-for-coding-highspeed")).toMatchObject({ reasoning: false, thinkingType: "no", efforts: [] });
    expect(byId(models, "k3")).toMatchObject({ reasoning: true, thinkingType: "both", efforts: ["low", "high", "max"], defaultEffort: "high" });
    expect(byId(models, "k3-256k")).toMatchObject({ reasoning: true, thinkingType: "only", efforts: ["low", "high", "max"] });
    expect(byId(models, "tiny")).toMatchObject({ reasoning: false, thinkingType: "no" });
  });

  test("each discovered model gets the variants its metadata allows", () => {
    expect(Object.keys(variantsFor(byId(models, "kimi-for-coding"), "opencode"))).toEqual(["off", "low", "medium", "high", "auto"]);
    expect(variantsFor(byId(models, "kimi-for-coding-highspeed"), "opencode")).toEqual({});
    expect(Object.keys(variantsFor(byId(models, "k3"), "opencode"))).toEqual(["off", "low", "high", "max", "auto"]);
    expect(Object.keys(variantsFor(byId(models, "k3-256k"), "opencode"))).toEqual(["low", "high", "max", "auto"]);
  });

  test("think_efforts.support false → no effort variants; ids containing 'thinking' are always-thinking", () => {
    const [a, b] = parseModels({
      data: [
        { id: "x", supports_reasoning: true, think_efforts: { support: false, valid_efforts: ["high"] } },
        { id: "kimi-k2-thinking", supports_reasoning: true },
      ],
    });
    expect(a).toMatchObject({ thinkingType: "both", efforts: [] });
    expect(Object.keys(variantsFor(a!, "opencode"))).toEqual(["off", "auto"]);
    expect(b).toMatchObject({ thinkingType: "only", reasoning: true });
  });

  test("malformed bodies give a DiscoveryError naming the problem", () => {
    const cases: [unknown, RegExp, string][] = [
      [null, /returned null, not an object with a "data" list/, "shape"],
      [[{ id: "a" }], /returned an array/, "shape"],
      ["<html>", /returned a string/, "shape"],
      [{ data: { id: "a" } }, /"data" is an object, not a list/, "shape"],
      [{ models: [] }, /"data" is nothing, not a list/, "shape"],
      [{ data: [{ name: "a" }, 3] }, /no models with a string "id" \(2 item/, "empty"],
    ];
    for (const [body, message, kind] of cases) {
      let error: unknown;
      try {
        parseModels(body);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DiscoveryError);
      expect((error as DiscoveryError).message).toMatch(message);
      expect((error as DiscoveryError).kind).toBe(kind as DiscoveryError["kind"]);
    }
  });

  test("property: on arbitrary JSON it throws nothing but DiscoveryError, and results are coherent", () => {
    const item = fc.record(
      {
        id: fc.oneof(fc.string(), fc.constantFrom("kimi-for-coding", "k3", "k3"), fc.integer()),
        display_name: fc.oneof(fc.string(), fc.constant(null)),
        context_length: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
        max_output_tokens: fc.oneof(fc.integer(), fc.string()),
        supports_reasoning: fc.jsonValue(),
        supports_thinking_type: fc.oneof(fc.constantFrom("only", "no", "both"), fc.jsonValue()),
        think_efforts: fc.oneof(
          fc.record({ support: fc.jsonValue(), valid_efforts: fc.oneof(fc.array(fc.string()), fc.jsonValue()), default_effort: fc.jsonValue() }),
          fc.jsonValue(),
        ),
        supports_tool_use: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(fc.jsonValue(), fc.record({ data: fc.oneof(fc.array(fc.oneof(item, fc.jsonValue())), fc.jsonValue()) }));
    fc.assert(
      fc.property(body, (json) => {
        let models: DiscoveredModel[];
        try {
          models = parseModels(json);
        } catch (e) {
          expect(e).toBeInstanceOf(DiscoveryError);
          return;
        }
        expect(models.length).toBeGreaterThan(0);
        expect(new Set(models.map((m) => m.id)).size).toBe(models.length);
        for (const m of models) {
          expect(isDiscoveredModel(m)).toBe(true);
          expect(m.outputLimit).toBeLessThanOrEqual(m.contextLength);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("DEFAULT_MODELS is the documented kimi-for-coding with 262144 context", () => {
    expect(DEFAULT_MODELS.map((m) => [m.id, m.contextLength, m.outputLimit, m.reasoning])).toEqual([["kimi-for-coding", 262144, 32768, true]]);
    expect(isDiscoveredModel(DEFAULT_MODELS[0])).toBe(true);
  });
});

describe("fetchModels against a local server", () => {
  let server: ReturnType<typeof Bun.serve>;
  let base: string;
  let lastHeaders: Headers | undefined;

  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        const path = new URL(req.url).pathname;
        lastHeaders = req.headers;
        switch (path) {
          case "/ok/models":
            return Response.json(MODELS_BODY);
          case "/html/models":
            return new Response("<!DOCTYPE html><html><body>Bad Gateway</body></html>", {
              status: 502,
              headers: { "content-type": "text/html" },
            });
          case "/html200/models":
            return new Response("  <html>captive portal</html>", { status: 200, headers: { "content-type": "text/plain" } });
          case "/badjson/models":
            return new Response('{"data": [', { status: 200, headers: { "content-type": "application/json" } });
          case "/empty/models":
            return new Response("", { status: 200 });
          case "/notlist/models":
            return Response.json({ data: "nope" });
          case "/500/models":
            return Response.json({ error: { message: "upstream exploded", type: "server_error" } }, { status: 500 });
          case "/401/models":
            return Response.json({ error: { message: "Invalid Authentication", type: "invalid_authentication_error" } }, { status: 401 });
          case "/slow/models":
            await Bun.sleep(2000);
            return Response.json(MODELS_BODY);
          default:
            return new Response("not found", { status: 404 });
        }
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  async function failure(path: string, extra: Partial<Parameters<typeof fetchModels>[0]> = {}): Promise<DiscoveryError> {
    try {
      await fetchModels({ apiBase: `${base}${path}`, token: "tok", ...extra });
    } catch (e) {
      expect(e).toBeInstanceOf(DiscoveryError);
      return e as DiscoveryError;
    }
    throw new Error("expected a DiscoveryError");
  }

  test("lists the models, sending the bearer token and the caller's headers", async () => {
    const models = await fetchModels({
      apiBase: `${base}/ok/`,
      token: "secret-token",
      headers: { "User-Agent": "KimiCLI/1.49.0", "X-Msh-Platform": "kimi_cli", authorization: "Bearer wrong" },
    });
    expect(models.map((m) => m.id)).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k", "tiny"]);
    expect(lastHeaders?.get("authorization")).toBe("Bearer secret-token");
    expect(lastHeaders?.get("user-agent")).toBe("KimiCLI/1.49.0");
    expect(lastHeaders?.get("x-msh-platform")).toBe("kimi_cli");
  });

  test("uses the plugin's User-Agent when the caller gives none", async () => {
    await fetchModels({ apiBase: `${base}/ok`, token: "t" });
    expect(lastHeaders?.get("user-agent")).toBe(PLUGIN_USER_AGENT);
  });

  test("HTML answers are named as such, with the status", async () => {
    const e = await failure("/html");
    expect(e.message).toBe("GET /models returned HTML (status 502), not JSON");
    expect(e).toMatchObject({ kind: "html", status: 502 });
    expect((await failure("/html200")).message).toBe("GET /models returned HTML (status 200), not JSON");
  });

  test("invalid JSON, empty bodies and non-list data", async () => {
    const bad = await failure("/badjson");
    expect(bad.kind).toBe("json");
    expect(bad.message).toMatch(/^GET \/models returned invalid JSON \(status 200\): \{"data": \[/);
    expect((await failure("/empty")).message).toMatch(/empty body \(status 200\)/);
    const notList = await failure("/notlist");
    expect(notList.kind).toBe("shape");
    expect(notList.message).toMatch(/"data" is a string, not a list/);
  });

  test("non-200 answers carry the status and the server's message; 401 is 'unauthorized'", async () => {
    const e500 = await failure("/500");
    expect(e500).toMatchObject({ kind: "http", status: 500 });
    expect(e500.message).toBe("GET /models failed with status 500: upstream exploded");
    const e404 = await failure("/nothing-here");
    expect(e404.message).toBe("GET /models failed with status 404: not found");
    const e401 = await failure("/401");
    expect(e401).toMatchObject({ kind: "unauthorized", status: 401 });
    expect(e401.message).toMatch(/status 401.*Invalid Authentication/);
  });

  test("times out with a typed error instead of hanging", async () => {
    const started = Date.now();
    const e = await failure("/slow", { timeoutMs: 150 });
    expect(e.kind).toBe("timeout");
    expect(e.message).toBe("GET /models timed out after 150 ms");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test("connection failures are typed 'network'", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    let error: unknown;
    try {
      await fetchModels({ apiBase: `http://127.0.0.1:${port}`, token: "t", timeoutMs: 2000 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DiscoveryError);
    expect((error as DiscoveryError).kind).toBe("network");
    expect((error as DiscoveryError).message).toMatch(/^GET \/models failed: /);
  });
});
