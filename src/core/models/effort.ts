// Reasoning effort names: the canonical list and how server or user spellings map onto it. Shared by
// discovery (parsing /models) and variants (building the variant table).

/** Reasoning efforts in canonical (ascending cost) order. */
export const EFFORTS = ["low", "medium", "high", "max"] as const;
export type Effort = (typeof EFFORTS)[number];

/** Server effort names that map onto a canonical one. */
const EFFORT_ALIASES: Readonly<Record<string, Effort>> = { xhigh: "max" };

/** Maps a server or user effort name onto a canonical effort ("xhigh" → "max"); undefined when unknown. */
export function normaliseEffort(value: unknown): Effort | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if ((EFFORTS as readonly string[]).includes(v)) return v as Effort;
  return EFFORT_ALIASES[v];
}

/** Normalises a list of efforts: unknown ones dropped, duplicates merged, canonical order. */
export function normaliseEfforts(values: readonly unknown[]): Effort[] {
  const found = new Set<Effort>();
  for (const v of values) {
    const e = normaliseEffort(v);
    if (e) found.add(e);
  }
  return EFFORTS.filter((e) => found.has(e));
}
