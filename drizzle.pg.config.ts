/** drizzle-kit configuration of the hub: `npm run db:pg:generate` writes migrations to db/pg/migrations. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pg/schema.ts',
  out: './db/pg/migrations',
});
