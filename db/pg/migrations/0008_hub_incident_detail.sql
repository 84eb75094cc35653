ALTER TABLE "hub_incidents" ADD COLUMN "kind" text;--> statement-breakpoint
ALTER TABLE "hub_incidents" ADD COLUMN "status" jsonb DEFAULT '[]'::jsonb NOT NULL;