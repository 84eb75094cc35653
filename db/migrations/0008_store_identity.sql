CREATE TABLE `store_identity` (
	`id` integer PRIMARY KEY NOT NULL,
	`store_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
-- The identity is made with the store: 128 random bits, hex.
INSERT INTO `store_identity` (`id`, `store_id`, `created_at`) VALUES (1, lower(hex(randomblob(16))), CAST(strftime('%s', 'now') AS INTEGER) * 1000);
