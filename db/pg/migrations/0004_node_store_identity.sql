ALTER TABLE "nodes" ADD COLUMN "store_id" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "id_offset" bigint DEFAULT 0 NOT NULL;