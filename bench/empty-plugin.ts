// The baseline for start-up time: a plugin that does nothing.
export default { id: "bench-empty", server: async () => ({}) };
