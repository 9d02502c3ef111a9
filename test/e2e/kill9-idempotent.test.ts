import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, killAll, startStetProcess, type StetProcess, registerDeployment, startServiceProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  killAll();
  dirs.splice(0).forEach((d) => d.remove());
});

const KEYS = 4;
const PER_KEY = 30;
const KILLS = 3;

describe("kill -9 during idempotent object increments", () => {
  it("counts every distinct accepted request exactly once across repeated crashes", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const dataDir = path.join(dir.path, "data");
    const service = await startServiceProcess("test/e2e/fixtures/load-service.mjs", { LOG: path.join(dir.path, "log") });
    const serviceUrl = service.url;
    const ports = { ingressPort: await freePort(), adminPort: await freePort() };

    let stet: StetProcess = await startStetProcess({ dataDir, ...ports });
    const reg = await registerDeployment(stet.adminUrl, serviceUrl);
    expect(reg.status).toBe(201);
    const ingress = stet.ingressUrl;

    // Each request is re-sent with its idempotency key until it is answered, however often stet dies.
    const requests = Array.from({ length: KEYS * PER_KEY }, (_, i) => ({ key: `k${i % KEYS}`, id: `req-${i}` }));
    let answered = 0;
    const deadline = Date.now() + 60_000;
    const sendUntilAnswered = async (r: { key: string; id: string }) => {
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`${ingress}/Tally/${r.key}/add`, {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": r.id },
            body: "1",
          });
          if (res.status === 200) {
            answered++;
            return;
          }
        } catch {
          // stet is down: try again once it is back.
        }
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      throw new Error(`request ${r.id} was never answered`);
    };
    const queue = [...requests];
    const workers = Array.from({ length: 8 }, async () => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) await sendUntilAnswered(r);
    });

    let kills = 0;
    const killer = (async () => {
      while (kills < KILLS) {
        // Kill at a moment chosen at random within the load, not at a round number of answers.
        const target = Math.floor(((kills + 1) * requests.length) / (KILLS + 2) + Math.random() * 10);
        while (answered < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        stet.child.kill("SIGKILL");
        await stet.exited;
        kills++;
        stet = await startStetProcess({ dataDir, ...ports });
      }
    })();

    await Promise.all([...workers, killer]);
    expect(kills).toBe(KILLS);
    expect(answered).toBe(requests.length);
    for (let k = 0; k < KEYS; k++) {
      const res = await fetch(`${ingress}/Tally/k${k}/get`, { method: "POST" });
      expect(await res.json()).toBe(PER_KEY);
    }
    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);
  }, 90_000);
});
