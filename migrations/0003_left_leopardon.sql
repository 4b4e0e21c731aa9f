CREATE TABLE `instance_refreshes` (
	`id` text PRIMARY KEY NOT NULL,
	`group_name` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`strategy` text NOT NULL,
	`preferences` text NOT NULL,
	`desired_configuration` text,
	`percentage_complete` integer NOT NULL,
	`instances_to_update` integer NOT NULL,
	`state` text NOT NULL,
	`start_time` integer,
	`end_time` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`group_name`) REFERENCES `auto_scaling_groups`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `instance_refreshes_group` ON `instance_refreshes` (`group_name`,`created_at`);--> statement-breakpoint
CREATE TABLE `lifecycle_actions` (
	`token` text PRIMARY KEY NOT NULL,
	`instance_id` text NOT NULL,
	`group_name` text NOT NULL,
	`hook_name` text NOT NULL,
	`transition` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_deadline` integer NOT NULL,
	`global_deadline` integer NOT NULL,
	`result` text
);
--> statement-breakpoint
CREATE INDEX `lifecycle_actions_instance` ON `lifecycle_actions` (`instance_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `lifecycle_actions_instance_hook` ON `lifecycle_actions` (`instance_id`,`hook_name`,`transition`);--> statement-breakpoint
CREATE TABLE `lifecycle_hooks` (
	`group_name` text NOT NULL,
	`name` text NOT NULL,
	`transition` text NOT NULL,
	`notification_target_arn` text,
	`role_arn` text,
	`notification_metadata` text,
	`heartbeat_timeout` integer NOT NULL,
	`global_timeout` integer NOT NULL,
	`default_result` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`group_name`, `name`),
	FOREIGN KEY (`group_name`) REFERENCES `auto_scaling_groups`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `scheduled_actions` (
	`group_name` text NOT NULL,
	`name` text NOT NULL,
	`arn` text NOT NULL,
	`start_time` integer,
	`end_time` integer,
	`recurrence` text,
	`time_zone` text,
	`min_size` integer,
	`max_size` integer,
	`desired_capacity` integer,
	`next_run_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`group_name`, `name`),
	FOREIGN KEY (`group_name`) REFERENCES `auto_scaling_groups`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scheduled_actions_arn_unique` ON `scheduled_actions` (`arn`);--> statement-breakpoint
CREATE INDEX `scheduled_actions_next` ON `scheduled_actions` (`next_run_at`);--> statement-breakpoint
CREATE TABLE `warm_pools` (
	`group_name` text PRIMARY KEY NOT NULL,
	`min_size` integer NOT NULL,
	`max_group_prepared_capacity` integer,
	`pool_state` text NOT NULL,
	`reuse_on_scale_in` integer NOT NULL,
	`status` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`group_name`) REFERENCES `auto_scaling_groups`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `auto_scaling_groups` ADD `suspended_processes` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `auto_scaling_groups` ADD `enabled_metrics` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `instances` ADD `metadata_port` integer;--> statement-breakpoint
ALTER TABLE `instances` ADD `decremented_desired` integer;--> statement-breakpoint
ALTER TABLE `instances` ADD `warm_pool_state` text;--> statement-breakpoint
ALTER TABLE `instances` ADD `refresh_id` text;--> statement-breakpoint
ALTER TABLE `targets` ADD `drained_at` integer;