CREATE TABLE `serve_instance` (
	`id` integer PRIMARY KEY NOT NULL,
	`pid` integer NOT NULL,
	`host` text NOT NULL,
	`boot_id` text NOT NULL,
	`pid_ns` text NOT NULL,
	`proc_start` text NOT NULL,
	`dev` text NOT NULL,
	`ino` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`probe` blob
);
--> statement-breakpoint
CREATE TABLE `slack_replays` (
	`key` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `slack_replays_expires` ON `slack_replays` (`expires_at`);