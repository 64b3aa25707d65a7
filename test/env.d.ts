/// <reference types="vite/client" />
import type { D1Migration } from "cloudflare:test";
import type { Env as CairnEnv } from "../src/env.js";

declare global {
  namespace Cloudflare {
    // The bindings of wrangler.toml, as `env` from "cloudflare:test" sees them.
    interface Env extends CairnEnv {
      TEST_MIGRATIONS: D1Migration[];
      TEST_PROVIDER_SECRET: string;
    }
  }
}
