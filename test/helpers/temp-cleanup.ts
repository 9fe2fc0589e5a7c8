// Preloaded by bunfig.toml: after every test file, the temporary directories its tests made are gone.
import { afterAll } from "bun:test";
import { removeTempDirs } from "./tmp.ts";

afterAll(removeTempDirs);
