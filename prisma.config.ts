// Prisma CLI configuration. `prisma generate` runs offline with the JavaScript schema engine.
// `npm run db:new-migration -- NAME` drafts a migration against an in-memory PGlite database
// (Prisma's schema engine cannot talk to a server offline here; see platform-facts.md).
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    // The adapter package pins its own copy of Prisma's adapter types; they match at run time.
    return new PrismaPGlite(new PGlite()) as never;
  },
});
