CREATE TABLE `cfn_change_sets` (
	`change_set_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`stack_id` text NOT NULL,
	`change_set_type` text NOT NULL,
	`status` text NOT NULL,
	`execution_status` text NOT NULL,
	`status_reason` text,
	`description` text,
	`template_body` text NOT NULL,
	`parameters` text NOT NULL,
	`capabilities` text NOT NULL,
	`changes` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`stack_id`) REFERENCES `cfn_stacks`(`stack_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cfn_change_sets_stack_name` ON `cfn_change_sets` (`stack_id`,`name`);--> statement-breakpoint
CREATE TABLE `cfn_exports` (
	`name` text PRIMARY KEY NOT NULL,
	`stack_id` text NOT NULL,
	`value` text NOT NULL,
	FOREIGN KEY (`stack_id`) REFERENCES `cfn_stacks`(`stack_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `cfn_stack_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`stack_id` text NOT NULL,
	`logical_id` text NOT NULL,
	`physical_id` text,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`properties` text,
	`timestamp` integer NOT NULL,
	`seq` integer NOT NULL,
	FOREIGN KEY (`stack_id`) REFERENCES `cfn_stacks`(`stack_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `cfn_stack_events_stack` ON `cfn_stack_events` (`stack_id`,`timestamp`,`seq`);--> statement-breakpoint
CREATE TABLE `cfn_stack_resources` (
	`stack_id` text NOT NULL,
	`logical_id` text NOT NULL,
	`physical_id` text,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`properties` text NOT NULL,
	`attributes` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`stack_id`, `logical_id`),
	FOREIGN KEY (`stack_id`) REFERENCES `cfn_stacks`(`stack_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `cfn_stacks` (
	`stack_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`description` text,
	`template_body` text NOT NULL,
	`parameters` text NOT NULL,
	`outputs` text NOT NULL,
	`capabilities` text NOT NULL,
	`disable_rollback` integer NOT NULL,
	`termination_protection` integer NOT NULL,
	`previous` text,
	`created_at` integer NOT NULL,
	`updated_at` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cfn_stacks_live_name` ON `cfn_stacks` (`name`) WHERE deleted_at IS NULL;