CREATE TABLE "agent_tokens" (
	"name" text PRIMARY KEY NOT NULL,
	"node" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint,
	CONSTRAINT "agent_tokens_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "fleet_events" (
	"node" text NOT NULL,
	"event_id" bigint NOT NULL,
	"at" bigint NOT NULL,
	"service" text,
	"kind" text NOT NULL,
	"event" jsonb NOT NULL,
	"received_at" bigint NOT NULL,
	CONSTRAINT "fleet_events_node_event_id_pk" PRIMARY KEY("node","event_id")
);
--> statement-breakpoint
CREATE TABLE "fleet_services" (
	"node" text NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"view" jsonb NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "fleet_services_node_name_pk" PRIMARY KEY("node","name")
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"name" text PRIMARY KEY NOT NULL,
	"version" text,
	"first_seen_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"cursor" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fleet_events" ADD CONSTRAINT "fleet_events_node_nodes_name_fk" FOREIGN KEY ("node") REFERENCES "public"."nodes"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fleet_services" ADD CONSTRAINT "fleet_services_node_nodes_name_fk" FOREIGN KEY ("node") REFERENCES "public"."nodes"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fleet_events_service" ON "fleet_events" USING btree ("node","service","event_id");--> statement-breakpoint
CREATE INDEX "fleet_services_state" ON "fleet_services" USING btree ("state","node","name");