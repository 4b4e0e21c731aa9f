import { join } from "node:path";
import { createDb, type Db, type DbHandle, runMigrations } from "@scaleout/db";
import { tempDir } from "@scaleout/testing";
import { afterEach, beforeEach } from "vitest";
import { createContext, createServices, type ServiceContext, type Services } from "../src/index.ts";

type ContextExtras = Partial<Omit<ServiceContext, "db">>;

interface Current {
  temp: ReturnType<typeof tempDir>;
  handle: DbHandle;
  services: Services;
}

/** What a test sees of its own services: read inside a test or hook, never at the file's top level. */
export class ServicesPerTest {
  #current: Current | undefined;

  constructor(private readonly extras: (dir: string) => ContextExtras) {}

  /** The service layer over this test's database. */
  get services(): Services {
    return this.current().services;
  }

  /** This test's database (for the store helpers the tests write rows with). */
  get db(): Db {
    return this.current().handle.db;
  }

  /** This test's temporary directory (the database file is in it; removed after the test). */
  get dir(): string {
    return this.current().temp.dir;
  }

  open(): void {
    const temp = tempDir();
    const handle = createDb(join(temp.dir, "scaleout.db"));
    runMigrations(handle.db);
    this.#current = {
      temp,
      handle,
      services: createServices(createContext(handle.db, this.extras(temp.dir))),
    };
  }

  close(): void {
    this.#current?.handle.close();
    this.#current?.temp.remove();
    this.#current = undefined;
  }

  private current(): Current {
    if (!this.#current) throw new Error("the services exist only while a test runs");
    return this.#current;
  }
}

/**
 * Every test of the calling file gets a migrated SQLite file of its own in a fresh temporary directory,
 * and the services over it; both are gone after the test. `extras` gives the context what a file needs
 * beyond the database (an injected clock, a certificate authority under the test's directory).
 */
export function servicesPerTest(extras: (dir: string) => ContextExtras = () => ({})): ServicesPerTest {
  const fresh = new ServicesPerTest(extras);
  beforeEach(() => fresh.open());
  afterEach(() => fresh.close());
  return fresh;
}
