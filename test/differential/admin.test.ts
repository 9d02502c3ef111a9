import { describe, expect, it } from "vitest";
import { differential } from "./harness.js";
import { greeter } from "./services.js";

// Admin API: the same requests against stet and restate-server 1.7, equal records (ids, timestamps and
// ports normalized; restate's hash-ordered handler lists compared sorted).
const diff = differential([greeter]);

// A well-formed deployment id that neither server knows.
const UNKNOWN_DEPLOYMENT = "dp_11KiDRf4oezxQ100obKQiZj";

interface DeploymentList {
  deployments: Array<{ id: string; uri: string }>;
}

describe("deployments", () => {
  it("POST /deployments answers 201 with the discovered services", () => {
    expect(diff.registration.stet).toEqual(diff.registration.restate);
  });

  it("GET /deployments and /deployments/{id} describe the registered deployment", () =>
    diff.compare(async (t) => {
      const list = await t.admin("GET", "/deployments");
      const [deployment] = (list.json as DeploymentList).deployments;
      await t.admin("GET", `/deployments/${deployment!.id}`);
      await t.admin("GET", `/deployments/${UNKNOWN_DEPLOYMENT}`);
    }));

  it("registering the same endpoint again answers 200 with the same deployment", () =>
    diff.compare(async (t) => {
      const list = await t.admin("GET", "/deployments", undefined, { compare: "status-only" });
      const [deployment] = (list.json as DeploymentList).deployments;
      await t.admin("POST", "/deployments", { uri: deployment!.uri });
      await t.admin("POST", "/deployments", { uri: deployment!.uri, dry_run: true });
    }));
});

describe("services", () => {
  it("GET /services, /services/{name}, its handlers and one handler", () =>
    diff.compare(async (t) => {
      await t.admin("GET", "/services");
      await t.admin("GET", "/services/DiffGreeter");
      await t.admin("GET", "/services/DiffGreeter/handlers");
      await t.admin("GET", "/services/DiffGreeter/handlers/greet");
    }));

  it("an unknown service or handler answers 404", () =>
    diff.compare(async (t) => {
      await t.admin("GET", "/services/NoSuchService");
      await t.admin("GET", "/services/NoSuchService/handlers");
      await t.admin("GET", "/services/DiffGreeter/handlers/noSuchHandler");
    }));
});

describe("server", () => {
  it("GET /health answers 200 with an empty body", () =>
    diff.compare(async (t) => {
      await t.admin("GET", "/health", undefined, { recordHeaders: ["content-length"] });
    }));

  it("GET /version has Restate's keys and admin API range", () =>
    diff.compare(async (t) => {
      // The version string, the features and the advertised ingress differ by nature: keys only.
      const version = await t.admin("GET", "/version", undefined, { compare: "keys" });
      const body = version.json as { min_admin_api_version: number; max_admin_api_version: number };
      t.note("admin API versions", [body.min_admin_api_version, body.max_admin_api_version]);
    }));
});

describe("service settings", () => {
  // Last in the file: the settings it changes stay changed for the rest of the run.
  it("PATCH /services/{name} changes retention and timeouts (friendly and ISO 8601), GET shows them", () =>
    diff.compare(async (t) => {
      await t.admin("PATCH", "/services/DiffGreeter", { journal_retention: "2h 30m", idempotency_retention: "PT45M" });
      await t.admin("PATCH", "/services/DiffGreeter", { abort_timeout: "5 hours", inactivity_timeout: "1 day, 2 hours", journal_retention: null });
      await t.admin("GET", "/services/DiffGreeter");
      await t.admin("PATCH", "/services/DiffGreeter", { workflow_completion_retention: "1h" });
    }));
});
