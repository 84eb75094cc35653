ALTER TABLE "budget_groups" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "budget_leases_group_seq" ON "budget_leases" USING btree ("group","seq");