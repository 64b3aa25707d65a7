CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow` text NOT NULL,
	`view` text NOT NULL,
	`paused` integer NOT NULL,
	`next_fire` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_workflow` ON `schedules` (`workflow`,`id`);