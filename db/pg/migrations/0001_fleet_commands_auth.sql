CREATE TABLE "fleet_commands" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"node" text NOT NULL,
	"service" text NOT NULL,
	"operation" text NOT NULL,
	"args" jsonb NOT NULL,
	"actor" text NOT NULL,
	"role" text NOT NULL,
	"reason" text NOT NULL,
	"state" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"delivered_at" bigint,
	"deliveries" integer DEFAULT 0 NOT NULL,
	"finished_at" bigint,
	"result" jsonb
);
--> statement-breakpoint
CREATE TABLE "hub_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"kind" text NOT NULL,
	"node" text,
	"service" text,
	"actor" text,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hub_incidents" (
	"key" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"opened_at" bigint NOT NULL,
	"resolved_at" bigint
);
--> statement-breakpoint
CREATE TABLE "hub_slack" (
	"key" text PRIMARY KEY NOT NULL,
	"cursor" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_tokens" ALTER COLUMN "node" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_tokens" ADD COLUMN "role" text DEFAULT 'agent' NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_tokens" ADD COLUMN "last_used_at" bigint;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "down_since" bigint;--> statement-breakpoint
CREATE INDEX "fleet_commands_open" ON "fleet_commands" USING btree ("node","state","id");--> statement-breakpoint
CREATE INDEX "fleet_commands_expiry" ON "fleet_commands" USING btree ("state","expires_at");--> statement-breakpoint
CREATE INDEX "hub_events_node" ON "hub_events" USING btree ("node","id");