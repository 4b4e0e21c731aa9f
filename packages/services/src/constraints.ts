import type { AwsError } from "@scaleout/core";

interface SqliteError extends Error {
  code: string;
}

function isSqliteError(error: unknown): error is SqliteError {
  return (
    error instanceof Error &&
    typeof (error as Partial<SqliteError>).code === "string" &&
    (error as SqliteError).code.startsWith("SQLITE_")
  );
}

/**
 * Turns a constraint failure into the AWS error it means. Checks in code answer the common case with a
 * friendly message; the constraint is what holds when two api processes race, and it must surface as the
 * same AWS code, never as a 500.
 */
export function onConstraint<T>(
  run: () => T,
  map: { unique?: (message: string) => AwsError; foreignKey?: (message: string) => AwsError },
): T {
  try {
    return run();
  } catch (error) {
    if (isSqliteError(error)) {
      if (
        (error.code === "SQLITE_CONSTRAINT_UNIQUE" || error.code === "SQLITE_CONSTRAINT_PRIMARYKEY") &&
        map.unique
      ) {
        throw map.unique(error.message);
      }
      // ON DELETE RESTRICT fails as SQLITE_CONSTRAINT_TRIGGER, not SQLITE_CONSTRAINT_FOREIGNKEY.
      const foreignKey =
        error.code === "SQLITE_CONSTRAINT_FOREIGNKEY" ||
        (error.code === "SQLITE_CONSTRAINT_TRIGGER" && error.message.includes("FOREIGN KEY"));
      if (foreignKey && map.foreignKey) throw map.foreignKey(error.message);
    }
    throw error;
  }
}
