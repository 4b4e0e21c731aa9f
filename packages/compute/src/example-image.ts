import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The image `scripts/build-example-image.sh` builds: the example app on the host's node binary. */
export const exampleImage = "scaleout/example:latest";

/** The example app's entry point, for the process driver: `[process.execPath, exampleAppPath]`. */
export const exampleAppPath = fileURLToPath(new URL("../../../examples/app/server.js", import.meta.url));

const script = fileURLToPath(new URL("../../../scripts/build-example-image.sh", import.meta.url));

/**
 * Builds {@link exampleImage} with `docker import` unless an image of the same inputs exists, and resolves
 * to its tag. `driverHost` is the engine's `unix://` address (default `DOCKER_HOST`).
 */
export async function ensureExampleImage(
  driverHost?: string,
  options: { force?: boolean } = {},
): Promise<string> {
  const env = driverHost ? { ...process.env, DOCKER_HOST: driverHost } : process.env;
  try {
    await promisify(execFile)("bash", [script, ...(options.force ? ["--force"] : [])], {
      env,
      maxBuffer: 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(
      `building ${exampleImage} failed: ${typeof stderr === "string" && stderr.trim() ? stderr.trim() : String(error)}`,
    );
  }
  return exampleImage;
}
