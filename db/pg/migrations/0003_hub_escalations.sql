CREATE TABLE "hub_escalation_cursor" (
	"key" text PRIMARY KEY NOT NULL,
	"cursor" bigint NOT NULL,
	"floor" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hub_escalations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" bigint NOT NULL,
	"node" text NOT NULL,
	"target" text NOT NULL,
	"action" text NOT NULL,
	"dedup_key" text NOT NULL,
	"message" jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"delivered_at" bigint,
	"failed_at" bigint
);
--> statement-breakpoint
CREATE UNIQUE INDEX "hub_escalations_once" ON "hub_escalations" USING btree ("dedup_key","action","target");--> statement-breakpoint
CREATE INDEX "hub_escalations_due" ON "hub_escalations" USING btree ("next_attempt_at") WHERE delivered_at IS NULL AND failed_at IS NULL;