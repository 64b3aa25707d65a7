CREATE TABLE `instance_tags` (
	`instance_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`instance_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `instance_tags_lookup` ON `instance_tags` (`key`,`value`,`created_at`,`instance_id`);--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow` text NOT NULL,
	`status` text NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`error_code` text,
	`error_message` text,
	`waiting_for` text,
	`parent_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `instances_created` ON `instances` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `instances_workflow_created` ON `instances` (`workflow`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `instances_status_created` ON `instances` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `instances_parent_created` ON `instances` (`parent_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `instances_workflow_status` ON `instances` (`workflow`,`status`);