import { describe, expect, it } from "vitest";
import { parsePostgresUrl } from "./client";

describe("parsePostgresUrl", () => {
  it("moves ?schema= out of the connection string", () => {
    expect(parsePostgresUrl("postgresql://root@127.0.0.1:5432/test?schema=ami_x&sslmode=disable")).toEqual({
      connectionString: "postgresql://root@127.0.0.1:5432/test?sslmode=disable",
      schema: "ami_x",
    });
  });

  it("defaults to public and lets an explicit schema win over the URL", () => {
    expect(parsePostgresUrl("postgres://u@h/db").schema).toBe("public");
    expect(parsePostgresUrl("postgres://u@h/db?schema=a", "b").schema).toBe("b");
  });

  it("refuses a schema name that would need quoting", () => {
    expect(() => parsePostgresUrl("postgres://u@h/db?schema=a%22b")).toThrow(/invalid PostgreSQL schema name/);
  });
});
