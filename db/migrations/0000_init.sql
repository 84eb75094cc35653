CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_name` ON `api_tokens` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`hash`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`service` text,
	`kind` text NOT NULL,
	`decision` text,
	`taken` integer,
	`input` text,
	`actor` text,
	`reason` text,
	`state_from` text,
	`state_to` text,
	`counters` text,
	`effects` text NOT NULL,
	`mode` text,
	`data` text
);
--> statement-breakpoint
CREATE INDEX `events_service_id` ON `events` (`service`,`id`);--> statement-breakpoint
CREATE INDEX `events_kind_id` ON `events` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `events_at` ON `events` (`at`);--> statement-breakpoint
CREATE TABLE `holds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`service` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`set_at` integer NOT NULL,
	`until` integer NOT NULL,
	`released_at` integer,
	`released_by` text
);
--> statement-breakpoint
CREATE INDEX `holds_service` ON `holds` (`service`,`id`);--> statement-breakpoint
CREATE TABLE `intents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`service` text NOT NULL,
	`event_id` integer NOT NULL,
	`effect` text NOT NULL,
	`decided_at` integer NOT NULL,
	`outcome` text,
	`completed_at` integer,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `intents_open` ON `intents` (`service`,`id`) WHERE "intents"."outcome" IS NULL;--> statement-breakpoint
CREATE INDEX `intents_event` ON `intents` (`event_id`);--> statement-breakpoint
CREATE TABLE `pending_actions` (
	`id` text PRIMARY KEY NOT NULL,
	`service` text NOT NULL,
	`kind` text NOT NULL,
	`incident` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`used_by` text
);
--> statement-breakpoint
CREATE INDEX `pending_actions_service` ON `pending_actions` (`service`,`created_at`);--> statement-breakpoint
CREATE TABLE `policy_versions` (
	`version` integer PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`content` text NOT NULL,
	`author` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	`active` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policy_versions_one_active` ON `policy_versions` (`active`) WHERE "policy_versions"."active" = 1;--> statement-breakpoint
CREATE TABLE `service_state` (
	`service` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`policy_hash` text,
	`updated_at` integer NOT NULL,
	`version` integer NOT NULL,
	FOREIGN KEY (`service`) REFERENCES `services`(`name`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `services` (
	`name` text PRIMARY KEY NOT NULL,
	`unit` text NOT NULL
);
