// The floor under stet's startup: two fastify apps that answer only the two health routes the bench
// polls, with no storage and no engine. `startup-floor.ts` bundles it and starts it through stet's own
// launcher with a recorded code cache, as the `stet` bin starts stet, so the difference to stet's startup
// is what stet itself does. It takes stet's flags (`start --ingress-port P --admin-port Q --host H`).
import Fastify from "fastify";

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}

async function main(): Promise<void> {
  const host = flag("--host", "127.0.0.1");
  const ingress = Fastify();
  ingress.get("/restate/health", async () => ({}));
  const admin = Fastify();
  admin.get("/health", async () => ({}));
  await ingress.listen({ host, port: Number(flag("--ingress-port", "8080")) });
  await admin.listen({ host, port: Number(flag("--admin-port", "9070")) });
  // process.exit, so that the launcher's exit hook can write the code cache when recording.
  process.once("SIGTERM", () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
