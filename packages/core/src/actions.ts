import { check, Errors } from "./errors.ts";
import type { Action, ForwardConfig } from "./types.ts";
import { checkInt, checkLength, unique } from "./validate.ts";

const fixedResponseContentTypes = [
  "text/plain",
  "text/css",
  "text/html",
  "application/javascript",
  "application/json",
];

/** The target group ARNs an action list forwards to. */
export function forwardedTargetGroups(actions: Action[]): string[] {
  const arns: string[] = [];
  for (const action of actions) {
    if (action.type !== "forward") continue;
    for (const tuple of action.forwardConfig?.targetGroups ?? []) arns.push(tuple.targetGroupArn);
  }
  return [...new Set(arns)];
}

/**
 * Checks an action list the way CreateListener and CreateRule do and answers it in canonical form:
 * a forward always carries `forwardConfig` (weights defaulted to 1), and `targetGroupArn` too when it
 * names one group.
 */
export function normalizeActions(actions: Action[]): Action[] {
  check(Array.isArray(actions) && actions.length > 0, "At least one action must be specified");
  check(actions.length <= 5, "A rule or listener can have at most 5 actions");
  const normalized = actions.map(normalizeAction);
  const terminal = normalized.filter((a) => ["forward", "redirect", "fixed-response"].includes(a.type));
  if (terminal.length > 1)
    throw new Errors.TooManyActions("Only one forward, redirect or fixed-response action can be specified");
  if (normalized.length > 1) {
    check(
      normalized.every((a) => a.order !== undefined),
      "An order must be specified for every action when there is more than one",
    );
    check(unique(normalized.map((a) => a.order)), "Action orders must be unique");
  }
  return normalized.sort((a, b) => (a.order ?? 1) - (b.order ?? 1));
}

function normalizeAction(action: Action): Action {
  check(typeof action === "object" && action !== null, "Each action must be an object");
  if (action.order !== undefined) checkInt("Order", action.order, 1, 50000);
  switch (action.type) {
    case "forward":
      return normalizeForward(action);
    case "redirect": {
      const config = action.redirectConfig;
      check(config !== undefined, "A redirect action requires RedirectConfig");
      check(
        ["HTTP_301", "HTTP_302"].includes(config.statusCode),
        "RedirectConfig StatusCode must be HTTP_301 or HTTP_302",
      );
      if (config.protocol !== undefined) {
        check(
          ["HTTP", "HTTPS", "#{protocol}"].includes(config.protocol),
          "RedirectConfig Protocol must be HTTP, HTTPS or #{protocol}",
        );
      }
      if (config.port !== undefined) {
        check(
          config.port === "#{port}" ||
            (/^\d+$/.test(config.port) && Number(config.port) >= 1 && Number(config.port) <= 65535),
          "RedirectConfig Port must be a port between 1 and 65535 or #{port}",
        );
      }
      if (config.host !== undefined) checkLength("RedirectConfig Host", config.host, 1, 128);
      if (config.path !== undefined) {
        checkLength("RedirectConfig Path", config.path, 1, 128);
        check(config.path.startsWith("/"), "RedirectConfig Path must start with '/'");
      }
      if (config.query !== undefined) {
        checkLength("RedirectConfig Query", config.query, 0, 128);
        check(!config.query.startsWith("?"), "RedirectConfig Query must not start with '?'");
      }
      const unchanged = (v: string | undefined, token: string) => v === undefined || v === token;
      check(
        !(
          unchanged(config.protocol, "#{protocol}") &&
          unchanged(config.port, "#{port}") &&
          unchanged(config.host, "#{host}") &&
          unchanged(config.path, "/#{path}") &&
          unchanged(config.query, "#{query}")
        ),
        "A redirect must change at least one of protocol, port, host, path or query: it would otherwise redirect to itself",
      );
      return {
        type: "redirect",
        ...(action.order !== undefined && { order: action.order }),
        redirectConfig: {
          protocol: config.protocol ?? "#{protocol}",
          port: config.port ?? "#{port}",
          host: config.host ?? "#{host}",
          path: config.path ?? "/#{path}",
          query: config.query ?? "#{query}",
          statusCode: config.statusCode,
        },
      };
    }
    case "fixed-response": {
      const config = action.fixedResponseConfig;
      check(config !== undefined, "A fixed-response action requires FixedResponseConfig");
      check(
        /^[245]\d\d$/.test(String(config.statusCode)),
        "FixedResponseConfig StatusCode must be a 2XX, 4XX or 5XX code",
      );
      if (config.contentType !== undefined) {
        check(
          fixedResponseContentTypes.includes(config.contentType),
          `FixedResponseConfig ContentType must be one of ${fixedResponseContentTypes.join(", ")}`,
        );
      }
      if (config.messageBody !== undefined)
        checkLength("FixedResponseConfig MessageBody", config.messageBody, 0, 1024);
      return {
        type: "fixed-response",
        ...(action.order !== undefined && { order: action.order }),
        fixedResponseConfig: {
          statusCode: String(config.statusCode),
          ...(config.contentType !== undefined && { contentType: config.contentType }),
          ...(config.messageBody !== undefined && { messageBody: config.messageBody }),
        },
      };
    }
    default: {
      const type = String((action as { type?: unknown }).type);
      if (type.startsWith("authenticate-")) {
        throw new Errors.ValidationError(`Action type '${type}' is not supported by scaleout`);
      }
      throw new Errors.ValidationError(
        `Action type '${type}' must be one of forward, redirect, fixed-response`,
      );
    }
  }
}

function normalizeForward(action: Action): Action {
  const fromConfig = action.forwardConfig?.targetGroups;
  check(
    action.targetGroupArn !== undefined || (fromConfig !== undefined && fromConfig.length > 0),
    "A forward action requires TargetGroupArn or ForwardConfig with at least one target group",
  );
  if (action.targetGroupArn !== undefined && fromConfig !== undefined) {
    check(
      fromConfig.length === 1 && fromConfig[0]?.targetGroupArn === action.targetGroupArn,
      "TargetGroupArn and ForwardConfig must name the same single target group when both are given",
    );
  }
  const tuples = fromConfig ?? [{ targetGroupArn: action.targetGroupArn ?? "" }];
  check(tuples.length <= 5, "A forward action can name at most 5 target groups");
  check(
    unique(tuples.map((t) => t.targetGroupArn)),
    "A target group can appear only once in a forward action",
  );
  for (const tuple of tuples) {
    check(
      typeof tuple.targetGroupArn === "string" && tuple.targetGroupArn.length > 0,
      "Each target group needs a TargetGroupArn",
    );
    if (tuple.weight !== undefined) checkInt("Weight", tuple.weight, 0, 999);
  }
  const stickiness = action.forwardConfig?.targetGroupStickinessConfig;
  if (stickiness?.enabled) {
    check(
      stickiness.durationSeconds !== undefined,
      "DurationSeconds is required when target group stickiness is enabled",
    );
    checkInt("DurationSeconds", stickiness.durationSeconds, 1, 604800);
  }
  const forwardConfig: ForwardConfig = {
    targetGroups: tuples.map((t) => ({ targetGroupArn: t.targetGroupArn, weight: t.weight ?? 1 })),
    targetGroupStickinessConfig: {
      enabled: stickiness?.enabled ?? false,
      ...(stickiness?.durationSeconds !== undefined && { durationSeconds: stickiness.durationSeconds }),
    },
  };
  return {
    type: "forward",
    ...(action.order !== undefined && { order: action.order }),
    ...(tuples.length === 1 && { targetGroupArn: tuples[0]?.targetGroupArn }),
    forwardConfig,
  };
}
