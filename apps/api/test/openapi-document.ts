import { createDb, runMigrations } from "@scaleout/db";
import { createContext, createServices } from "@scaleout/services";
import { buildApp } from "../src/app.ts";

/** The OpenAPI document as YAML, generated from an app over an empty in-memory registry. */
export async function renderOpenApi(): Promise<string> {
  const handle = createDb(":memory:");
  runMigrations(handle.db);
  const app = await buildApp({ services: createServices(createContext(handle.db)) });
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  handle.close();
  return yaml;
}
