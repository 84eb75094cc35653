CREATE TABLE "budget_groups" (
	"name" text PRIMARY KEY NOT NULL,
	"limits" jsonb NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "budget_leases" (
	"id" text PRIMARY KEY NOT NULL,
	"group" text NOT NULL,
	"node" text NOT NULL,
	"service" text NOT NULL,
	"granted_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"ended_at" bigint,
	"operator" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "budget_waiters" (
	"group" text NOT NULL,
	"node" text NOT NULL,
	"service" text NOT NULL,
	"since" bigint NOT NULL,
	"seen_at" bigint NOT NULL,
	CONSTRAINT "budget_waiters_group_node_service_pk" PRIMARY KEY("group","node","service")
);
--> statement-breakpoint
CREATE INDEX "budget_leases_group" ON "budget_leases" USING btree ("group","granted_at");