import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations for the D1 index into migrations/,
// where `wrangler d1 migrations apply` and the tests pick them up.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/index-db/schema.ts",
  out: "./migrations",
});
